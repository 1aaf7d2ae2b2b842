// Package balance is part 2E of lab 2: load balancing requests. Parts 2A to
// 2D place keys on members; this part places requests on servers, where
// what matters is not how many keys a server holds but how long its queue
// is when a request arrives.
//
// A client holds a Balancer and asks it, for every request, which server to
// send it to. The balancers, one type per file, are the part to build:
//
//   - roundrobin.go: RoundRobin, each server in turn;
//   - random.go: Random, a server chosen uniformly;
//   - weighted.go: Weighted, a server chosen with probability c_i / Σc_j
//     for configured capacities c;
//   - leastloaded.go: LeastLoaded, the server with the least load the
//     client knows of: its own requests in flight, or the queue lengths of
//     the last load report;
//   - twochoices.go: TwoChoices, the less loaded of two distinct servers
//     chosen at random (Mitzenmacher 2001);
//   - boundedhash.go: BoundedHash, consistent hashing with bounded loads
//     (part 2B's rule, on requests in flight), for requests that should
//     stick to their key's server.
//
// The world they run in is given: servers with a service time (server.go),
// a load board that publishes the servers' queue lengths every T
// (board.go), clients that send requests at random times through a
// balancer (client.go), and the scenario that puts them together and
// measures latencies and queue lengths (scenario.go). The point of the part
// is the herd: with load information T old, every client sends to the
// server that looked least loaded, all at once (Mitzenmacher 2000). Two
// random choices avoid it.
package balance
