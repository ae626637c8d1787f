package engine

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxProxyAnswer bounds the proxy's answer to CONNECT, status line,
// headers and any body together: a proxy that talks on (one endless
// header line) fails the dial instead of growing the heap. Real answers
// are a few hundred bytes.
const maxProxyAnswer = 64 << 10

// errProxyAnswerTooLarge is what capReader returns past its cap.
var errProxyAnswerTooLarge = errors.New("answer to CONNECT exceeds " + strconv.Itoa(maxProxyAnswer) + " bytes")

// capReader reads from r until n bytes have been read, then fails with
// errProxyAnswerTooLarge.
type capReader struct {
	r io.Reader
	n int
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.n <= 0 {
		return 0, errProxyAnswerTooLarge
	}
	if len(p) > c.n {
		p = p[:c.n]
	}
	n, err := c.r.Read(p)
	c.n -= n
	return n, err
}

// DialProxy opens a tunnel to addr through the HTTP proxy at proxy with a
// CONNECT request, authenticating with the proxy URL's user info. The
// proxy's answer may be at most maxProxyAnswer bytes.
func DialProxy(ctx context.Context, dial func(context.Context, string, string) (net.Conn, error), proxy *url.URL, addr string) (net.Conn, error) {
	if proxy.Scheme != "http" && proxy.Scheme != "" {
		return nil, errors.New("mipush: unsupported proxy scheme " + strconv.Quote(proxy.Scheme) + " (only http CONNECT proxies)")
	}
	proxyAddr := proxy.Host
	if proxy.Port() == "" {
		proxyAddr = net.JoinHostPort(proxy.Hostname(), "80")
	}
	conn, err := dial(ctx, "tcp", proxyAddr)
	if err != nil {
		return nil, err
	}
	if err := connect(ctx, conn, proxy, addr); err != nil {
		conn.Close()
		return nil, err
	}
	return conn, nil
}

// connect sends CONNECT addr on conn and reads the proxy's answer.
func connect(ctx context.Context, conn net.Conn, proxy *url.URL, addr string) error {
	if d, ok := ctx.Deadline(); ok {
		conn.SetDeadline(d)
		defer conn.SetDeadline(time.Time{})
	}
	req := &http.Request{
		Method: "CONNECT",
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: make(http.Header),
	}
	if u := proxy.User; u != nil {
		pass, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+pass)))
	}
	if err := req.Write(conn); err != nil {
		return err
	}
	br := bufio.NewReader(&capReader{r: conn, n: maxProxyAnswer})
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		if errors.Is(err, errProxyAnswerTooLarge) {
			err = errProxyAnswerTooLarge // without the parser's wrapping
		}
		return errors.New("mipush: proxy " + proxy.Redacted() + ": " + err.Error())
	}
	resp.Body.Close() // a refusal's page is read within the cap too
	if resp.StatusCode != http.StatusOK {
		return &ProxyRefusal{Status: resp.StatusCode, msg: "mipush: proxy " + proxy.Redacted() + " refused CONNECT " + addr + ": " + resp.Status}
	}
	// The server speaks only after our ClientHello, so nothing can be
	// buffered past the proxy's answer.
	if br.Buffered() > 0 {
		return errors.New("mipush: proxy " + proxy.Redacted() + " sent data after its CONNECT answer")
	}
	return nil
}

// ProxyRefusal is a CONNECT answered with another status than 200.
type ProxyRefusal struct {
	Status int // the proxy's HTTP status
	msg    string
}

func (e *ProxyRefusal) Error() string { return e.msg }

// Permanent reports a refusal that trying again will not change (wrong
// credentials, a forbidden host), as opposed to a failing upstream (5xx).
func (e *ProxyRefusal) Permanent() bool { return e.Status >= 400 && e.Status < 500 }
