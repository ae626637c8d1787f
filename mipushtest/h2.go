// The x/net/http2 Server is deprecated in favour of net/http's, which
// offers no way to serve one connection the caller accepted and whose TLS
// handshake it did; ServeConn is exactly what this package needs.
//
//lint:file-ignore SA1019 see above

package mipushtest

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// h2server is the HTTP/2 server shared by a Server's connections.
type h2server struct {
	srv  *http2.Server
	base *http.Server // quiet: its ErrorLog discards
}

func newH2Server(maxStreams uint32) h2server {
	h := h2server{
		srv:  &http2.Server{MaxConcurrentStreams: maxStreams},
		base: &http.Server{ErrorLog: log.New(io.Discard, "", 0)},
	}
	// ConfigureServer gives the Server its own internal state; without it,
	// x/net/http2 pools channels globally, and a channel created inside a
	// testing/synctest bubble would be reused outside it (a fatal error).
	// It cannot fail on a fresh http.Server.
	http2.ConfigureServer(h.base, h.srv)
	return h
}

// connKey is the context key of the *conn an HTTP/2 request came on.
type connKey struct{}

// h2state tracks the handlers running on an HTTP/2 connection, so that the
// connection's goroutine can wait for them before it ends.
type h2state struct {
	mu       sync.Mutex
	done     bool
	handlers sync.WaitGroup
}

// enter registers a handler; it returns false once the connection has ended.
func (st *h2state) enter() bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.done {
		return false
	}
	st.handlers.Add(1)
	return true
}

// serveH2 serves the connection with golang.org/x/net/http2 until it ends,
// then waits for its handlers.
func (c *conn) serveH2() {
	s := c.s
	s.h2.srv.ServeConn(c.tc, &http2.ServeConnOpts{
		Context:    context.WithValue(s.ctx, connKey{}, c),
		BaseConfig: s.h2.base,
		Handler:    http.HandlerFunc(s.serveH2Request),
	})
	c.h2.mu.Lock()
	c.h2.done = true
	c.h2.mu.Unlock()
	c.h2.handlers.Wait()
}

// serveH2Request handles one HTTP/2 request.
func (s *Server) serveH2Request(w http.ResponseWriter, hr *http.Request) {
	c, _ := hr.Context().Value(connKey{}).(*conn)
	if c == nil || !c.h2.enter() {
		return
	}
	defer c.h2.handlers.Done()
	c.noteInFlight(c.inFlight.Add(1))
	defer c.inFlight.Add(-1)

	x, _ := s.exchanges.Get().(*exchange)
	if x == nil {
		x = &exchange{s: s}
	}
	defer s.exchanges.Put(x)
	x.c = c
	b := s.beh.Load()
	r := x.begin(b)
	r.Time = time.Now()
	r.Method = hr.Method
	r.RawQuery = hr.URL.RawQuery
	if x.ep = s.routes[hr.URL.Path]; x.ep != nil {
		r.Path = x.ep.Path
	} else {
		r.Path = hr.URL.Path
	}
	r.Authorization = hr.Header.Get("Authorization")
	r.ContentType = hr.Header.Get("Content-Type")
	x.hostListAsked = strings.EqualFold(hr.Header.Get("X-Push-Host-List"), "true")
	if b.fresh() {
		r.Header = hr.Header.Clone()
	}
	buf := bytes.NewBuffer(x.body[:0])
	n, err := buf.ReadFrom(io.LimitReader(hr.Body, maxBodySize+1))
	x.body = buf.Bytes()
	if err != nil {
		return // the stream was reset
	}
	if n > maxBodySize {
		x.fail(http.StatusRequestEntityTooLarge, 10012, "request body too large", "")
		s.writeH2(w, x)
		return
	}

	if !x.process() || x.action == Drop {
		c.raw.Close()
		return
	}
	if x.action == Stall {
		select {
		case <-hr.Context().Done():
		case <-s.ctx.Done():
		}
		return
	}
	if d := time.Until(x.due); !x.due.IsZero() && d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-hr.Context().Done():
			t.Stop()
			return
		case <-s.ctx.Done():
			t.Stop()
			return
		}
	}
	s.writeH2(w, x)
}

// writeH2 writes the answer in x. "Connection: close" makes x/net/http2
// send GOAWAY and close the connection once its streams are done.
func (s *Server) writeH2(w http.ResponseWriter, x *exchange) {
	h := w.Header()
	h["Content-Type"] = []string{x.ctype}
	h["Content-Length"] = []string{strconv.Itoa(len(x.out))}
	for _, f := range x.hdr {
		h.Add(f.name, f.value)
	}
	if x.action == CloseGracefully {
		h["Connection"] = []string{"close"}
	}
	w.WriteHeader(x.status)
	w.Write(x.out)
}
