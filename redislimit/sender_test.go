package redislimit_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/redislimit"
)

// senderEnv, set in the environment of the test binary, makes it a
// sender of the fleet test instead of running tests: a process of its
// own, with its own client, Limiter and Redis connections.
const senderEnv = "REDISLIMIT_FLEET_SENDER"

// senderConfig is the JSON value of senderEnv.
type senderConfig struct {
	Redis  string // Redis address, maybe a proxy's
	Host   string // the fake server
	CAFile string // its CA certificate, PEM
	Rate   int
}

// fleetSecret is the app of the fleet tests.
const fleetSecret = "fleet-secret"

// senderReport answers a sender's commands.
type senderReport struct {
	Turns   int64         `json:",omitempty"` // turns since the last report
	Waits   map[int]int64 `json:",omitempty"` // histogram of their waits
	Shared  bool
	Failed  int64 `json:",omitempty"` // sends failed, but stopped ones
	Stopped int64 `json:",omitempty"` // sends refused by a stop
	Quota   int64 `json:",omitempty"` // sends answered "over quota"
	Stop    bool  `json:",omitempty"` // a stop of the class asked about is in force
}

// Wait times go in buckets growing by 10% from 10µs.
func waitBucket(d time.Duration) int {
	if d <= 10*time.Microsecond {
		return 0
	}
	return int(math.Log(float64(d)/float64(10*time.Microsecond))/math.Log(1.1)) + 1
}

func bucketTop(b int) time.Duration {
	return time.Duration(float64(10*time.Microsecond) * math.Pow(1.1, float64(b)))
}

// timedWaits is a mipush.Limiter that counts the turns of a Limiter and
// their waits.
type timedWaits struct {
	*redislimit.Limiter
	mu    sync.Mutex
	turns int64
	hist  map[int]int64
}

func (w *timedWaits) Wait(ctx context.Context, app string, n int) error {
	start := time.Now()
	err := w.Limiter.Wait(ctx, app, n)
	if err == nil {
		b := waitBucket(time.Since(start))
		w.mu.Lock()
		w.turns += int64(n)
		w.hist[b]++
		w.mu.Unlock()
	}
	return err
}

// take returns the turns and waits since the last take.
func (w *timedWaits) take() (int64, map[int]int64) {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, h := w.turns, w.hist
	w.turns, w.hist = 0, make(map[int]int64)
	return t, h
}

// runSender is the sender process: four goroutines send as fast as the
// Limiter lets them, and commands come one a line on stdin, each
// answered with one line of JSON on stdout: "report", "send <class>
// <n>" (n blocking sends of a message class), "stop <class>" (is a stop
// of it in force?), "quit".
func runSender() int {
	var cfg senderConfig
	if err := json.Unmarshal([]byte(os.Getenv(senderEnv)), &cfg); err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		return 2
	}
	pem, err := os.ReadFile(cfg.CAFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		return 2
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis, ContextTimeoutEnabled: true, MaxRetries: -1, DialTimeout: time.Second})
	defer rdb.Close()
	lim, err := redislimit.New(rdb, redislimit.Options{
		Rate: cfg.Rate, Logger: slog.New(slog.NewTextHandler(os.Stderr, nil)),
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		return 2
	}
	timed := &timedWaits{Limiter: lim, hist: make(map[int]int64)}
	var failed, stopped atomic.Int64
	count := func(err error) {
		if errors.Is(err, mipush.ErrStopped) {
			stopped.Add(1)
		} else {
			failed.Add(1)
		}
	}
	c := mipush.NewClient(mipush.Options{
		AppSecret: fleetSecret, Host: cfg.Host,
		TLSConfig: &tls.Config{RootCAs: roots, ServerName: "localhost", MinVersion: tls.VersionTLS12},
		Conns:     2, Limiter: timed,
		OnError: func(e *mipush.SendError) { count(e) },
	})
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ctx.Err() == nil; n++ {
				if err := c.PushToRegIDAsync(ctx, []string{"r" + strconv.Itoa(g)}, msg(n)); err != nil && ctx.Err() == nil {
					count(err)
				}
			}
		}()
	}
	app := mipush.AppDigest(fleetSecret)
	out := json.NewEncoder(os.Stdout)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		f := strings.Fields(in.Text())
		rep := senderReport{Shared: lim.Shared()}
		switch {
		case len(f) == 1 && f[0] == "report":
			rep.Turns, rep.Waits = timed.take()
			rep.Failed, rep.Stopped = failed.Load(), stopped.Load()
		case len(f) == 3 && f[0] == "send":
			n, _ := strconv.Atoi(f[2])
			for i := range n {
				m := msg(i)
				m.ChannelID = f[1]
				_, err := c.PushToRegID(ctx, []string{"q"}, m)
				switch {
				case errors.Is(err, mipush.ErrStopped):
					rep.Stopped++
				case mipush.IsQuotaExceeded(err):
					rep.Quota++
				}
			}
		case len(f) == 2 && f[0] == "stop":
			_, rep.Stop = lim.SharedStop(app, f[1])
		case len(f) == 1 && f[0] == "quit":
			stop()
			wg.Wait()
			_ = c.Close()
			_ = lim.Close()
			rep.Failed = failed.Load()
			_ = out.Encode(rep)
			return 0
		}
		_ = out.Encode(rep)
	}
	return 1
}
