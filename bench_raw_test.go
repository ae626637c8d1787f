package mipush

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"strconv"
	"testing"
	"time"
)

// BenchmarkRawLimit is the reference for the client's CPU per message:
// HTTP/1.1 requests written back to back on one TLS connection while a
// goroutine only counts the responses, no client does less. With
// "pre-encoded" every request is the same bytes, built before the timer
// starts, as in the bench command's raw row; with "encoding" each
// message is validated and encoded by the library's encoder inside the
// timer, the least a client that builds requests from Messages does.
// Compare cpu-ns/op with BenchmarkPushToRegIDAsync's h1 rows of the same
// run:
//
//	go test -run '^$' -bench 'RawLimit|PushToRegIDAsync/h1/conns=1/rtt=0s' -benchtime 200000x -count 5
func BenchmarkRawLimit(b *testing.B) {
	for _, encode := range []bool{false, true} {
		name := "pre-encoded"
		if encode {
			name = "encoding"
		}
		b.Run(name, func(b *testing.B) { benchRaw(b, encode) })
	}
}

func benchRaw(b *testing.B, encode bool) {
	opts := startBenchServer(b, false, 0)
	cfg := opts.TLSConfig.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	d := tls.Dialer{Config: cfg}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nc, err := d.DialContext(ctx, "tcp", opts.Host)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	m := benchMessage()
	t := Target{Kind: TargetRegID, IDs: []string{"regid-0123456789abcdef"}}
	head := "POST " + t.path(m) + " HTTP/1.1\r\nHost: " + opts.Host +
		"\r\nAuthorization: key=" + opts.AppSecret +
		"\r\nContent-Type: application/x-www-form-urlencoded;charset=UTF-8\r\nContent-Length: "
	var scratch []byte
	request := func(w *bufio.Writer) {
		scratch, err = encodeSend(scratch[:0], t, m)
		if err != nil {
			b.Fatal(err)
		}
		w.WriteString(head)
		w.Write(strconv.AppendInt(w.AvailableBuffer(), int64(len(scratch)), 10))
		w.WriteString("\r\n\r\n")
		w.Write(scratch)
	}
	var one bytes.Buffer
	bw := bufio.NewWriter(&one)
	request(bw)
	bw.Flush()

	read := make(chan error, 1)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	go func() { read <- countResponses(nc, b.N) }()
	w := bufio.NewWriterSize(nc, 64<<10)
	for range b.N {
		if encode {
			request(w)
		} else {
			w.Write(one.Bytes())
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := <-read; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// countResponses reads n HTTP/1.1 responses framed by Content-Length and
// fails on any status but 200.
func countResponses(r io.Reader, n int) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for range n {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return err
		}
		if !bytes.HasPrefix(line, []byte("HTTP/1.1 200 ")) {
			return errors.New("raw: unexpected status line " + strconv.Quote(string(line)))
		}
		length := -1
		for {
			line, err = br.ReadSlice('\n')
			if err != nil {
				return err
			}
			if len(bytes.TrimSpace(line)) == 0 {
				break
			}
			if name, value, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(name, []byte("Content-Length")) {
				length, err = strconv.Atoi(string(bytes.TrimSpace(value)))
				if err != nil {
					return err
				}
			}
		}
		if length < 0 {
			return errors.New("raw: response without Content-Length")
		}
		if _, err := br.Discard(length); err != nil {
			return err
		}
	}
	return nil
}
