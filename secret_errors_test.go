package mipush_test

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/internal/h2conn"
	"github.com/mipush-go/mipush/internal/wire"
	"github.com/mipush-go/mipush/mipushtest"
)

// The app secret and a proxy password, as the leak test uses them.
const (
	leakSecret   = "s3cr3t-QQQ"
	leakProxyPwd = "pr0xy-pw-ZZZ"
)

// stopScenario arms a client-side stop with the answer armed to a send and
// returns the answer's error and the errors of a blocking and an async send
// that the stop then fails.
func stopScenario(t *testing.T, opts mipush.Options, h2 bool, armed *mipushtest.Answer, is func(error) bool) []any {
	srv, c := newPair(t, h2, opts)
	srv.FailPath("/v3/message/regid", armed)
	ctx := context.Background()
	_, first := c.PushToRegID(ctx, []string{"r"}, note(1))
	require.True(t, is(first), "%v", first)
	_, stopped := c.PushToRegID(ctx, []string{"r"}, note(2))
	require.ErrorIs(t, stopped, mipush.ErrStopped)
	async := c.PushToRegIDAsync(ctx, []string{"r"}, note(3))
	require.ErrorIs(t, async, mipush.ErrStopped)
	return []any{first, stopped, async}
}

// collectOutcomes sets the callbacks of opts to keep every value they are
// given; the function it returns reads what was kept so far.
func collectOutcomes(opts *mipush.Options) func() []any {
	var mu sync.Mutex
	var got []any
	keep := func(v any) { mu.Lock(); got = append(got, v); mu.Unlock() }
	opts.OnError = func(se *mipush.SendError) { keep(se) }
	opts.OnSuccess = func(sr *mipush.SendResult) { keep(sr) }
	opts.OnInvalidTargets = func(it *mipush.InvalidTargets) { keep(it) }
	return func() []any {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// leakScenarios make, each by driving a client the way a caller would
// (or, for the exported error types of the connection packages, by
// building them), every value the library hands to a caller: errors
// returned or passed to callbacks and the Observer, and the outcome values
// that carry them. TestNoErrorHoldsTheSecret checks that every error type
// of the library (found in its source) is reached by one of them: a new
// error type needs a scenario here.
var leakScenarios = []struct {
	name string
	make func(t *testing.T, opts mipush.Options) []any
}{
	{"validation", func(t *testing.T, opts mipush.Options) []any {
		_, c := newPair(t, true, opts)
		_, err := c.PushToRegID(context.Background(), nil, note(1))
		bad := opts
		bad.Window = -1
		return []any{err, bad.Validate(), c.WithSecret("x\x01" + leakSecret).Flush(context.Background())}
	}},
	{"retired call", func(t *testing.T, opts mipush.Options) []any {
		_, c := newPair(t, true, opts)
		_, err := c.RevokeTopic(context.Background(), "com.example.app", 1, "news")
		require.ErrorIs(t, err, mipush.ErrRetired)
		return []any{err}
	}},
	{"rate-limit turn after the deadline", func(t *testing.T, opts mipush.Options) []any {
		opts.RateLimit, opts.RateBurst = 1e-6, 1 // the next turn in 11 days
		_, c := newPair(t, true, opts)
		bg := context.Background()
		_, err := c.PushToRegID(bg, []string{"r"}, note(1)) // spends the burst
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(bg, time.Hour)
		defer cancel()
		_, err = c.PushToRegID(ctx, []string{"r"}, note(2))
		require.ErrorIs(t, err, context.DeadlineExceeded)
		return []any{err}
	}},
	{"API error, sync and async outcomes, invalid targets, Pending", func(t *testing.T, opts mipush.Options) []any {
		outcomes := collectOutcomes(&opts)
		srv, c := newPair(t, true, opts)
		srv.FailTarget("bad", mipushtest.ErrorAnswer(20301, "no valid targets"))
		srv.SetBadRegIDs("gone")
		ctx := context.Background()
		_, err := c.PushToRegID(ctx, []string{"bad"}, note(1))
		require.Error(t, err)
		res, err2 := c.PushToRegID(ctx, []string{"ok", "gone"}, note(2))
		require.NoError(t, err2)
		require.NoError(t, c.PushToRegIDAsync(ctx, []string{"bad"}, note(3)))
		require.NoError(t, c.SendAsync(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"ok", "gone"}}, Message: note(4), Value: "v"}))
		p, err3 := c.Start(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{"bad"}}, Message: note(5)})
		require.NoError(t, err3)
		_, perr := p.Get(ctx)
		require.Error(t, perr)
		require.NoError(t, c.Flush(ctx))
		return append(outcomes(), err, res, handle{p}, handle{*p}, perr, c.Metrics(), handle{c}, handle{c.WithSecret(leakSecret + "-view")})
	}},
	{"batched outcomes", func(t *testing.T, opts mipush.Options) []any {
		outcomes := collectOutcomes(&opts)
		opts.Batch = mipush.BatchOptions{Enabled: true}
		srv, c := newPair(t, true, opts)
		srv.SetBadRegIDs("gone")
		srv.FailTarget("bad", mipushtest.ErrorAnswer(10017, "invalid"))
		ctx := context.Background()
		for _, id := range []string{"ok", "gone", "bad", "ok"} {
			require.NoError(t, c.PushToRegIDAsync(ctx, []string{id}, note(1)))
		}
		require.NoError(t, c.Flush(ctx))
		got := outcomes()
		require.NotEmpty(t, got)
		return got
	}},
	{"stopped after a wrong secret", func(t *testing.T, opts mipush.Options) []any {
		return stopScenario(t, opts, true, mipushtest.ErrorAnswer(21301, "Invalid application secret."), mipush.IsAuth)
	}},
	{"stopped after a daily-quota answer", func(t *testing.T, opts mipush.Options) []any {
		return stopScenario(t, opts, false, mipushtest.ErrorAnswer(200001, "exceed quota, quota: 1, have acked: 1"), mipush.IsQuotaExceeded)
	}},
	{"bulk", func(t *testing.T, opts mipush.Options) []any {
		srv, c := newPair(t, true, opts)
		srv.FailTarget("bad", mipushtest.ErrorAnswer(20301, "no valid targets"))
		res, err := c.PushBulk(context.Background(), mipush.TargetRegID, []string{"bad"}, note(1))
		require.Error(t, err)
		return []any{res, err}
	}},
	{"undecodable data", func(t *testing.T, opts mipush.Options) []any {
		srv, c := newPair(t, false, opts)
		srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer {
			return &mipushtest.Answer{Body: []byte(`{"result":"ok","code":0,"data":[1]}`)}
		})
		_, err := c.Stats(context.Background(), "com.example.app", time.Now(), time.Now())
		var de *mipush.DataError
		require.ErrorAs(t, err, &de)
		return []any{err}
	}},
	{"dropped connection", func(t *testing.T, opts mipush.Options) []any {
		opts.MaxAttempts = 1
		srv, c := newPair(t, false, opts)
		srv.SetHook(func(*mipushtest.Request) *mipushtest.Answer { return &mipushtest.Answer{Action: mipushtest.Drop} })
		_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
		require.ErrorIs(t, err, mipush.ErrMaybeProcessed)
		return []any{err}
	}},
	{"proxy refusal", func(t *testing.T, opts mipush.Options) []any {
		proxy := newConnectProxy(t)
		opts.QueueTimeout = 10 * time.Second // a refusal ends the wait at once
		opts.Proxy = func(string) (*url.URL, error) { return &url.URL{Scheme: "http", Host: proxy.ln.Addr().String()}, nil }
		_, c := newPair(t, false, opts)
		_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
		require.ErrorContains(t, err, "407")
		return []any{err}
	}},
	{"proxy with a password that does not answer", func(t *testing.T, opts mipush.Options) []any {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		// A second: room for a refused dial under load.
		opts.QueueTimeout = time.Second
		opts.Proxy = func(string) (*url.URL, error) {
			return &url.URL{Scheme: "http", Host: addr, User: url.UserPassword("alice", leakProxyPwd)}, nil
		}
		_, c := newPair(t, false, opts)
		_, err = c.PushToRegID(context.Background(), []string{"r"}, note(1))
		require.ErrorIs(t, err, mipush.ErrQueueTimeout)
		return []any{err}
	}},
	{"dial timeout", func(t *testing.T, opts mipush.Options) []any {
		opts.DialTimeout = 100 * time.Millisecond
		opts.QueueTimeout = time.Second // room for a timed-out dial under load
		opts.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}
		_, c := newPair(t, false, opts)
		_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
		require.ErrorIs(t, err, mipush.ErrQueueTimeout)
		return []any{err}
	}},
	{"TLS verification failure", func(t *testing.T, opts mipush.Options) []any {
		srv := mipushtest.NewServer(mipushtest.Options{})
		defer srv.Close()
		// A failed verification ends the wait at once; the client
		// trusts the system roots only.
		opts.Host, opts.QueueTimeout = srv.Host(), 10*time.Second
		c := mipush.NewClient(opts)
		defer c.Close()
		_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
		require.ErrorContains(t, err, "x509")
		return []any{err}
	}},
	{"connection errors, as built by the connections", func(t *testing.T, opts mipush.Options) []any {
		return []any{
			&wire.Error{Err: &h2conn.GoAwayError{LastStreamID: 1, Debug: "bye"}, NotProcessed: true},
			&wire.Error{Err: &h2conn.ResetError{StreamID: 3}},
		}
	}},
	{"protocol error of a hostile HTTP/2 server", func(t *testing.T, opts mipush.Options) []any {
		var got []any
		srvTLS, cliTLS := hostileTLS(t)
		synctest.Test(t, func(t *testing.T) {
			headers := make(chan struct{}, 1)
			h := &hostileH2{tls: srvTLS, closing: make(chan struct{}),
				// Read the client's SETTINGS and WINDOW_UPDATE before
				// writing ours, and acknowledge them from serve, while
				// the reader runs: a net.Pipe buffers nothing, so writing
				// while the client writes would block both.
				first: func(fr *http2.Framer) {
					for {
						fm, err := fr.ReadFrame()
						if err != nil {
							return
						}
						if _, ok := fm.(*http2.WindowUpdateFrame); ok {
							break
						}
					}
					fr.WriteSettings()
				},
				onFrame: func(fm http2.Frame) bool {
					if _, ok := fm.(*http2.HeadersFrame); ok {
						select {
						case headers <- struct{}{}:
						default:
						}
					}
					return true
				},
				serve: func(w *frameWriter) {
					w.write(func(fr *http2.Framer) error { return fr.WriteSettingsAck() })
					select {
					case <-headers:
					case <-w.done:
						return
					}
					// Two maximal increments overflow the connection window.
					w.write(func(fr *http2.Framer) error {
						fr.WriteWindowUpdate(0, 1<<31-1)
						return fr.WriteWindowUpdate(0, 1<<31-1)
					})
				}}
			obs := &closeRecorder{}
			opts.Host, opts.TLSConfig, opts.Proxy, opts.DialContext = "example.com", cliTLS, mipush.NoProxy, h.dial
			opts.Observer, opts.Conns, opts.MaxAttempts = obs, 1, 1
			opts.RequestTimeout, opts.DialTimeout = time.Second, time.Second
			c := mipush.NewClient(opts)
			_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
			require.Error(t, err)
			require.NoError(t, c.Close())
			h.close()
			obs.mu.Lock()
			defer obs.mu.Unlock()
			require.NotEmpty(t, obs.errs, "%v ", err)
			got = append(obs.errs, err)
		})
		return got
	}},
}

