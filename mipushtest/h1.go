package mipushtest

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strconv"
	"time"

	"github.com/mipush-go/mipush/internal/ascii"
)

// HTTP/1.1 limits.
const (
	h1BufSize   = 16 << 10 // read and write buffers; also the longest header line
	maxBodySize = 16 << 20 // a larger request body is answered 413
)

// badRequest is a malformed HTTP/1.1 request: the server answers status and
// closes the connection.
type badRequest struct {
	status int
	reason string
}

func (e *badRequest) Error() string { return e.reason }

// timedReader notes when its last Read returned: the arrival time of the
// bytes a request was parsed from, read without a clock call per request.
type timedReader struct {
	r    io.Reader
	last time.Time
}

func (t *timedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.last = time.Now()
	return n, err
}

// h1conn is the server side of an HTTP/1.1 connection: one goroutine reads
// requests back to back, processes each in order and writes its answer,
// flushing only when no further request is already buffered, so that the
// answers to a pipelined burst leave in few writes.
type h1conn struct {
	c  *conn
	tr timedReader
	br *bufio.Reader
	bw *bufio.Writer
	x  exchange

	pending  int // answers written since the last flush
	num      []byte
	lastAuth string // interned header values, to avoid an allocation per request
	lastType string
}

// serveH1 serves the connection until it ends.
func (c *conn) serveH1() {
	s := c.s
	h := &h1conn{c: c}
	h.tr.r = c.tc
	h.br = s.getReader(&h.tr)
	h.bw = s.getWriter(c.tc)
	defer s.putReader(h.br)
	defer s.putWriter(h.bw)
	h.x.s, h.x.c = s, c
	h.serve()
}

func (h *h1conn) serve() {
	c, s, x := h.c, h.c.s, &h.x
	for {
		closeReq, err := h.readRequest()
		if err != nil {
			var bad *badRequest
			if errors.As(err, &bad) {
				x.begin(s.beh.Load())
				x.fail(bad.status, 10012, bad.reason, "")
				h.writeAnswer(true)
				if h.bw.Flush() == nil {
					c.closeGracefully()
				}
				return
			}
			// The client closed or the connection broke.
			h.bw.Flush()
			return
		}
		c.noteInFlight(int64(h.pending + 1))
		if !x.process() || x.action == Drop {
			h.bw.Flush()
			c.drop()
			return
		}
		if x.action == Stall {
			h.bw.Flush()
			c.stall()
			return
		}
		if !x.due.IsZero() && !h.wait(x.due) {
			return
		}
		closing := closeReq || x.action == CloseGracefully
		h.writeAnswer(closing)
		if closing {
			if h.bw.Flush() == nil {
				c.closeGracefully()
			}
			return
		}
		if h.br.Buffered() == 0 {
			if h.bw.Flush() != nil {
				return
			}
			h.pending = 0
		}
	}
}

// wait waits until due, after flushing the answers already written. It
// returns false if the server closed meanwhile.
func (h *h1conn) wait(due time.Time) bool {
	d := time.Until(due)
	if d <= 0 {
		return true
	}
	if h.pending > 0 {
		if h.bw.Flush() != nil {
			return false
		}
		h.pending = 0
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-h.c.s.ctx.Done():
		return false
	}
}

