package main

import (
	"context"
	"errors"
	"os"
	"syscall"
)

// signalError is the cause of a command's context once the first SIGINT or
// SIGTERM has arrived.
type signalError struct{ sig os.Signal }

func (e *signalError) Error() string { return "stopped by " + e.sig.String() }

// hardStopKey is the context key of the context that the second signal
// ends (see stopper).
type hardStopKey struct{}

// stopper turns signals into the command's context: the first SIGINT or
// SIGTERM ends ctx, so the command stops queueing and finishes what is in
// flight; the second ends the context that hardStop returns, so it stops
// waiting at once (a bulk send still writes its report).
type stopper struct {
	ctx        context.Context
	cancel     context.CancelCauseFunc
	hard       context.Context
	cancelHard context.CancelFunc
	signals    int
}

// newStopper returns a stopper whose ctx derives from parent.
func newStopper(parent context.Context) *stopper {
	s := new(stopper)
	s.hard, s.cancelHard = context.WithCancel(context.Background())
	s.ctx, s.cancel = context.WithCancelCause(context.WithValue(parent, hardStopKey{}, s.hard))
	return s
}

// signal handles one signal; call it from one goroutine.
func (s *stopper) signal(sig os.Signal) {
	s.signals++
	if s.signals == 1 {
		s.cancel(&signalError{sig})
		return
	}
	s.cancelHard()
}

// release frees the stopper's contexts.
func (s *stopper) release() {
	s.cancel(nil)
	s.cancelHard()
}

// hardStop returns the context that the second signal ends
// (context.Background(), never ended, for a context without a stopper).
func hardStop(ctx context.Context) context.Context {
	if h, ok := ctx.Value(hardStopKey{}).(context.Context); ok {
		return h
	}
	return context.Background()
}

// exitInterruptedBy returns the exit status of a command stopped by the
// end of ctx: 143 (128 + SIGTERM) after SIGTERM, else 130 (Ctrl-C).
func exitInterruptedBy(ctx context.Context) int {
	var se *signalError
	if errors.As(context.Cause(ctx), &se) && se.sig == syscall.SIGTERM {
		return exitTerminated
	}
	return exitInterrupted
}
