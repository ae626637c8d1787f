package mipush

import (
	"context"

	"github.com/mipush-go/mipush/internal/wire"
)

// hostKind names which of a region's hosts a call goes to.
type hostKind int

const (
	messageHost  hostKind = iota // sends, management, stats, trace
	feedbackHost                 // /v1/feedback/*
)

// request is one call of the server API other than a plain send: its
// method, path, form-encoded parameters (the query string of a GET, the
// body of a POST) and host.
type request struct {
	method string // "GET" or "POST"
	path   string
	params []byte // "k=v&k2=v2", already escaped
	host   hostKind
	// target and msg describe the call in a SendError or SendResult; both
	// may be zero for management calls.
	target Target
	msg    *Message
	// batch marks a multi-message send: its answer may name invalid
	// targets, and target.IDs is already the request's own slice.
	batch bool
}

// wireRequest builds the HTTP request for r.
func (r *request) wireRequest(auth string) wire.Request {
	if r.method == "GET" {
		path := r.path
		if len(r.params) > 0 {
			path += "?" + string(r.params)
		}
		return wire.Request{Method: "GET", Path: path, Auth: auth}
	}
	return wire.Request{Method: "POST", Path: r.path, Auth: auth, Body: r.params}
}

// do runs r through the engine and waits for its answer. The Result's Data
// holds the raw "data" object for the caller to decode.
func (c *Client) do(ctx context.Context, r *request) (*Result, error) {
	return c.startRequest(ctx, r, false)
}

// doAsync runs r through the engine; its outcome goes to the callbacks.
func (c *Client) doAsync(ctx context.Context, r *request) error {
	_, err := c.startRequest(ctx, r, true)
	return err
}

func (c *Client) startRequest(ctx context.Context, r *request, async bool) (*Result, error) {
	if err := c.usable(ctx); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e := c.e
	call := &call{e: e, msg: r.msg, target: r.target, async: async, prune: r.batch}
	if !r.batch {
		call.target.IDs = call.keepIDs(r.target.IDs)
	}
	call.Ex.Req = r.wireRequest(string(*c.auth))
	if r.host == messageHost {
		e.pools.Route(&call.Call, "") // the failover host list applies to every message-host call
	} else {
		addr, authority := e.s.hostFor(r.host)
		call.Pool = e.pools.Get(addr, authority)
	}
	return e.accept(ctx, call)
}
