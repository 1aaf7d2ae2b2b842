package kvsrv

import "protolab/labrpc"

// A Clerk is a client's handle on the server. Its methods block until they
// have an answer, retrying through lost messages. A clerk is small: a test
// may make a hundred thousand.
type Clerk struct {
	clnt   labrpc.Client
	server int
}

// MakeClerk returns a clerk that reaches server through clnt.
func MakeClerk(clnt labrpc.Client, server int) *Clerk {
	return &Clerk{clnt: clnt, server: server}
}

// Get fetches the key's value and version. It keeps trying until the server
// answers: a Get changes nothing, so repeating it is always safe.
func (ck *Clerk) Get(key string) (string, Tversion, Err) {
	//lab:solution 1B
	for {
		if value, version, err, ok := ck.tryGet(key); ok {
			return value, version, err
		}
	}
	//lab:stub
	// TODO(1B): on an unreliable network a call may get no reply. Retry
	// until one comes back.
	//> value, version, err, _ := ck.tryGet(key)
	//> return value, version, err
	//lab:end
}

// tryGet sends one Get. ok is false if no reply came back.
func (ck *Clerk) tryGet(key string) (value string, version Tversion, err Err, ok bool) {
	//lab:solution 1A
	args := GetArgs{Key: key}
	reply := GetReply{}
	if !ck.clnt.Call(ck.server, "KVServer.Get", &args, &reply) {
		return "", 0, "", false
	}
	return reply.Value, reply.Version, reply.Err, true
	//lab:stub
	// TODO(1A): call "KVServer.Get" on ck.server through ck.clnt.Call, with
	// a fresh reply, and report what came back.
	//> return "", 0, "", false
	//lab:end
}

// Put sets the key to value if its version is version. It returns OK,
// ErrNoKey, ErrVersion, or ErrMaybe when it cannot know whether the Put
// applied.
func (ck *Clerk) Put(key, value string, version Tversion) Err {
	//lab:solution 1B
	for attempt := 0; ; attempt++ {
		err, ok := ck.tryPut(key, value, version)
		if !ok {
			continue
		}
		// ErrVersion on the first try is certain: nothing applied. On a
		// retry it is not: the try whose reply was lost may have applied
		// (and moved the version on), or the version moved for another
		// reason. The clerk cannot tell, and must not guess.
		if err == ErrVersion && attempt > 0 {
			return ErrMaybe
		}
		return err
	}
	//lab:stub
	// TODO(1B): retry until a reply comes back; a retry refused with
	// ErrVersion must return ErrMaybe (why? see the handout).
	//> err, _ := ck.tryPut(key, value, version)
	//> return err
	//lab:end
}

// tryPut sends one Put. ok is false if no reply came back.
func (ck *Clerk) tryPut(key, value string, version Tversion) (err Err, ok bool) {
	//lab:solution 1A
	args := PutArgs{Key: key, Value: value, Version: version}
	reply := PutReply{}
	if !ck.clnt.Call(ck.server, "KVServer.Put", &args, &reply) {
		return "", false
	}
	return reply.Err, true
	//lab:stub
	// TODO(1A): call "KVServer.Put" on ck.server and report what came back.
	//> return "", false
	//lab:end
}