// Every value the library hands to a caller — each error type it can
// return (API, send, stop, validation, bulk, data, dial, TLS and proxy
// errors, those of the connections) and the outcome values — is free of
// the app secret, and of a proxy's password: no fmt verb prints it, and
// it is nowhere in the value's memory at all (a deep walk of every field,
// exported or not, through pointers, interfaces, slices and maps), so
// that no future way of printing can find it. Nothing logged has it
// either. Every error type declared in the library's source must be met
// on the way, so a new one needs a scenario in leakScenarios.
func TestNoErrorHoldsTheSecret(t *testing.T) {
	declared := declaredErrorTypes(t)
	require.NotEmpty(t, declared)
	var logs syncBuffer
	opts := mipush.Options{AppSecret: leakSecret, Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	met := map[string]bool{}
	ran := 0
	for _, sc := range leakScenarios {
		t.Run(sc.name, func(t *testing.T) {
			ran++
			for i, v := range sc.make(t, opts) {
				require.NotNil(t, v, "value %d", i)
				if h, ok := v.(handle); ok {
					checkNoVerbPrintsSecret(t, h.v)
					continue
				}
				checkNoVerbPrintsSecret(t, v)
				w := &secretWalker{t: t, seen: map[any]bool{}, met: met}
				w.walk(reflect.ValueOf(v), fmt.Sprintf("value %d (%T)", i, v))
			}
		})
	}
	if ran < len(leakScenarios) {
		return // some scenarios filtered out by -run
	}
	for _, name := range declared {
		assert.True(t, met[name], "no scenario in leakScenarios makes a %s: add one", name)
	}
	for _, leak := range []string{leakSecret, leakProxyPwd} {
		assert.NotContains(t, logs.String(), leak)
	}
}

// handle marks a value that holds the client's credential by design (a
// Client, a Pending, which reaches its send's request): it is printed
// with every verb but not walked.
type handle struct{ v any }

// leakVerbs are the fmt verbs and forms a caller may print a value with.
var leakVerbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "% x", "%d", "%t", "%o", "%O", "%b", "%e", "%f", "%g", "%c", "%U", "%T", "%p", "%10.3v", "%-x", "%#x", "%#q"}

