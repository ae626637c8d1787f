package h1conn

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mipush-go/mipush/internal/ascii"
	"github.com/mipush-go/mipush/internal/wire"
)

const (
	// maxHeaderBytes caps the status line and header section of one
	// response, and separately its trailer section.
	maxHeaderBytes = 64 << 10
	// maxChunkLine caps one chunk-size line, extensions included.
	maxChunkLine = 4 << 10
	// keepBody is the largest body buffer kept for reuse; a bigger one,
	// grown for an unusual response, is let go so an idle connection does
	// not pin it.
	keepBody = 64 << 10
)

// errHeaderTooLarge is returned when a header or trailer section exceeds
// maxHeaderBytes.
var errHeaderTooLarge = fmt.Errorf("%w: header section larger than %d bytes", wire.ErrMalformed, maxHeaderBytes)

// response is one parsed response. body aliases the parser's buffer and is
// valid until the next call to next.
type response struct {
	status int
	body   []byte
	header []wire.Header // only x-push-* and retry-after; nil when none
	// close reports that the server announced it will close the
	// connection after this response ("Connection: close", or HTTP/1.0
	// without keep-alive): it will not process any later request.
	close bool
	// untilEOF reports that the body was delimited by the end of the
	// stream, so the connection is finished.
	untilEOF bool
}

// A parser reads HTTP/1.x responses, one after another, from a buffered
// stream. It does no I/O of its own beyond br, so it can be fuzzed on bytes.
type parser struct {
	br      *bufio.Reader
	maxBody int
	buf     []byte // body buffer, reused between responses
}

// next reads the next final response, skipping interim 1xx responses.
// At a clean boundary between responses, a closed stream yields io.EOF; a
// stream that ends inside a response yields io.ErrUnexpectedEOF. Malformed
// input yields an error wrapping wire.ErrMalformed, and a body over the cap
// one wrapping wire.ErrBodyTooLarge.
func (p *parser) next() (response, error) {
	if cap(p.buf) > keepBody {
		p.buf = nil
	}
	for {
		r, err := p.readOne()
		if err != nil {
			return response{}, err
		}
		if r.status >= 200 || r.status < 100 {
			return r, nil
		}
		if r.status == 101 {
			// We never ask to switch protocols; what follows would not
			// be HTTP/1.1.
			return response{}, fmt.Errorf("%w: unrequested 101 Switching Protocols", wire.ErrMalformed)
		}
		// 100 Continue, 103 Early Hints...: not the final response.
	}
}

// readOne reads one response, interim or final.
func (p *parser) readOne() (response, error) {
	var r response
	budget := maxHeaderBytes

	line, err := p.line(&budget)
	if err != nil {
		if err == io.ErrUnexpectedEOF && len(line) == 0 {
			err = io.EOF // nothing of this response was read
		}
		return r, err
	}
	minor, status, ok := parseStatusLine(line)
	if !ok {
		return r, fmt.Errorf("%w: bad status line %q", wire.ErrMalformed, truncate(line))
	}
	r.status = status

	var (
		contentLength       = int64(-1)
		chunked, te         bool
		closeTok, keepAlive bool
	)
	for {
		line, err := p.line(&budget)
		if err != nil {
			return r, err
		}
		if len(line) == 0 {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			// Obsolete line folding: no server we talk to sends it, and
			// accepting it would widen what a hostile peer can smuggle.
			return r, fmt.Errorf("%w: folded header line", wire.ErrMalformed)
		}
		name, value, ok := splitField(line)
		if !ok {
			return r, fmt.Errorf("%w: bad header line %q", wire.ErrMalformed, truncate(line))
		}
		switch {
		case ascii.EqualFold(name, "content-length"):
			n, ok := parseContentLength(value)
			if !ok || (contentLength >= 0 && n != contentLength) {
				return r, fmt.Errorf("%w: bad Content-Length %q", wire.ErrMalformed, truncate(value))
			}
			contentLength = n
		case ascii.EqualFold(name, "transfer-encoding"):
			if te || !ascii.EqualFold(value, "chunked") {
				// Only a single "chunked" coding is meaningful to us; a
				// body in any other coding could not be handed on.
				return r, fmt.Errorf("%w: unsupported Transfer-Encoding %q", wire.ErrMalformed, truncate(value))
			}
			te, chunked = true, true
		case ascii.EqualFold(name, "connection"):
			c, k := connectionTokens(value)
			closeTok = closeTok || c
			keepAlive = keepAlive || k
		case ascii.HasPrefixFold(name, "x-push-") || ascii.EqualFold(name, "retry-after"):
			r.header = append(r.header, wire.Header{Name: lower(name), Value: string(value)})
		}
	}
	r.close = closeTok || (minor == 0 && !keepAlive)

	switch {
	case status >= 100 && status < 200, status == 204, status == 304:
		// No body, whatever the header says (RFC 9112, section 6.3).
		r.body = p.buf[:0]
	case te && minor == 0:
		// RFC 9112, section 6.1: Transfer-Encoding in an HTTP/1.0 message
		// means the framing is faulty.
		return r, fmt.Errorf("%w: Transfer-Encoding in an HTTP/1.0 response", wire.ErrMalformed)
	case chunked:
		r.body, err = p.readChunked()
	case contentLength >= 0:
		r.body, err = p.readFixed(contentLength)
	default:
		r.body, err = p.readToEOF()
		r.untilEOF = true
	}
	return r, err
}

