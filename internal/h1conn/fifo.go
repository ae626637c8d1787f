package h1conn

import (
	"time"

	"github.com/mipush-go/mipush/internal/wire"
)

// An entry is one exchange the connection took from the queue and has not
// completed yet.
type entry struct {
	ex *wire.Exchange
	// start is the offset, in the outgoing byte stream, of the request's
	// first byte. The request may have reached the server exactly when
	// start < Conn.sent.
	start int64
	// at is when the request was taken, the start of its timeout; zero
	// when there is no timeout.
	at time.Time
}

// fifo is the in-flight queue: a ring sized to the window, so pushing and
// popping never allocate. Responses arrive in request order, so the oldest
// entry is the one the next response answers.
type fifo struct {
	buf  []entry
	head int
	n    int
}

func newFIFO(size int) fifo { return fifo{buf: make([]entry, size)} }

// push appends e; the caller guarantees there is room.
func (f *fifo) push(e entry) {
	i := f.head + f.n
	if i >= len(f.buf) {
		i -= len(f.buf)
	}
	f.buf[i] = e
	f.n++
}

// oldest returns the oldest entry; the fifo must not be empty.
func (f *fifo) oldest() *entry { return &f.buf[f.head] }

// pop removes and returns the oldest entry; the fifo must not be empty.
func (f *fifo) pop() entry {
	e := f.buf[f.head]
	f.buf[f.head] = entry{} // drop the reference for the collector
	f.head++
	if f.head == len(f.buf) {
		f.head = 0
	}
	f.n--
	return e
}