// checkNoVerbPrintsSecret prints v with every verb, alone and inside a
// slice and a struct of the caller's, and looks for the secrets in plain
// text and in hex.
func checkNoVerbPrintsSecret(t *testing.T, v any) {
	t.Helper()
	holder := struct {
		V   any
		Err any
	}{v, v}
	for _, verb := range leakVerbs {
		for _, out := range []string{fmt.Sprintf(verb, v), fmt.Sprintf(verb, []any{v}), fmt.Sprintf(verb, holder)} {
			for _, leak := range []string{leakSecret, leakProxyPwd} {
				for _, form := range []string{leak, fmt.Sprintf("%x", leak), fmt.Sprintf("%X", leak)} {
					if strings.Contains(out, form) {
						t.Errorf("%s of %T prints the secret: %s", verb, v, out)
					}
				}
			}
		}
	}
}

// secretWalker visits everything reachable from a value and fails the
// test where a string or byte slice holds a secret. It records the named
// types it meets, as "import/path.Name".
type secretWalker struct {
	t    *testing.T
	seen map[any]bool
	met  map[string]bool
}

func (w *secretWalker) walk(v reflect.Value, path string) {
	if !v.IsValid() {
		return
	}
	if n := v.Type().Name(); n != "" && v.Type().PkgPath() != "" {
		w.met[v.Type().PkgPath()+"."+n] = true
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return
		}
		key := struct {
			p uintptr
			t reflect.Type
		}{v.Pointer(), v.Type()}
		if w.seen[key] {
			return
		}
		w.seen[key] = true
		w.walk(v.Elem(), path)
	case reflect.Interface:
		w.walk(v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			w.walk(v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			b := make([]byte, v.Len())
			for i := range b {
				b[i] = byte(v.Index(i).Uint())
			}
			w.check(string(b), path)
			return
		}
		for i := range v.Len() {
			w.walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			w.walk(it.Key(), path+"[key]")
			w.walk(it.Value(), path+"[value]")
		}
	case reflect.String:
		w.check(v.String(), path)
	}
}

