package chash

import (
	"fmt"

	"protolab/labrpc"
)

// A Router is a client's handle on the cache: it holds a configuration,
// sends each key to its owner on that configuration's ring, and fetches a
// newer configuration when a member says its own is out of date. Its
// methods block until they have an answer, retrying through lost messages,
// members that are catching up, and keys on their way. A router is small:
// make one per client.
type Router struct {
	clnt labrpc.Client
	ctrl int
	view placement // the configuration the router routes by; epoch 0 until it fetches one
}

// MakeRouter returns a router that reaches the cache through clnt and asks
// the controller at node ctrl for configurations.
func MakeRouter(clnt labrpc.Client, ctrl int) *Router {
	return &Router{clnt: clnt, ctrl: ctrl, view: newPlacement(Config{})}
}

// Epoch is the configuration the router routes by. After a Get or Put it is
// the configuration the answering member accepted the operation in, or an
// older one.
func (r *Router) Epoch() int { return r.view.Epoch }

// Get returns the key's value: OK, or ErrNoKey if the cache does not hold
// the key.
func (r *Router) Get(key string) (string, Err) {
	//lab:solution 2D
	for {
		owner := r.route(key)
		if owner < 0 {
			continue
		}
		args := GetArgs{Key: key, Epoch: r.view.Epoch}
		reply := GetReply{}
		if !r.clnt.Call(owner, "Cache.Get", &args, &reply) {
			// Lost, or the member is down: perhaps it has left the ring.
			r.refresh()
			continue
		}
		if reply.Err == OK || reply.Err == ErrNoKey {
			return reply.Value, reply.Err
		}
		r.refused(reply.Err)
	}
	//lab:stub
	// TODO(2D): send "Cache.Get" to the key's owner (r.route) with the
	// router's epoch, until a member answers OK or ErrNoKey. Fetch the newest
	// configuration (r.refresh) when the call fails; on a refusal, do what
	// it asks (r.refused).
	//> return "", ErrNoKey
	//lab:end
}

// Put sets the key to value, retrying until a member has stored it.
func (r *Router) Put(key, value string) {
	//lab:solution 2D
	for {
		owner := r.route(key)
		if owner < 0 {
			continue
		}
		args := PutArgs{Key: key, Value: value, Epoch: r.view.Epoch}
		reply := PutReply{}
		if !r.clnt.Call(owner, "Cache.Put", &args, &reply) {
			r.refresh()
			continue
		}
		if reply.Err == OK {
			return
		}
		r.refused(reply.Err)
	}
	//lab:stub
	// TODO(2D): as Get, with "Cache.Put", until a member answers OK.
	//lab:end
}

// refused does what a member's refusal asks before the router tries again:
// fetch the newest configuration on ErrWrongOwner (the member is ahead of
// the router); pause on ErrWrongEpoch (the member is behind) and on
// ErrMigrating (the key is on its way), since waiting is all that helps.
func (r *Router) refused(err Err) {
	//lab:solution 2D
	if err == ErrWrongOwner {
		r.refresh()
		return
	}
	r.clnt.Sleep(routerPause)
	//lab:stub
	// TODO(2D): refresh on ErrWrongOwner; pause routerPause otherwise.
	//lab:end
}

// route returns the owner of key in the router's configuration. With no
// configuration yet, or an empty one, it fetches one, pauses, and returns
// -1.
func (r *Router) route(key string) int {
	if owner := r.view.owner(key); owner >= 0 {
		return owner
	}
	r.refresh()
	r.clnt.Sleep(routerPause)
	return -1
}

// refresh fetches the newest configuration from the controller. It reports
// whether it got a newer one than the router had.
func (r *Router) refresh() bool {
	//lab:solution 2D
	args := QueryArgs{Member: -1, Known: r.view.Epoch}
	reply := QueryReply{}
	if !r.clnt.Call(r.ctrl, "Controller.Query", &args, &reply) || len(reply.Configs) == 0 {
		return false
	}
	r.view = newPlacement(reply.Configs[len(reply.Configs)-1])
	return true
	//lab:stub
	// TODO(2D): ask "Controller.Query" for the configurations after the
	// router's; route by the newest from now on.
	//> return false
	//lab:end
}

// An Admin changes the cache's membership through the controller: it is
// what an operator, or a test, uses. Its calls block until the controller
// answers.
type Admin struct {
	clnt labrpc.Client
	ctrl int
}

// MakeAdmin returns an admin handle on the controller at node ctrl.
func MakeAdmin(clnt labrpc.Client, ctrl int) *Admin { return &Admin{clnt: clnt, ctrl: ctrl} }

// Join puts node on the ring (start it first). It returns the new epoch.
func (a *Admin) Join(node int) (int, error) { return a.change("Controller.Join", node) }

// Leave takes node off the ring in a planned way; it returns the new epoch.
// Stop the node only once the controller reports it done with that epoch:
// until then it is still handing its keys off.
func (a *Admin) Leave(node int) (int, error) { return a.change("Controller.Leave", node) }

// Fail tells the controller that node crashed; it returns the new epoch.
func (a *Admin) Fail(node int) (int, error) { return a.change("Controller.Fail", node) }

func (a *Admin) change(method string, node int) (int, error) {
	for {
		args := ChangeArgs{Node: node}
		reply := ChangeReply{}
		if !a.clnt.Call(a.ctrl, method, &args, &reply) {
			continue // the controller never fails; the message was lost
		}
		if reply.Refused != "" {
			return 0, fmt.Errorf("chash: %s(n%d) refused: %s", method, node, reply.Refused)
		}
		return reply.Epoch, nil
	}
}
