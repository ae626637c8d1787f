package mipush_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// Helpers shared by the tests of the management calls (api_*_test.go).

const apiPkg = "com.example.app"

// onlyRequest returns the one request the server recorded, after checking
// that it was the only one and went to path with method.
func onlyRequest(t *testing.T, srv *mipushtest.Server, method, path string) *mipushtest.Request {
	t.Helper()
	reqs := srv.Requests()
	require.Len(t, reqs, 1, "requests recorded")
	checkRequest(t, reqs[0], method, path)
	return reqs[0]
}

// lastRequest returns the last request the server recorded for path, after
// checking its method.
func lastRequest(t *testing.T, srv *mipushtest.Server, method, path string) *mipushtest.Request {
	t.Helper()
	reqs := srv.RequestsTo(path)
	require.NotEmpty(t, reqs, "requests to "+path)
	r := reqs[len(reqs)-1]
	checkRequest(t, r, method, path)
	return r
}

// checkRequest checks that r went to path with method, its parameters where
// method puts them, and was answered with success.
func checkRequest(t *testing.T, r *mipushtest.Request, method, path string) {
	t.Helper()
	require.Equal(t, path, r.Path)
	require.Equal(t, method, r.Method)
	if method == "GET" {
		assert.Empty(t, r.Body, "a GET sends no body")
	} else {
		assert.Empty(t, r.RawQuery, "a POST sends no query")
		assert.Contains(t, r.ContentType, "application/x-www-form-urlencoded")
	}
	assert.Equal(t, 200, r.Status)
	assert.Equal(t, 0, r.Code)
}

// requireCode checks that err is a *SendError wrapping an *APIError with code.
func requireCode(t *testing.T, err error, code mipush.Code) {
	t.Helper()
	var se *mipush.SendError
	require.ErrorAs(t, err, &se)
	var ae *mipush.APIError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, code, ae.Code)
}

// requireInvalid checks that err is a *ValidationError naming field.
func requireInvalid(t *testing.T, err error, field string) {
	t.Helper()
	var ve *mipush.ValidationError
	require.ErrorAs(t, err, &ve)
	require.Equal(t, field, ve.Field, "%v", err)
}

// dialLog records the addresses a client dials.
type dialLog struct {
	mu    sync.Mutex
	addrs []string
}

func (d *dialLog) dial(srv *mipushtest.Server) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		d.mu.Lock()
		d.addrs = append(d.addrs, addr)
		d.mu.Unlock()
		return srv.DialContext(ctx, network, addr)
	}
}

func (d *dialLog) dialled() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.addrs)
}

// regionPair starts a fake server that stands in for every host of region
// and a client for region whose dials all reach it.
func regionPair(t *testing.T, h2 bool, region mipush.Region, names ...string) (*mipushtest.Server, *mipush.Client, *dialLog) {
	t.Helper()
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: h2, DNSNames: names})
	log := &dialLog{}
	c := mipush.NewClient(mipush.Options{
		AppSecret:   "s",
		Region:      region,
		TLSConfig:   srv.ClientTLSConfig(),
		DialContext: log.dial(srv),
		Conns:       1,
	})
	t.Cleanup(func() {
		require.NoError(t, c.Close())
		srv.Close()
	})
	return srv, c, log
}

func TestWithSecret(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{AppSecret: "s", Conns: 1}, mipushtest.Options{Secrets: []string{"s", "s2"}})
		ctx := context.Background()
		v := c.WithSecret("s2")
		require.NotSame(t, c, v)

		_, err := c.PushToRegID(ctx, []string{"r1"}, note(1))
		require.NoError(t, err)
		_, err = v.PushToRegID(ctx, []string{"r2"}, note(2))
		require.NoError(t, err)
		_, err = v.Channels(ctx) // management calls use the view's secret too
		require.NoError(t, err)

		// A wrong secret fails for its view only.
		_, err = c.WithSecret("wrong").PushToRegID(ctx, []string{"r3"}, note(3))
		requireCode(t, err, 21301)
		_, err = c.PushToRegID(ctx, []string{"r4"}, note(4))
		require.NoError(t, err)

		var secrets []string
		for _, r := range srv.Requests() {
			secrets = append(secrets, r.Secret)
		}
		assert.Equal(t, []string{"s", "s2", "s2", "wrong", "s"}, secrets)
		assert.Equal(t, 1, srv.Stats().Conns, "every view shares the client's one connection")
	})
}

