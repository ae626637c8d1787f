package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"
)

// rawChunk is how much of the pre-encoded stream the raw writer hands to
// the TLS connection at a time.
const rawChunk = 64 << 10

// encodeRaw returns the HTTP/1.1 requests of every send, back to back,
// with the headers the library sends.
func encodeRaw(host string, sends []benchSend) []byte {
	var b []byte
	for i := range sends {
		body := naiveForm(sends[i].regIDs, &sends[i].msg).Encode()
		b = append(b, "POST /v3/message/regid HTTP/1.1\r\nHost: "...)
		b = append(b, host...)
		b = append(b, "\r\nAuthorization: key="+benchSecret+
			"\r\nContent-Type: application/x-www-form-urlencoded;charset=UTF-8"+
			"\r\nUser-Agent: mipush-bench\r\nContent-Length: "...)
		b = strconv.AppendInt(b, int64(len(body)), 10)
		b = append(b, "\r\n\r\n"...)
		b = append(b, body...)
	}
	return b
}

// runRaw is the raw limit: every request, encoded beforehand, written back
// to back on one TLS connection by one goroutine while another reads the
// responses and only counts them. No client does less.
func runRaw(ctx context.Context, ep benchEndpoint, sends []benchSend) (sample, error) {
	stream := encodeRaw(ep.host, sends)
	cfg := ep.tls.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	d := tls.Dialer{Config: cfg}
	nc, err := d.DialContext(ctx, "tcp", ep.host)
	if err != nil {
		return sample{}, err
	}
	defer nc.Close()
	stop := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	m := startMeter(ep)
	written := make(chan error, 1)
	go func() { written <- writeRaw(nc, stream) }()
	failed, rerr := readRaw(nc, len(sends))
	s := m.stop(len(sends))
	s.failed = failed
	if rerr != nil {
		nc.Close()
	}
	werr := <-written
	if err := errors.Join(rerr, werr); err != nil {
		return s, err
	}
	if failed > 0 {
		return s, fmt.Errorf("%d raw sends were not answered with a success", failed)
	}
	return s, nil
}

// writeRaw writes stream in chunks of rawChunk.
func writeRaw(w io.Writer, stream []byte) error {
	for len(stream) > 0 {
		n := min(len(stream), rawChunk)
		if _, err := w.Write(stream[:n]); err != nil {
			return err
		}
		stream = stream[n:]
	}
	return nil
}

// readRaw reads n responses, parsing only what it must to find where each
// ends, and counts those that are not a 200 carrying "result":"ok".
func readRaw(r io.Reader, n int) (failed int, err error) {
	br := bufio.NewReaderSize(r, rawChunk)
	ok := []byte(`"result":"ok"`)
	for range n {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return failed, err
		}
		good := bytes.HasPrefix(line, []byte("HTTP/1.1 200 "))
		length := -1
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return failed, err
			}
			if len(line) <= 2 {
				break
			}
			if len(line) > 16 && (line[0] == 'C' || line[0] == 'c') && bytes.EqualFold(line[:15], []byte("content-length:")) {
				length = parseLength(bytes.TrimSpace(line[15:]))
			}
		}
		if length < 0 {
			return failed, errors.New("raw: response without Content-Length")
		}
		body, err := br.Peek(min(length, br.Size()))
		if err != nil {
			return failed, err
		}
		if !good || !bytes.Contains(body, ok) {
			failed++
		}
		if _, err := br.Discard(length); err != nil {
			return failed, err
		}
	}
	return failed, nil
}

// parseLength parses a decimal Content-Length; it returns -1 if v is not one.
func parseLength(v []byte) int {
	if len(v) == 0 || len(v) > 9 {
		return -1
	}
	n := 0
	for _, c := range v {
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}