// line returns the next line without its line ending (CRLF, or a bare LF,
// which RFC 9112 lets a recipient accept), charging its length to budget.
// The slice is valid until the next read from p.br.
func (p *parser) line(budget *int) ([]byte, error) {
	b, err := p.br.ReadSlice('\n')
	*budget -= len(b)
	if *budget < 0 || err == bufio.ErrBufferFull {
		return nil, errHeaderTooLarge
	}
	if err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return b, err
	}
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return b, nil
}

// parseStatusLine parses "HTTP/1.x NNN[ reason]" and returns x and NNN.
// The reason phrase may be empty or absent.
func parseStatusLine(l []byte) (minor, status int, ok bool) {
	if len(l) < len("HTTP/1.x NNN") || string(l[:7]) != "HTTP/1." ||
		!isDigit(l[7]) || l[8] != ' ' ||
		!isDigit(l[9]) || !isDigit(l[10]) || !isDigit(l[11]) ||
		(len(l) > 12 && l[12] != ' ') {
		return 0, 0, false
	}
	status = int(l[9]-'0')*100 + int(l[10]-'0')*10 + int(l[11]-'0')
	return int(l[7] - '0'), status, true
}

// splitField splits "name: value" into the name, which must be a token,
// and the value without surrounding optional whitespace.
func splitField(l []byte) (name, value []byte, ok bool) {
	i := 0
	for i < len(l) && l[i] != ':' {
		if !isTokenChar(l[i]) {
			return nil, nil, false
		}
		i++
	}
	if i == 0 || i == len(l) {
		return nil, nil, false
	}
	return l[:i], trimOWS(l[i+1:]), true
}

// parseContentLength accepts only decimal digits; values past 2^62 are
// reported as 2^62, which no body cap allows.
func parseContentLength(v []byte) (int64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	const limit = 1 << 62
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		if n < limit {
			n = n*10 + int64(c-'0')
		}
		if n > limit {
			n = limit
		}
	}
	return n, true
}

// connectionTokens reports whether a Connection field value lists "close"
// and whether it lists "keep-alive".
func connectionTokens(v []byte) (closeTok, keepAlive bool) {
	for len(v) > 0 {
		var tok []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			tok, v = trimOWS(v[:i]), v[i+1:]
		} else {
			tok, v = trimOWS(v), nil
		}
		switch {
		case ascii.EqualFold(tok, "close"):
			closeTok = true
		case ascii.EqualFold(tok, "keep-alive"):
			keepAlive = true
		}
	}
	return closeTok, keepAlive
}

// readFixed reads a body of exactly n bytes.
func (p *parser) readFixed(n int64) ([]byte, error) {
	if n > int64(p.maxBody) {
		return nil, fmt.Errorf("%w: Content-Length %d, cap %d", wire.ErrBodyTooLarge, n, p.maxBody)
	}
	b := p.grow(p.buf[:0], int(n))
	if _, err := io.ReadFull(p.br, b); err != nil {
		return nil, unexpected(err)
	}
	return b, nil
}

