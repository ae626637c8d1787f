package h2conn

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/mipush-go/mipush/internal/wire"
)

// benchPeer is an allocation-free HTTP/2 server for benchmarks: it parses
// frame headers itself and answers every request with a canned JSON body,
// so the allocations a benchmark reports are the client's.
type benchPeer struct {
	nc       net.Conn
	ids      chan uint32
	consumed atomic.Int64 // request DATA bytes not yet returned as credit
	done     chan struct{}
}

const cannedJSON = `{"result":"ok","trace_id":"Xcm01b47c1696384155hBk","code":0,"data":{"id":"scm01b47c1696384155Ia"},"description":"成功","info":"Received push messages for 1 REGID"}`

func startBenchPeer(nc net.Conn) *benchPeer {
	p := &benchPeer{nc: nc, ids: make(chan uint32, 1<<16), done: make(chan struct{})}
	go p.read()
	go p.write()
	return p
}

func (p *benchPeer) read() {
	defer close(p.ids)
	br := bufio.NewReaderSize(p.nc, 64<<10)
	if _, err := br.Discard(len(http2.ClientPreface)); err != nil {
		return
	}
	var hdr [9]byte
	for {
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return
		}
		n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
		typ, flags := http2.FrameType(hdr[3]), http2.Flags(hdr[4])
		id := binary.BigEndian.Uint32(hdr[5:]) & (1<<31 - 1)
		if _, err := br.Discard(n); err != nil {
			return
		}
		switch typ {
		case http2.FrameHeaders, http2.FrameData:
			if typ == http2.FrameData {
				p.consumed.Add(int64(n))
			}
			if flags.Has(http2.FlagDataEndStream) { // same bit for HEADERS
				p.ids <- id
			}
		}
	}
}

func (p *benchPeer) write() {
	defer close(p.done)
	bw := bufio.NewWriterSize(p.nc, 64<<10)
	fr := http2.NewFramer(bw, nil)
	var hbuf bytes.Buffer
	henc := hpack.NewEncoder(&hbuf)
	fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20})
	fr.WriteWindowUpdate(0, 1<<30)
	bw.Flush()
	body := []byte(cannedJSON)
	contentLength := strconv.Itoa(len(cannedJSON))
	for id := range p.ids {
		hbuf.Reset()
		henc.WriteField(hpack.HeaderField{Name: ":status", Value: "200"})
		henc.WriteField(hpack.HeaderField{Name: "content-type", Value: "application/json;charset=UTF-8"})
		henc.WriteField(hpack.HeaderField{Name: "content-length", Value: contentLength})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: hbuf.Bytes(), EndHeaders: true})
		fr.WriteData(id, true, body)
		if c := p.consumed.Load(); c > 1<<28 {
			p.consumed.Add(-c)
			fr.WriteWindowUpdate(0, uint32(c))
		}
		if len(p.ids) == 0 {
			if bw.Flush() != nil {
				return
			}
		}
	}
}

// cpuTime returns the user and system CPU time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExchange measures one exchange through one connection, with up
// to 128 in flight: a form POST of about 300 bytes answered by a small JSON
// body. allocs/op counts the whole process: connection and peer (whose
// share is zero) and the benchmark loop (also zero).
func BenchmarkExchange(b *testing.B) {
	for _, bc := range []struct {
		name string
		body int
	}{{"300B", 300}, {"4KiB", 4 << 10}} {
		b.Run(bc.name, func(b *testing.B) { benchExchange(b, bc.body) })
	}
}

func benchExchange(b *testing.B, bodyLen int) {
	const window = 128
	cli, srv := net.Pipe()
	p := startBenchPeer(srv)
	q := make(chan *wire.Exchange, window)
	free := make(chan *wire.Exchange, window)
	var bad atomic.Int64
	body := []byte("registration_id=" + strings.Repeat("r", bodyLen-16))
	for range window {
		free <- &wire.Exchange{
			Req: wire.Request{
				Method: "POST",
				Path:   "/v3/message/regid",
				Auth:   "key=0123456789abcdef0123456789abcdef",
				Body:   body,
			},
			Done: func(ex *wire.Exchange, resp *wire.Response, err error) {
				if err != nil || resp.Status != 200 || len(resp.Body) != len(cannedJSON) {
					bad.Add(1)
				}
				ex.Reset() // taken again next round, as the engine's retries are
				free <- ex
			},
		}
	}
	closed := make(chan error, 1)
	c, err := New(b.Context(), cli, wire.Config{
		Queue:     q,
		Window:    window,
		Authority: "api.xmpush.xiaomi.com",
		UserAgent: "mipush-go",
		MaxBody:   1 << 20,
		OnClose:   func(err error) { closed <- err },
	})
	if err != nil {
		b.Fatal(err)
	}

	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	b.ResetTimer()
	cpu0 := cpuTime()
	for range b.N {
		q <- <-free
	}
	for range window {
		<-free
	}
	b.StopTimer()
	// CPU time is steadier than wall time on a shared machine. It covers
	// the whole process: connection, peer, pipe and benchmark loop.
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	c.Retire()
	<-c.Done()
	srv.Close()
	<-p.done
	if err := <-closed; err != nil {
		b.Fatal(err)
	}
	if n := bad.Load(); n > 0 {
		b.Fatalf("%d exchanges failed", n)
	}
}
