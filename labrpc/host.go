package labrpc

import (
	"fmt"
	"reflect"
)

// Hosting a node outside the World. The live host (protolab/labrpc/live)
// runs the same nodes on goroutines, the real clock and TCP; it finds and
// calls their RPC handlers through a Services, so that a handler of the
// wrong shape, an unknown method or an unexported field is refused there
// with the very message the simulator gives.

// Services is the RPC side of one hosted node: the objects its boot
// function returned, by service name. It is not safe for concurrent use:
// a host calls it from the node's own event loop.
type Services struct {
	objs  map[string]reflect.Value
	types map[string]*serviceType
}

// NewServices registers what a boot function returned (one object, or a
// []any of several), as World.Start does, with the same errors.
func NewServices(obj any) (*Services, error) {
	s := &Services{objs: map[string]reflect.Value{}, types: map[string]*serviceType{}}
	objs, isList := obj.([]any)
	if !isList {
		objs = []any{obj}
	}
	for _, o := range objs {
		st, err := inspect(o)
		if err != nil {
			return nil, err
		}
		if _, dup := s.objs[st.name]; dup {
			return nil, fmt.Errorf("labrpc: two services named %s on one node; each service type may be registered once", st.name)
		}
		s.objs[st.name] = reflect.ValueOf(o)
		s.types[st.name] = st
	}
	return s, nil
}

// Service is the registered object named name ("Raft"), or nil.
func (s *Services) Service(name string) any {
	if v, ok := s.objs[name]; ok {
		return v.Interface()
	}
	return nil
}

// Names lists the registered services, sorted.
func (s *Services) Names() []string { return sortedKeys(s.objs) }

// Method resolves "Service.Method" among this node's services, or says why
// it cannot, with the fix (the simulator's messages).
func (s *Services) Method(method string) (*Method, error) {
	r, err := lookup(method, s.types)
	if err != nil {
		return nil, err
	}
	return &Method{r: r, rcvr: s.objs[r.svc.name]}, nil
}

// A Method is one handler of a hosted node, ready to call.
type Method struct {
	r    *route
	rcvr reflect.Value
}

// ArgType is the handler's args type as declared (*T or T).
func (m *Method) ArgType() reflect.Type { return m.r.h.argType }

// ReplyType is the handler's reply type (a pointer).
func (m *Method) ReplyType() reflect.Type { return m.r.h.replyType }

// Deferred reports whether the handler replies later, through respond.
func (m *Method) Deferred() bool { return m.r.h.deferred }

// Invoke runs the handler on args (a value of ArgType) and reply (a
// pointer of ReplyType). A deferred handler gets respond; another ignores
// it, and its reply is complete when Invoke returns.
func (m *Method) Invoke(args, reply reflect.Value, respond func()) {
	if m.r.h.deferred {
		m.r.h.fn.Call([]reflect.Value{m.rcvr, args, reply, reflect.ValueOf(respond)})
		return
	}
	m.r.h.fn.Call([]reflect.Value{m.rcvr, args, reply})
}

// LoadPersister returns stable storage holding state and snapshot, as a
// host that keeps them on disk hands them to a new incarnation. Saves
// counts from zero again.
func LoadPersister(state, snapshot []byte) *Persister {
	return &Persister{state: clone(state), snapshot: clone(snapshot)}
}
