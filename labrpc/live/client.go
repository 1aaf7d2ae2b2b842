package live

import (
	"fmt"
	"reflect"
	"sync"
	"time"
)

// A Client calls nodes from outside them, in blocking style: a clerk in a
// command-line tool or a test. It is host code, so it may be used from any
// number of goroutines at once.
type Client struct {
	id      int
	timeout time.Duration
	out     *outbound

	mu      sync.Mutex
	last    uint64
	waiting map[uint64]chan *Frame
}

// NewClient returns a client that reaches node i at addrs[i]. id is its
// endpoint id in traces and frames: use one at or above len(addrs) (the
// simulator numbers clients after nodes). timeout bounds each call's wait
// (DefaultCallTimeout if zero).
func NewClient(id int, addrs []string, timeout time.Duration) *Client {
	if timeout <= 0 {
		timeout = DefaultCallTimeout
	}
	c := &Client{id: id, timeout: timeout, waiting: map[uint64]chan *Frame{}}
	c.out = newOutbound(addrs,
		func(f *Frame) { c.complete(f.Call, f) },
		func(calls []uint64) {
			for _, call := range calls {
				c.complete(call, nil)
			}
		})
	return c
}

// ID is the client's endpoint id.
func (c *Client) ID() int { return c.id }

func (c *Client) complete(call uint64, f *Frame) {
	c.mu.Lock()
	ch := c.waiting[call]
	delete(c.waiting, call)
	c.mu.Unlock()
	if ch != nil {
		ch <- f
	}
}

// Call sends method(args) to node `to` and waits for the reply: true once
// reply is filled in, false if the call was lost or timed out. A misuse
// the caller can see (a reply that is not a fresh pointer, an args value
// labgob refuses) or one the server reports (no such method, args of the
// wrong type) is an error, with the simulator's message.
func (c *Client) Call(to int, method string, args, reply any) (bool, error) {
	if to < 0 || to >= len(c.out.links) {
		return false, fmt.Errorf("labrpc: Call(%q) to %d: nodes are 0..%d", method, to, len(c.out.links)-1)
	}
	if err := checkCall(nil, method, args, reply); err != nil {
		return false, err
	}
	body, err := encode(args)
	if err != nil {
		return false, fmt.Errorf("labrpc: Call(%q): %w", method, err)
	}
	ch := make(chan *Frame, 1)
	c.mu.Lock()
	c.last++
	id := c.last
	c.waiting[id] = ch
	c.mu.Unlock()
	if !c.out.send(&Frame{Kind: KindRequest, From: c.id, To: to, Call: id, Method: method, Body: body}) {
		c.complete(id, nil)
	}
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	var f *Frame
	select {
	case f = <-ch:
	case <-timer.C:
		c.complete(id, nil)
		f = <-ch
	}
	switch {
	case f == nil:
		return false, nil
	case f.Kind == KindRefused:
		return false, fmt.Errorf("%s (refused by n%d)", f.Body, to)
	}
	v, err := decodeInto(f.Body, reflect.TypeOf(reply))
	if err != nil {
		return false, fmt.Errorf("labrpc: reply of %s from n%d: %w", method, to, err)
	}
	reflect.ValueOf(reply).Elem().Set(v.Elem())
	return true, nil
}

// Close drops the client's connections.
func (c *Client) Close() { c.out.close() }
