package mipush_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// connectProxy is a minimal HTTP CONNECT proxy on loopback that records
// what it was asked.
type connectProxy struct {
	ln      net.Listener
	wg      sync.WaitGroup
	mu      sync.Mutex
	targets []string
	auths   []string
}

func newConnectProxy(t *testing.T) *connectProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &connectProxy{ln: ln}
	p.wg.Add(1)
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.wg.Wait() })
	return p
}

func (p *connectProxy) serve() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.tunnel(c)
		}()
	}
}

func (p *connectProxy) tunnel(c net.Conn) {
	defer c.Close()
	req, err := http.ReadRequest(bufio.NewReader(c))
	if err != nil || req.Method != "CONNECT" {
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, req.Host)
	p.auths = append(p.auths, req.Header.Get("Proxy-Authorization"))
	p.mu.Unlock()
	if req.Header.Get("Proxy-Authorization") == "" {
		io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
		return
	}
	up, err := net.Dial("tcp", req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	done := make(chan struct{})
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); close(done) }()
	io.Copy(c, up)
	c.(*net.TCPConn).CloseWrite()
	<-done
}

func TestThroughConnectProxy(t *testing.T) {
	protocols(t, func(t *testing.T, h2 bool) {
		proxy := newConnectProxy(t)
		proxyURL := &url.URL{Scheme: "http", Host: proxy.ln.Addr().String(), User: url.UserPassword("alice", "pw")}
		srv, c := newPair(t, h2, mipush.Options{
			Conns: 1,
			Proxy: func(string) (*url.URL, error) { return proxyURL, nil },
		})
		res, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
		require.NoError(t, err)
		assert.NotEmpty(t, res.ID)
		assert.Equal(t, wantProto(h2), srv.Requests()[0].Proto)
		proxy.mu.Lock()
		defer proxy.mu.Unlock()
		assert.Equal(t, []string{srv.Host()}, proxy.targets)
		assert.Equal(t, []string{"Basic YWxpY2U6cHc="}, proxy.auths) // alice:pw
	})
}

func TestProxyRefusal(t *testing.T) {
	proxy := newConnectProxy(t)
	_, c := newPair(t, false, mipush.Options{
		MaxAttempts: 1,
		Proxy:       func(string) (*url.URL, error) { return &url.URL{Scheme: "http", Host: proxy.ln.Addr().String()}, nil },
	})
	_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "407")
}

func TestEnvironmentProxyNeverForLoopback(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:1") // nothing listens there
	srv, c := newPair(t, false, mipush.Options{})
	_, err := c.PushToRegID(context.Background(), []string{"r"}, note(1))
	require.NoError(t, err)
	assert.Equal(t, int64(1), srv.Count())

	f := mipush.ProxyFromEnvironment()
	u, err := f("api.xmpush.xiaomi.com:443")
	require.NoError(t, err)
	require.NotNil(t, u)
	assert.Equal(t, "127.0.0.1:1", u.Host)
	u, err = f("127.0.0.1:443")
	require.NoError(t, err)
	assert.Nil(t, u)
	_ = mipushtest.Options{}
}

// A proxy that answers CONNECT with one endless header line fails the
// dial once the answer passes MaxProxyAnswerBytes, naming the cap, instead
// of growing the heap for as long as it talks. The answer read is counted
// on the proxy's side: the client stops reading at the cap.
func TestProxyEndlessAnswerCapped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var sent []int64 // bytes of answer each connection got out before the client gave up
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				n, _ := io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Endless: ")
				chunk := []byte(strings.Repeat("a", 4096))
				total := int64(n)
				for total < 64<<20 { // at most 64 MiB, so an uncapped client ends too
					m, err := c.Write(chunk)
					total += int64(m)
					if err != nil {
						break
					}
				}
				mu.Lock()
				sent = append(sent, total)
				mu.Unlock()
			})
		}
	})
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	_, c := newPair(t, false, mipush.Options{
		MaxAttempts: 1, QueueTimeout: 2 * time.Second,
		Proxy: func(string) (*url.URL, error) { return &url.URL{Scheme: "http", Host: ln.Addr().String()}, nil },
	})
	_, err = c.PushToRegID(context.Background(), []string{"r"}, note(1))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "answer to CONNECT exceeds 65536 bytes", "%v", err)
	require.NoError(t, c.Close())
	ln.Close()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, sent)
	for _, n := range sent {
		// What the kernel's socket buffers hold on both sides comes on
		// top of what the client read; far below the proxy's 64 MiB.
		assert.Less(t, n, int64(16<<20), "the client read on past the cap")
	}
}
