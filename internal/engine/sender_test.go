package engine

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush/internal/wire"
)

// verdictJudge gives every attempt the same verdict and records outcomes.
type verdictJudge struct {
	verdict  Verdict
	mu       sync.Mutex
	finished []error
	results  []any
}

func (j *verdictJudge) Gate(*Call, bool) error { return nil }

func (j *verdictJudge) Judge(_ *Call, resp *wire.Response, err error) (Verdict, any, error) {
	if j.verdict == Succeed {
		return Succeed, resp.Status, nil
	}
	if err == nil {
		err = errors.New("answered")
	}
	return j.verdict, nil, err
}

func (j *verdictJudge) Finish(_ *Call, res any, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.finished = append(j.finished, err)
	j.results = append(j.results, res)
}

func (j *verdictJudge) outcomes() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.finished)
}

type quietHost struct{}

func (quietHost) Closed() bool                     { return false }
func (quietHost) Answers() int64                   { return 0 }
func (quietHost) DialFailed()                      {}
func (quietHost) ConnOpened(string, string)        {}
func (quietHost) ConnClosed(string, string, error) {}

// newTestSender returns a Sender judged by j and a call routed to a pool
// that has no connections: the test takes queued attempts from its queue
// and ends them by hand, as a connection would.
func newTestSender(t *testing.T, cfg SenderConfig, j Judge) (*Sender, *Call) {
	t.Helper()
	s := new(Sender)
	pcfg := &PoolConfig{Conns: 1, MaxPending: 8, QueueTimeout: time.Hour}
	var pools Pools
	pools.Init(pcfg, s, "127.0.0.1:1", "test", nil)
	var adm Admission
	adm.Init(8, nil)
	s.Init(cfg, quietHost{}, &pools, &adm, j)
	p := &Pool{cfg: pcfg, host: s, queue: make(chan *wire.Exchange, 8), conns: map[wire.Conn]struct{}{}}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	t.Cleanup(p.cancel)
	c := &Call{Pool: p}
	s.Prepare(c, "owner")
	return s, c
}

// take waits (on the fake clock) for the call to be queued again and takes
// it, as a connection would; it reports false if it never was.
func take(c *Call) bool {
	time.Sleep(time.Minute) // past any backoff
	synctest.Wait()
	select {
	case ex := <-c.Pool.queue:
		return ex.Take()
	default:
		return false
	}
}

var (
	unwritten = &wire.Error{Err: wire.ErrConnClosed, NotProcessed: true}
	broken    = &wire.Error{Err: errors.New("connection broke")}
	answer    = &wire.Response{Status: 200}
)

func TestSenderRequeuesTheUnprocessedABoundedNumberOfTimes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &verdictJudge{verdict: Requeue}
		s, c := newTestSender(t, SenderConfig{MaxAttempts: 1}, j)
		for i := range maxUnprocessedRetries {
			c.Ex.Done(&c.Ex, nil, unwritten)
			require.True(t, take(c), "re-queue %d", i+1)
			assert.Zero(t, j.outcomes())
		}
		c.Ex.Done(&c.Ex, nil, unwritten)
		assert.False(t, take(c), "not queued once the re-queues are spent")
		require.Equal(t, 1, j.outcomes())
		assert.ErrorIs(t, j.finished[0], wire.ErrConnClosed)
		assert.EqualValues(t, maxUnprocessedRetries, s.Requeued.Load())
		assert.Zero(t, c.Tries(), "re-queues are not attempts")
		assert.Equal(t, wire.ErrConnClosed, c.LastErr)
	})
}

func TestSenderRetriesWithinMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &verdictJudge{verdict: Retry}
		s, c := newTestSender(t, SenderConfig{MaxAttempts: 3, RetryBudget: -1}, j)
		for i := range 2 {
			c.Ex.Done(&c.Ex, answer, nil)
			require.True(t, take(c), "retry %d", i+1)
		}
		c.Ex.Done(&c.Ex, answer, nil)
		assert.False(t, take(c))
		require.Equal(t, 1, j.outcomes(), "one outcome, after the last attempt")
		assert.Equal(t, 3, c.Tries())
		assert.EqualValues(t, 2, s.Retried.Load())
	})
}

func TestSenderRetryBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &verdictJudge{verdict: Retry}
		// Enough tokens for one retry.
		s, c := newTestSender(t, SenderConfig{MaxAttempts: 10, RetryBudget: RetryCost}, j)
		c.Ex.Done(&c.Ex, answer, nil)
		require.True(t, take(c))
		c.Ex.Done(&c.Ex, answer, nil)
		assert.False(t, take(c), "no tokens left")
		assert.Equal(t, 1, j.outcomes())
		assert.EqualValues(t, 0, s.Budget().Tokens())
	})
}

func TestSenderMaybeProcessed(t *testing.T) {
	for _, rmp := range []bool{false, true} {
		synctest.Test(t, func(t *testing.T) {
			j := &verdictJudge{verdict: Maybe}
			_, c := newTestSender(t, SenderConfig{MaxAttempts: 2, RetryBudget: -1, RetryMaybeProcessed: rmp}, j)
			c.Ex.Done(&c.Ex, nil, broken)
			assert.True(t, c.Maybe())
			assert.Equal(t, 1, c.Tries(), "a written attempt counts")
			if rmp {
				require.True(t, take(c), "RetryMaybeProcessed sends it again")
				c.Ex.Done(&c.Ex, nil, broken)
				assert.Equal(t, 2, c.Tries())
			}
			assert.False(t, take(c))
			require.Equal(t, 1, j.outcomes())
			assert.ErrorIs(t, j.finished[0], broken.Err)
		})
	}
}

func TestSenderSuccessRefundsTheBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &verdictJudge{verdict: Succeed}
		s, c := newTestSender(t, SenderConfig{MaxAttempts: 1, RetryBudget: 10}, j)
		require.True(t, s.Budget().Take(3))
		c.Ex.Done(&c.Ex, answer, nil)
		require.Equal(t, 1, j.outcomes())
		assert.NoError(t, j.finished[0])
		assert.Equal(t, 200, j.results[0], "the Judge's result reaches Finish")
		assert.EqualValues(t, 10-3+RetryRefund, s.Budget().Tokens())
	})
}

func TestSenderCancelRetriesFinishesWaitingCallsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		j := &verdictJudge{verdict: Retry}
		s, c := newTestSender(t, SenderConfig{MaxAttempts: 5, RetryBudget: -1}, j)
		c.Ex.Done(&c.Ex, answer, nil) // now waits for its backoff
		s.CancelRetries()
		require.Equal(t, 1, j.outcomes())
		assert.ErrorIs(t, j.finished[0], ErrClosed)
		assert.False(t, take(c), "the cancelled timer never queues it")
		assert.False(t, s.Retry(c, time.Second, nil), "Retry refuses after CancelRetries")
		assert.Equal(t, 1, j.outcomes())
	})
}

func TestSenderExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, c := newTestSender(t, SenderConfig{}, &verdictJudge{})
		s.pools.cfg.QueueTimeout = time.Second
		c.Queued = time.Now()
		assert.False(t, s.Expired(c))
		time.Sleep(2 * time.Second)
		assert.True(t, s.Expired(c))
		assert.True(t, s.QueueExpired(&c.Ex))
	})
}
