package labrpc

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"protolab/internal/suggest"
	"protolab/labgob"
)

// RPC handlers are ordinary methods, found by reflection as in Go's net/rpc:
//
//	func (rf *Raft) RequestVote(args *RequestVoteArgs, reply *RequestVoteReply)
//
// A node's object is registered as a service named after its type ("Raft"),
// and a caller names a handler "Raft.RequestVote". Everything that can go
// wrong with that (a method that does not exist, a method of the wrong
// shape, a type gob would mangle) is reported with the cause and the fix.
//
// A handler that cannot answer before it returns (a replicated service
// answers once the operation commits, in a later event) takes a third
// parameter:
//
//	func (kv *KVServer) Get(args *GetArgs, reply *GetReply, respond func())
//
// It keeps reply and respond, and calls respond() from any later event of
// the same incarnation (an apply callback, a timer), or before it returns.
// The world then copies reply through labgob, as it is at that moment, and
// sends it, with the losses, delays and trace lines of any reply (plus a
// "respond:" line at the server). Calling respond twice stops the run. If
// the node crashes or restarts before it responds, the reply is lost: the
// caller's call completes with ok=false after the loss time-out. A handler
// that never calls respond leaves its caller waiting for good, so a service
// must answer every request it takes, if only with an error ("wrong
// leader"); a run that stops waiting names the requests still unanswered.
// Caller-side code is the same for both shapes (see respond.go).

// handler is one RPC method of a service type.
type handler struct {
	name      string
	fn        reflect.Value // the method's func, receiver first
	argType   reflect.Type  // as declared: *T or T
	replyType reflect.Type  // always a pointer
	replyElem reflect.Type  // what it points to: deliver makes a fresh one per call
	deferred  bool          // takes a respond func() and replies when it is called (respond.go)
}

// serviceType is what reflection found on a receiver type. It is computed
// once per type for the whole process.
type serviceType struct {
	name     string
	handlers map[string]*handler
	// notHandlers explains, for each exported method that is not a handler,
	// why not: so that calling it gives the fix, not "no such method".
	notHandlers map[string]string
}

var serviceTypes sync.Map // reflect.Type -> *serviceType or error

// inspect builds (or finds) the serviceType of rcvr's type.
func inspect(rcvr any) (*serviceType, error) {
	t := reflect.TypeOf(rcvr)
	if v, ok := serviceTypes.Load(t); ok {
		if err, isErr := v.(error); isErr {
			return nil, err
		}
		return v.(*serviceType), nil
	}
	st, err := buildServiceType(t)
	if err != nil {
		serviceTypes.Store(t, err)
		return nil, err
	}
	serviceTypes.Store(t, st)
	return st, nil
}

func buildServiceType(t reflect.Type) (*serviceType, error) {
	if t == nil {
		return nil, fmt.Errorf("labrpc: a node's boot function returned nil; return the node's object (a pointer), e.g. return rf")
	}
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("labrpc: service %s must be a pointer to a struct, so that handlers can change its state; return &%s{...}", t, t.Name())
	}
	st := &serviceType{name: t.Elem().Name(), handlers: map[string]*handler{}, notHandlers: map[string]string{}}
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		h, why, err := asHandler(st.name, m)
		if err != nil {
			return nil, err
		}
		if h != nil {
			st.handlers[m.Name] = h
		} else {
			st.notHandlers[m.Name] = why
		}
	}
	return st, nil
}