// readLine reads one line, without its line end. The line is valid until
// the next read.
func (h *h1conn) readLine() ([]byte, error) {
	line, err := h.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, &badRequest{http.StatusRequestHeaderFieldsTooLarge, "header line too long"}
		}
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readRequest reads one request into h.x. It reports whether the client
// asked to close the connection after it.
func (h *h1conn) readRequest() (closeReq bool, err error) {
	x := &h.x

	// Request line; empty lines before it are allowed (RFC 9112 §2.2).
	var line []byte
	for len(line) == 0 {
		if line, err = h.readLine(); err != nil {
			return false, err
		}
	}
	// The behaviour is the one current when the request arrived.
	b := h.c.s.beh.Load()
	r := x.begin(b)
	withHeader := b.fresh()
	sp1 := bytes.IndexByte(line, ' ')
	sp2 := bytes.LastIndexByte(line, ' ')
	if sp1 <= 0 || sp2 <= sp1+1 {
		return false, &badRequest{http.StatusBadRequest, "malformed request line"}
	}
	method, target, proto := line[:sp1], line[sp1+1:sp2], line[sp2+1:]
	switch string(proto) {
	case "HTTP/1.1":
	case "HTTP/1.0":
		closeReq = true
	default:
		return false, &badRequest{http.StatusHTTPVersionNotSupported, "unsupported protocol " + strconv.Quote(string(proto))}
	}
	switch string(method) {
	case http.MethodGet:
		r.Method = http.MethodGet
	case http.MethodPost:
		r.Method = http.MethodPost
	default:
		r.Method = string(method)
	}
	path := target
	if i := bytes.IndexByte(target, '?'); i >= 0 {
		path = target[:i]
		if i+1 < len(target) {
			r.RawQuery = string(target[i+1:])
		}
	}
	if x.ep = h.c.s.routes.lookup(path); x.ep != nil {
		r.Path = x.ep.Path
	} else {
		r.Path = string(path)
	}

	// Header fields.
	if withHeader {
		r.Header = make(http.Header)
	}
	contentLength := int64(-1)
	chunked, expect := false, false
	for {
		line, err := h.readLine()
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return false, err
		}
		if len(line) == 0 {
			break
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 || line[0] == ' ' || line[0] == '\t' {
			return false, &badRequest{http.StatusBadRequest, "malformed header line"}
		}
		name, value := line[:colon], bytes.Trim(line[colon+1:], " \t")
		switch {
		case ascii.EqualFold(name, "content-length"):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || (contentLength >= 0 && n != contentLength) {
				return false, &badRequest{http.StatusBadRequest, "bad Content-Length"}
			}
			contentLength = n
		case ascii.EqualFold(name, "transfer-encoding"):
			if !ascii.EqualFold(value, "chunked") {
				return false, &badRequest{http.StatusNotImplemented, "unsupported Transfer-Encoding"}
			}
			chunked = true
		case ascii.EqualFold(name, "connection"):
			closeReq = closeReq && !hasToken(value, "keep-alive") || hasToken(value, "close")
		case ascii.EqualFold(name, "authorization"):
			if string(value) != h.lastAuth {
				h.lastAuth = string(value)
			}
			r.Authorization = h.lastAuth
		case ascii.EqualFold(name, "content-type"):
			if r.ContentType != "" {
				break // the first one counts, as in servlets and net/http
			}
			if string(value) != h.lastType {
				h.lastType = string(value)
			}
			r.ContentType = h.lastType
		case ascii.EqualFold(name, "x-push-host-list"):
			x.hostListAsked = ascii.EqualFold(value, "true")
		case ascii.EqualFold(name, "expect"):
			expect = ascii.EqualFold(value, "100-continue")
		}
		if withHeader {
			key := textproto.CanonicalMIMEHeaderKey(string(name))
			r.Header[key] = append(r.Header[key], string(value))
		}
	}
	r.Time = h.tr.last

	// Body.
	x.body = x.body[:0]
	if chunked {
		contentLength = -1
	}
	if contentLength == 0 || (contentLength < 0 && !chunked) {
		return closeReq, nil
	}
	if contentLength > maxBodySize {
		return false, &badRequest{http.StatusRequestEntityTooLarge, "request body too large"}
	}
	if expect {
		h.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		if err := h.bw.Flush(); err != nil {
			return false, err
		}
	}
	if !chunked {
		n := int(contentLength)
		if cap(x.body) < n {
			x.body = make([]byte, n)
		}
		x.body = x.body[:n]
		if _, err := io.ReadFull(h.br, x.body); err != nil {
			return false, err
		}
		return closeReq, nil
	}
	buf := bytes.NewBuffer(x.body)
	n, err := buf.ReadFrom(io.LimitReader(httputil.NewChunkedReader(h.br), maxBodySize+1))
	if err != nil {
		return false, &badRequest{http.StatusBadRequest, "malformed chunked body"}
	}
	if n > maxBodySize {
		return false, &badRequest{http.StatusRequestEntityTooLarge, "request body too large"}
	}
	x.body = buf.Bytes()
	// Trailer fields, if any, end with an empty line.
	for {
		line, err := h.readLine()
		if err != nil {
			return false, err
		}
		if len(line) == 0 {
			return closeReq, nil
		}
	}
}

// writeAnswer writes the answer in h.x to the write buffer.
func (h *h1conn) writeAnswer(closing bool) {
	x, bw := &h.x, h.bw
	before := bw.Buffered()
	if x.status == http.StatusOK {
		bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: ")
	} else {
		h.num = strconv.AppendInt(append(h.num[:0], "HTTP/1.1 "...), int64(x.status), 10)
		h.num = append(h.num, ' ')
		h.num = append(h.num, http.StatusText(x.status)...)
		h.num = append(h.num, "\r\nContent-Type: "...)
		bw.Write(h.num)
	}
	bw.WriteString(x.ctype)
	h.num = strconv.AppendInt(append(h.num[:0], "\r\nContent-Length: "...), int64(len(x.out)), 10)
	bw.Write(h.num)
	for _, f := range x.hdr {
		bw.WriteString("\r\n")
		bw.WriteString(f.name)
		bw.WriteString(": ")
		bw.WriteString(f.value)
	}
	if closing {
		bw.WriteString("\r\nConnection: close")
	}
	bw.WriteString("\r\n\r\n")
	if x.req.Method != http.MethodHead {
		bw.Write(x.out)
	}
	// An answer is in flight until flushed; the buffer may have flushed
	// itself while writing this one.
	if after := bw.Buffered(); after < before+len(x.out) {
		h.pending = 1
	} else {
		h.pending++
	}
}

// hasToken reports whether the comma-separated list v holds token,
// ignoring case.
func hasToken(v []byte, token string) bool {
	for len(v) > 0 {
		var item []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, nil
		}
		if ascii.EqualFold(bytes.Trim(item, " \t"), token) {
			return true
		}
	}
	return false
}

// getReader returns a pooled read buffer reading from r.
func (s *Server) getReader(r io.Reader) *bufio.Reader {
	if br, ok := s.readers.Get().(*bufio.Reader); ok {
		br.Reset(r)
		return br
	}
	return bufio.NewReaderSize(r, h1BufSize)
}

func (s *Server) putReader(br *bufio.Reader) {
	br.Reset(nil)
	s.readers.Put(br)
}

// getWriter returns a pooled write buffer writing to w.
func (s *Server) getWriter(w io.Writer) *bufio.Writer {
	if bw, ok := s.writers.Get().(*bufio.Writer); ok {
		bw.Reset(w)
		return bw
	}
	return bufio.NewWriterSize(w, h1BufSize)
}

func (s *Server) putWriter(bw *bufio.Writer) {
	bw.Reset(nil)
	s.writers.Put(bw)
}