func TestWithSecretInvalid(t *testing.T) {
	srv, c := newPair(t, false, mipush.Options{})
	ctx := context.Background()
	for _, secret := range []string{"", "a\r\nX-Evil: 1", "a\x00"} {
		v := c.WithSecret(secret)
		_, err := v.PushToRegID(ctx, []string{"r"}, note(1))
		requireInvalid(t, err, "secret")
		assert.NotContains(t, err.Error(), "Evil", "the error never echoes the secret")
		_, err = v.Channels(ctx)
		requireInvalid(t, err, "secret")
		require.NoError(t, v.Close(), "closing an invalid view does nothing")
	}
	// A view of an invalid client is invalid the same way.
	bad := mipush.NewClient(mipush.Options{})
	_, err := bad.WithSecret("s").Channels(ctx)
	requireInvalid(t, err, "Options.AppSecret")
	var nilClient *mipush.Client
	_, err = nilClient.WithSecret("s").Channels(ctx)
	require.Error(t, err)

	assert.Zero(t, srv.Count(), "nothing was sent")
	_, err = c.PushToRegID(ctx, []string{"r"}, note(1))
	require.NoError(t, err, "the client is unaffected")
}

func TestWithSecretViewDoesNotOwnTheClient(t *testing.T) {
	_, c := newPair(t, true, mipush.Options{})
	v := c.WithSecret("other")
	require.NoError(t, v.Close(), "closing a view does nothing")
	_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
	require.NoError(t, err)
	_, err = v.PushToRegID(context.Background(), []string{"r"}, note(2))
	require.NoError(t, err)
	require.NoError(t, c.Close())
	_, err = v.PushToRegID(context.Background(), []string{"r"}, note(3))
	require.ErrorIs(t, err, mipush.ErrClosed, "closing the client ends its views")
}

func TestManagementCallsReportNilAndClosedClient(t *testing.T) {
	ctx := context.Background()
	var nilClient *mipush.Client
	_, err := nilClient.Channels(ctx)
	require.Error(t, err)
	_, err = nilClient.PushBulk(ctx, mipush.TargetRegID, []string{"r"}, note(1))
	require.Error(t, err)

	// A call after Close, to a host the client never used, must not start
	// a pool (goleak in TestMain would see its goroutines).
	_, c := newPair(t, false, mipush.Options{Region: mipush.RegionEurope})
	require.NoError(t, c.Close())
	_, err = c.TraceMessage(ctx, "slm1")
	require.ErrorIs(t, err, mipush.ErrClosed)
	_, err = c.RegionsOf(ctx, []string{"r"})
	require.ErrorIs(t, err, mipush.ErrClosed)
}

func TestManagementCallRetried(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{Conns: 1})
		srv.SetHook(func(r *mipushtest.Request) *mipushtest.Answer {
			if r.Seq == 1 {
				return mipushtest.ErrorAnswer(10002, "busy") // retryable
			}
			return nil
		})
		_, err := c.Channels(context.Background())
		require.NoError(t, err)
		reqs := srv.RequestsTo("/v1/channel/list")
		require.Len(t, reqs, 2)
		assert.Equal(t, 10002, reqs[0].Code)
		assert.Equal(t, 0, reqs[1].Code)
	})
}

func TestManagementCallAPIError(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		srv, c := newPair(t, h2, mipush.Options{})
		srv.FailPath("/v1/trace/message/status", mipushtest.ErrorAnswer(10039, "too frequent"))
		_, err := c.TraceMessage(context.Background(), "slm1")
		requireCode(t, err, 10039)
		var ae *mipush.APIError
		require.True(t, errors.As(err, &ae))
		assert.Equal(t, "too frequent", ae.Reason)
	})
}