// readChunked reads a chunked body (RFC 9112, section 7.1): chunk
// extensions are ignored, and so are trailer fields.
func (p *parser) readChunked() ([]byte, error) {
	b := p.buf[:0]
	for {
		budget := maxChunkLine
		line, err := p.line(&budget)
		if err == errHeaderTooLarge {
			return nil, fmt.Errorf("%w: chunk-size line longer than %d bytes", wire.ErrMalformed, maxChunkLine)
		}
		if err != nil {
			return nil, err
		}
		size, ok := parseChunkSize(line)
		if !ok {
			return nil, fmt.Errorf("%w: bad chunk-size line %q", wire.ErrMalformed, truncate(line))
		}
		if size == 0 {
			break
		}
		if size > int64(p.maxBody-len(b)) {
			return nil, fmt.Errorf("%w: chunked body over cap %d", wire.ErrBodyTooLarge, p.maxBody)
		}
		n := len(b)
		b = p.grow(b, n+int(size))
		if _, err := io.ReadFull(p.br, b[n:]); err != nil {
			return nil, unexpected(err)
		}
		if err := p.chunkEnd(); err != nil {
			return nil, err
		}
	}
	// The trailer section ends with an empty line. Its fields carry
	// nothing we use, but they must still be well formed lines.
	budget := maxHeaderBytes
	for {
		line, err := p.line(&budget)
		if err != nil {
			return nil, err
		}
		if len(line) == 0 {
			return b, nil
		}
		if _, _, ok := splitField(line); !ok {
			return nil, fmt.Errorf("%w: bad trailer line %q", wire.ErrMalformed, truncate(line))
		}
	}
}

// chunkEnd consumes the line ending after a chunk's data.
func (p *parser) chunkEnd() error {
	c, err := p.br.ReadByte()
	if err == nil && c == '\r' {
		c, err = p.br.ReadByte()
	}
	if err != nil {
		return unexpected(err)
	}
	if c != '\n' {
		return fmt.Errorf("%w: chunk data not followed by CRLF", wire.ErrMalformed)
	}
	return nil
}

// parseChunkSize parses "HEX[ ;ext...]" into the chunk size.
func parseChunkSize(l []byte) (int64, bool) {
	if i := bytes.IndexByte(l, ';'); i >= 0 {
		l = l[:i]
	}
	l = trimOWS(l)
	if len(l) == 0 || len(l) > 15 { // 15 hex digits cannot overflow int64
		return 0, false
	}
	var n int64
	for _, c := range l {
		var d byte
		switch {
		case '0' <= c && c <= '9':
			d = c - '0'
		case 'a' <= c && c <= 'f':
			d = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | int64(d)
	}
	return n, true
}

// readToEOF reads a body delimited by the end of the stream.
func (p *parser) readToEOF() ([]byte, error) {
	b := p.buf[:0]
	for {
		if len(b) == cap(b) {
			if len(b) > p.maxBody {
				return nil, fmt.Errorf("%w: body read to EOF over cap %d", wire.ErrBodyTooLarge, p.maxBody)
			}
			// Room for one byte past the cap, to tell "exactly at the
			// cap" from "over it".
			b = p.grow(b, min(max(2*cap(b), 512), p.maxBody+1))[:len(b)]
		}
		n, err := p.br.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			if len(b) > p.maxBody {
				return nil, fmt.Errorf("%w: body read to EOF over cap %d", wire.ErrBodyTooLarge, p.maxBody)
			}
			return b, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// grow returns b resliced to length n, reallocating (and remembering the
// new buffer for reuse) only when its capacity is short.
func (p *parser) grow(b []byte, n int) []byte {
	if n <= cap(b) {
		return b[:n]
	}
	nb := make([]byte, n, max(n, 2*cap(b), 512))
	copy(nb, b)
	p.buf = nb[:0]
	return nb
}

// unexpected turns the io.EOF of a stream that ended mid-body into
// io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// truncate bounds what an error message quotes from the peer.
func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isTokenChar reports whether c may appear in a token (RFC 9110, 5.6.2).
func isTokenChar(c byte) bool {
	return c < 0x80 && tokenTable[c]
}

var tokenTable = [128]bool{}

func init() {
	for c := 0; c < 128; c++ {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			tokenTable[c] = true
		}
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		tokenTable[c] = true
	}
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}

// lower returns b in ASCII lower case, as a new string.
func lower(b []byte) string { return strings.ToLower(string(b)) }
