package mipushtest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"testing"
)

// leanRead reads one HTTP/1.1 response with as little work as possible and
// returns its status; a benchmark must measure the server, not the client.
func leanRead(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	if len(line) < 12 {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, err
	}
	n := -1
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		if len(line) <= 2 {
			break
		}
		if v, ok := bytes.CutPrefix(line, []byte("Content-Length: ")); ok {
			n, err = strconv.Atoi(string(bytes.TrimSpace(v)))
			if err != nil {
				return 0, err
			}
		}
	}
	if n < 0 {
		return 0, fmt.Errorf("no Content-Length")
	}
	_, err = br.Discard(n)
	return status, err
}

// benchPipelined sends b.N send requests pipelined on one HTTP/1.1
// connection, window requests in flight at most.
func benchPipelined(b *testing.B, record bool, window int) {
	s := NewServer(Options{NoRecording: !record})
	defer s.Close()
	cfg := s.ClientTLSConfig()
	cfg.NextProtos = []string{"http/1.1"}
	conn, err := tls.Dial("tcp", s.Host(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	req := rawRequest("/v3/message/regid", "sec", validSend("r1"))
	credits := make(chan struct{}, window)
	for range window {
		credits <- struct{}{}
	}
	b.SetBytes(int64(len(req)))
	b.ReportAllocs()
	b.ResetTimer()

	var wg sync.WaitGroup
	var readErr error
	wg.Go(func() {
		br := bufio.NewReaderSize(conn, 64<<10)
		for i := 0; i < b.N; i++ {
			status, err := leanRead(br)
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("status %d", status)
			}
			if err != nil {
				readErr = err
				conn.Close()
				return
			}
			credits <- struct{}{}
		}
	})
	bw := bufio.NewWriterSize(conn, 64<<10)
	for i := 0; i < b.N; i++ {
		<-credits
		bw.Write(req)
		if len(credits) == 0 || i == b.N-1 {
			if err := bw.Flush(); err != nil {
				break
			}
		}
	}
	wg.Wait()
	b.StopTimer()
	if readErr != nil && readErr != io.EOF {
		b.Fatal(readErr)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkH1Pipelined measures the server's raw HTTP/1.1 throughput: tiny
// sends pipelined on one connection, recording off.
func BenchmarkH1Pipelined(b *testing.B) { benchPipelined(b, false, 256) }

// BenchmarkH1PipelinedRecording is BenchmarkH1Pipelined with recording on.
func BenchmarkH1PipelinedRecording(b *testing.B) { benchPipelined(b, true, 256) }

// BenchmarkH1Sequential sends one request at a time (no pipelining).
func BenchmarkH1Sequential(b *testing.B) { benchPipelined(b, false, 1) }

// BenchmarkH2 measures HTTP/2 through net/http with concurrent callers.
func BenchmarkH2(b *testing.B) {
	s := NewServer(Options{HTTP2: true, NoRecording: true})
	defer s.Close()
	tr := &http.Transport{TLSClientConfig: s.ClientTLSConfig(), ForceAttemptHTTP2: true}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	body := validSend("r1").Encode()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, s.URL()+"/v3/message/regid", bytes.NewReader([]byte(body)))
			req.Header.Set("Authorization", "key=sec")
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
