package live_test

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/labrpc/live"
)

// Store saves what it is sent, then answers: a peer that acknowledges only
// what is on disk.
type Store struct{ env labrpc.Env }

type StoreArgs struct{ Data []byte }
type StoreReply struct{ Saved int }

func (s *Store) Put(args *StoreArgs, reply *StoreReply) {
	s.env.Persister().Save(args.Data, []byte("snap:"+string(args.Data)))
	reply.Saved = len(args.Data)
}

// The file holds a save before its event's reply leaves, and the next
// incarnation starts from it.
func TestStorageIsWrittenBeforeTheReplyAndSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{ln.Addr().String()}
	boot := func(env labrpc.Env) any { return &Store{env: env} }
	nd, err := live.Start(live.Config{Me: 0, Addrs: addrs, Listener: ln, Dir: dir}, boot)
	if err != nil {
		t.Fatal(err)
	}
	c := live.NewClient(1, addrs, time.Second)
	defer c.Close()
	for i := range 20 {
		data := bytes.Repeat([]byte{byte('a' + i)}, 1000*(i+1))
		var r StoreReply
		if ok, err := c.Call(0, "Store.Put", &StoreArgs{Data: data}, &r); !ok || err != nil {
			t.Fatalf("Store.Put: ok=%v err=%v", ok, err)
		}
		// the reply is here: the file must hold the save already
		file, err := os.ReadFile(filepath.Join(dir, "persist.bin"))
		if err != nil || !bytes.Contains(file, data) {
			t.Fatalf("after the reply to save %d, the file does not hold it (err %v): the host sent the reply before writing stable storage", i, err)
		}
	}
	nd.Stop()
	var state, snap []byte
	nd, err = live.Start(live.Config{Me: 0, Addrs: addrs, Dir: dir, Incarnation: 2}, func(env labrpc.Env) any {
		state, snap = env.Persister().ReadState(), env.Persister().ReadSnapshot()
		return &Store{env: env}
	})
	if err != nil {
		t.Fatal(err)
	}
	defer nd.Stop()
	last := bytes.Repeat([]byte{'a' + 19}, 20000)
	if !bytes.Equal(state, last) || string(snap) != "snap:"+string(last) {
		t.Fatalf("the restarted node read a state of %d bytes and a snapshot of %d; want the last save (%d and %d)", len(state), len(snap), len(last), len(last)+5)
	}
}

// A file that is not a persister's is refused with the fix, not read as
// empty storage.
func TestCorruptStorageIsRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "persist.bin"), []byte{0, 0, 0, 0, 0, 0, 1, 0, 'x'}, 0o644)
	_, err := live.Start(live.Config{Me: 0, Addrs: []string{"127.0.0.1:0"}, Dir: dir}, func(env labrpc.Env) any { return &Store{env: env} })
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte("remove the directory")) {
		t.Fatalf("err = %v; want the file refused, with the fix", err)
	}
}

// Without a directory, storage lives in memory: a restart in the same
// process hands the last incarnation's Persister on.
func TestInMemoryStorageIsHandedToTheNextIncarnation(t *testing.T) {
	var st *Store
	nd, err := live.Start(live.Config{Me: 0, Addrs: []string{"127.0.0.1:0"}}, func(env labrpc.Env) any { st = &Store{env: env}; return st })
	if err != nil {
		t.Fatal(err)
	}
	nd.Do(func() { st.Put(&StoreArgs{Data: []byte("kept")}, &StoreReply{}) })
	nd.Stop()
	var state []byte
	nd, err = live.Start(live.Config{Me: 0, Addrs: []string{"127.0.0.1:0"}, Persister: nd.Persister(), Incarnation: 2}, func(env labrpc.Env) any {
		state = env.Persister().ReadState()
		return &Store{env: env}
	})
	if err != nil {
		t.Fatal(err)
	}
	nd.Stop()
	if string(state) != "kept" {
		t.Fatalf("the next incarnation read %q; want the last one's save, %q", state, "kept")
	}
}
