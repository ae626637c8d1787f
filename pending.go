package mipush

import (
	"context"
	"fmt"
	"io"
)

// Pending is the outcome of one send started by Client.Start, to be
// awaited: a future, like the PublishResult of Google's Pub/Sub client,
// for callers that prefer one to callbacks.
type Pending struct {
	c *call
}

// Start validates and encodes s at once (returning bad input and queueing
// nothing), then queues it, blocking only while the client is at
// Options.MaxPending or until ctx ends, as SendAsync does. Its outcome goes
// to the returned Pending, not to OnSuccess or OnError; targets the server
// calls invalid still go to Options.OnInvalidTargets first. Flush waits for
// it like any async send.
func (c *Client) Start(ctx context.Context, s Send) (*Pending, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	p := new(Pending)
	if _, err := c.start(ctx, s.Target, s.Message, s.Value, p, true); err != nil {
		return nil, err
	}
	return p, nil
}

// Ready is closed when the outcome is known. Called from a callback
// before then, it hands the delivery of the outcomes after that callback
// on to another goroutine (see "Callbacks" in the package
// documentation), as the outcome may need the callback goroutine: the
// caller can then wait on the channel without deadlock.
func (p *Pending) Ready() <-chan struct{} {
	p.handOn()
	return p.c.done
}

// Get waits for the outcome, or for ctx to end (which stops only the
// wait, not the send), and returns it as the blocking call would: the
// server's Result, or a *SendError carrying Send.Value. An outcome that
// is known wins over an ended ctx. It may be called any number of times,
// and from a callback, where it hands delivery on as Ready does.
func (p *Pending) Get(ctx context.Context) (*Result, error) {
	select {
	case <-p.c.done:
		return p.c.res, p.c.err
	default:
	}
	p.handOn()
	select {
	case <-p.c.done:
		return p.c.res, p.c.err
	case <-ctx.Done():
		select {
		case <-p.c.done: // both ready: the outcome wins
			return p.c.res, p.c.err
		default:
			return nil, ctx.Err()
		}
	}
}

// handOn, called by a wait for p's outcome, hands delivery on if the wait
// runs inside a callback and the outcome is not known yet: an outcome
// whose targets the server called invalid is resolved on the callback
// goroutine, after its OnInvalidTargets call.
func (p *Pending) handOn() {
	select {
	case <-p.c.done:
	default:
		if d := &p.c.e.disp; d.onCallback() {
			d.unblock()
		}
	}
}

// resolve reports the outcome of c to its Pending, if it has one; c must be
// finished and its invalid targets reported.
func (c *call) resolve() {
	if !c.handle {
		return
	}
	if c.err != nil {
		c.err = &SendError{Message: c.msg, Target: c.target, Err: c.err, Attempts: c.tries(), JobKey: c.jobKey, Value: c.value}
	}
	close(c.done)
}

// Format writes "mipush.Pending{ready}" or "mipush.Pending{waiting}"
// whatever the verb: a Pending reaches its send's request, whose header
// holds the app secret, and no verb may print that.
func (p Pending) Format(f fmt.State, verb rune) {
	state := "waiting"
	if p.c != nil && p.c.done != nil {
		select {
		case <-p.c.done:
			state = "ready"
		default:
		}
	}
	io.WriteString(f, "mipush.Pending{"+state+"}")
}
