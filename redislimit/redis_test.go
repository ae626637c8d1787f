package redislimit_test

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// testRedis is a Redis for a test: the one at REDIS_ADDR, or a
// redis-server from PATH started on a free loopback port.
type testRedis struct {
	t    testing.TB
	addr string
	own  bool // started here: the test may stop, pause and restart it

	mu   sync.Mutex
	cmd  *exec.Cmd
	logs bytes.Buffer
}

// startRedis returns a Redis for t, stopped when t ends. Without
// REDIS_ADDR and without redis-server in PATH it skips t, or fails it
// when CI=true, since CI must run these tests.
func startRedis(t testing.TB) *testRedis {
	t.Helper()
	if addr := os.Getenv("REDIS_ADDR"); addr != "" {
		return &testRedis{t: t, addr: addr}
	}
	if _, err := exec.LookPath("redis-server"); err != nil {
		msg := "redis-server is not installed and REDIS_ADDR is not set: these tests need a real Redis (apt-get install redis-server, or run .ci/redis.sh)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	r := &testRedis{t: t, addr: freeAddr(t), own: true}
	r.start()
	t.Cleanup(r.stop)
	return r
}

// freeAddr returns a loopback address with a port free at the moment.
func freeAddr(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// start starts redis-server on r.addr and waits until it answers.
func (r *testRedis) start() {
	r.t.Helper()
	_, port, _ := net.SplitHostPort(r.addr)
	r.mu.Lock()
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no")
	cmd.Stdout, cmd.Stderr = &r.logs, &r.logs
	require.NoError(r.t, cmd.Start())
	r.cmd = cmd
	r.mu.Unlock()
	rdb := redis.NewClient(&redis.Options{Addr: r.addr, MaxRetries: -1})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := rdb.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on %s did not answer within 10s: %v\n%s", r.addr, err, r.logs.String())
		}
		time.Sleep(10 * time.Millisecond) // polling a process's start-up
	}
}

// stop stops the redis-server started here, if it runs.
func (r *testRedis) stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGCONT) // in case it was paused
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// pause stops the server's process without closing its connections, so
// that calls hang as they do on a stuck server.
func (r *testRedis) pause() { r.signal(syscall.SIGSTOP) }

// resume undoes pause.
func (r *testRedis) resume() { r.signal(syscall.SIGCONT) }

func (r *testRedis) signal(s syscall.Signal) {
	r.mu.Lock()
	defer r.mu.Unlock()
	require.NotNil(r.t, r.cmd, "redis-server is not running")
	require.NoError(r.t, r.cmd.Process.Signal(s))
}

// needOwn skips t unless the Redis was started here.
func (r *testRedis) needOwn(t testing.TB) {
	if !r.own {
		t.Skip("this test stops and restarts redis-server, which it cannot do with REDIS_ADDR=" + r.addr)
	}
}

// client returns a Redis client for r, closed when the test ends. Each
// client has its own connections, as a process of a fleet has.
func (r *testRedis) client(t testing.TB) *redis.Client {
	rdb := redis.NewClient(&redis.Options{
		Addr:                  r.addr,
		ContextTimeoutEnabled: true,
		MaxRetries:            -1,
		DialTimeout:           time.Second,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// flush empties the database, so tests do not see each other's keys.
func (r *testRedis) flush(t testing.TB) {
	rdb := r.client(t)
	require.NoError(t, rdb.FlushDB(context.Background()).Err())
}
