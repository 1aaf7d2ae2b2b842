package rsm

import (
	"time"

	"protolab/labrpc"
)

// A Clerk is the client side every service of lab 6 shares: it sends a
// request to the server it believes leads, and moves on to the next server
// when that one says it does not lead, times out, or the call is lost. It
// runs in a simulated client process (labrpc.Client), and its calls block.
//
// A service's clerk (kv.Clerk, the lock service's, the election's) holds one
// and numbers its requests with NextSeq; a retry must send the very same
// request, Seq included, or the servers' duplicate table cannot recognise it.
type Clerk struct {
	clnt    labrpc.Client
	servers []int
	id      int64
	//lab:solution 6A
	leader int   // index into servers of the server that answered last
	seq    int64 // the last Seq handed out
	//lab:end
}

// RetryPause is how long a clerk waits after every server in turn failed
// to answer, before it starts the round again: time for an election.
const RetryPause = 20 * time.Millisecond

// MakeClerk returns a clerk that reaches servers through clnt. Its client
// id is drawn from clnt's random stream, so it replays from the seed.
func MakeClerk(clnt labrpc.Client, servers []int) *Clerk {
	return &Clerk{clnt: clnt, servers: append([]int(nil), servers...), id: clnt.Rand().Int64()}
}

// ClientId is the id the clerk's requests carry (Request.ClientId).
func (ck *Clerk) ClientId() int64 { return ck.id }

// Client is the clerk's network endpoint.
func (ck *Clerk) Client() labrpc.Client { return ck.clnt }

// NextSeq numbers the clerk's next request: 1, 2, 3, ... Call it once per
// request, not once per try.
func (ck *Clerk) NextSeq() int64 {
	//lab:solution 6A
	ck.seq++
	return ck.seq
	//lab:stub
	// TODO(6A): number the requests 1, 2, 3, ...
	//> return 0
	//lab:end
}

// Call sends method(args) to the servers, the remembered leader first,
// until one answers with a reply that retry does not refuse, and returns
// that reply. retry says whether an answer sends the clerk elsewhere
// (usually: its error is ErrWrongLeader or ErrTimeout, see Retry). A lost
// call moves on too. Every try sends the same args. It returns nil only if
// the clerk gave up: after tries rounds over every server (tries <= 0:
// never).
func Call[R any](ck *Clerk, method string, args any, tries int, retry func(reply *R) bool) *R {
	//lab:solution 6A
	n := len(ck.servers)
	for round := 0; tries <= 0 || round < tries; round++ {
		for k := 0; k < n; k++ {
			s := (ck.leader + k) % n
			reply := new(R)
			if ck.clnt.Call(ck.servers[s], method, args, reply) && !retry(reply) {
				ck.leader = s
				return reply
			}
		}
		ck.clnt.Sleep(RetryPause)
	}
	return nil
	//lab:stub
	// TODO(6A): try ck.servers from the one that answered last; on a lost
	// call or a reply retry refuses, try the next; after a round, pause
	// (RetryPause) and go again.
	//> return nil
	//lab:end
}