// asHandler decides whether method m is an RPC handler. Shapes that are
// almost a handler, and surely meant as one, are errors.
func asHandler(svc string, m reflect.Method) (*handler, string, error) {
	mt := m.Type // receiver is In(0)
	shape := fmt.Sprintf("func (x *%s) %s(args *%sArgs, reply *%sReply)", svc, m.Name, m.Name, m.Name)
	shapes := fmt.Sprintf("%s, or, to reply later, func (x *%s) %s(args *%sArgs, reply *%sReply, respond func())", shape, svc, m.Name, m.Name, m.Name)
	if mt.NumIn() < 3 {
		return nil, fmt.Sprintf("it takes %d arguments; a handler has the shape %s", mt.NumIn()-1, shapes), nil
	}
	args, reply := mt.In(1), mt.In(2)
	isStructish := func(t reflect.Type) bool {
		return t.Kind() == reflect.Struct || t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.Struct
	}
	if !isStructish(args) || !isStructish(reply) {
		if mt.NumIn() != 3 {
			return nil, fmt.Sprintf("it takes %d arguments; a handler has the shape %s", mt.NumIn()-1, shapes), nil
		}
		return nil, fmt.Sprintf("its arguments are not structs; a handler has the shape %s", shapes), nil
	}
	name := svc + "." + m.Name
	deferred := false
	switch {
	case mt.NumIn() == 4 && mt.In(3) == respondType:
		deferred = true
		shape = fmt.Sprintf("func (x *%s) %s(args *%sArgs, reply *%sReply, respond func())", svc, m.Name, m.Name, m.Name)
	case mt.NumIn() == 4:
		return nil, "", fmt.Errorf("labrpc: handler %s has a bad signature: its third parameter is a %s; a handler has the shape %s", name, mt.In(3), shapes)
	case mt.NumIn() > 4:
		return nil, "", fmt.Errorf("labrpc: handler %s has a bad signature: it takes %d parameters; a handler has the shape %s", name, mt.NumIn()-1, shapes)
	}
	if reply.Kind() != reflect.Pointer {
		return nil, "", fmt.Errorf("labrpc: handler %s takes its reply by value (%s), so the caller would never see it; declare it as reply *%s", name, reply, reply.Name())
	}
	if mt.NumOut() != 0 {
		return nil, "", fmt.Errorf("labrpc: handler %s returns %d result(s); handlers return nothing and report through the reply struct: %s", name, mt.NumOut(), shape)
	}
	for _, t := range []reflect.Type{args, reply} {
		if err := labgob.CheckType(t); err != nil {
			return nil, "", fmt.Errorf("labrpc: handler %s: %w", name, err)
		}
	}
	return &handler{name: m.Name, fn: m.Func, argType: args, replyType: reply, replyElem: reply.Elem(), deferred: deferred}, "", nil
}

// respondType is the type of a deferred handler's last parameter.
var respondType = reflect.TypeOf(func() {})

// route is a resolved "Service.Method" name.
type route struct {
	method string // "Service.Method"
	svc    *serviceType
	h      *handler
	// What a node runs for this method, as the watchdog names it: built
	// once here rather than at every call.
	handlerWhat, callbackWhat string
	mixer                     *strMixer // hashes the method's name for the digest (trace.go)
}

// resolve finds the handler a caller names, or explains why there is none.
// Resolved names are cached per world.
func (w *World) resolve(method string) (*route, error) {
	// A node usually calls the same method many times running (heartbeats,
	// a broadcast to every peer): comparing with the last name resolved is
	// cheaper than hashing it, since a name passed as the same constant is
	// the same string and compares by its pointer.
	if r := w.lastRoute; r != nil && r.method == method {
		return r, nil
	}
	if r, ok := w.routes[method]; ok {
		w.lastRoute = r
		return r, nil
	}
	r, err := lookup(method, w.svcByName)
	if err == nil {
		w.routes[method] = r
		w.lastRoute = r
	}
	return r, err
}

// lookup resolves method among the services svcByName holds (the world's,
// or one hosted node's: host.go), with the cause and the fix when it cannot.
func lookup(method string, svcByName map[string]*serviceType) (*route, error) {
	svcName, mName, ok := strings.Cut(method, ".")
	if !ok || svcName == "" || mName == "" {
		return nil, fmt.Errorf("labrpc: Call(%q): name the handler as \"Service.Method\", e.g. \"Raft.RequestVote\"", method)
	}
	st, ok := svcByName[svcName]
	if !ok {
		return nil, fmt.Errorf("labrpc: Call(%q): no node has a service %q; registered services: %s",
			method, svcName, listOrNone(sortedKeys(svcByName)))
	}
	h, ok := st.handlers[mName]
	if !ok {
		if why, exists := st.notHandlers[mName]; exists {
			return nil, fmt.Errorf("labrpc: Call(%q): %s.%s is not an RPC handler: %s", method, svcName, mName, why)
		}
		names := sortedKeys(st.handlers)
		hint := ""
		if c := suggest.Closest(mName, names); c != "" {
			hint = fmt.Sprintf(" (did you mean %s.%s?)", svcName, c)
		}
		return nil, fmt.Errorf("labrpc: Call(%q): %s has no method %s%s; its handlers are: %s", method, svcName, mName, hint, listOrNone(names))
	}
	return &route{method: method, svc: st, h: h, handlerWhat: method + " handler", callbackWhat: method + " reply callback", mixer: mixerOf(method)}, nil
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "(none)"
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