func (w *secretWalker) check(s, path string) {
	for _, leak := range []string{leakSecret, leakProxyPwd} {
		if strings.Contains(s, leak) {
			w.t.Errorf("%s holds a secret: %q", path, s)
		}
	}
}

// declaredErrorTypes lists, from the source of the library's packages
// (the root package, receipt and internal/*, tests excluded), every type
// with an Error() string method, as "import/path.Name".
func declaredErrorTypes(t *testing.T) []string {
	const module = "github.com/mipush-go/mipush"
	dirs := []string{".", "receipt"}
	internal, err := filepath.Glob("internal/*")
	require.NoError(t, err)
	dirs = append(dirs, internal...)
	var names []string
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		require.NoError(t, err)
		path := module
		if dir != "." {
			path += "/" + filepath.ToSlash(dir)
		}
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
			require.NoError(t, err)
			for _, d := range f.Decls {
				if name, ok := errorMethodReceiver(d); ok {
					names = append(names, path+"."+name)
				}
			}
		}
	}
	slices.Sort(names)
	t.Logf("error types declared: %d", len(names))
	return slices.Compact(names)
}

// errorMethodReceiver returns the receiver type's name if d is a method
// Error() string.
func errorMethodReceiver(d ast.Decl) (string, bool) {
	fd, ok := d.(*ast.FuncDecl)
	if !ok || fd.Recv == nil || fd.Name.Name != "Error" || fd.Type.Params.NumFields() != 0 ||
		fd.Type.Results.NumFields() != 1 {
		return "", false
	}
	if id, ok := fd.Type.Results.List[0].Type.(*ast.Ident); !ok || id.Name != "string" {
		return "", false
	}
	typ := fd.Recv.List[0].Type
	if star, ok := typ.(*ast.StarExpr); ok {
		typ = star.X
	}
	id, ok := typ.(*ast.Ident)
	if !ok {
		return "", false
	}
	return id.Name, true
}

// closeRecorder is an Observer that keeps the errors connections closed
// with.
type closeRecorder struct {
	mu   sync.Mutex
	errs []any
}

func (*closeRecorder) RequestDone(mipush.RequestInfo) {}
func (*closeRecorder) ConnOpened(mipush.ConnInfo)     {}
func (r *closeRecorder) ConnClosed(_ mipush.ConnInfo, err error) {
	if err != nil {
		r.mu.Lock()
		r.errs = append(r.errs, err)
		r.mu.Unlock()
	}
}
