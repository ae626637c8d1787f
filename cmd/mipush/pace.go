package main

import (
	"strconv"
	"time"

	"github.com/mipush-go/mipush"
)

// paceFlags are the flags that fit many sends to the app's quota.
type paceFlags struct {
	rate      float64
	batch     bool
	batchSize int
	linger    time.Duration
}

// register defines the flags on fs; withBatch adds the batching flags.
func (f *paceFlags) register(fs *flagSet, withBatch bool) {
	fs.Float64Var(&f.rate, "rate", 0, "send at most `N` requests per second, retries included: the app's quota (about 500 to 3000 a second; 0: as fast as the server answers)")
	if !withBatch {
		return
	}
	fs.BoolVar(&f.batch, "batch", false, "gather personalised lines into multi-message requests of up to --batch-size messages, so that --rate requests carry many more messages")
	fs.IntVar(&f.batchSize, "batch-size", mipush.DefaultBatchMessages, "with --batch, the most messages in one request (1 to "+strconv.Itoa(mipush.MaxBatch)+")")
	fs.DurationVar(&f.linger, "linger", mipush.DefaultBatchLinger, "with --batch, how long a request waits for more messages after its first")
}

// apply sets the pacing and batching options of o. It checks what the
// command asks beyond the library (whose zero values mean defaults, which a
// flag's explicit 0 must not); o.Validate checks the rest, its errors
// naming the flags (see flagName).
func (f *paceFlags) apply(o *mipush.Options) error {
	o.RateLimit = f.rate
	if f.batch {
		if f.batchSize < 1 {
			return usagef("--batch-size: want 1 to %d, got %d", mipush.MaxBatch, f.batchSize)
		}
		if f.linger <= 0 {
			return usagef("--linger: want a positive duration, got %v", f.linger)
		}
		o.Batch = mipush.BatchOptions{Enabled: true, MaxMessages: f.batchSize, Linger: f.linger}
	}
	if err := o.Validate(); err != nil {
		return &usageError{msg: describe(err)}
	}
	return nil
}
