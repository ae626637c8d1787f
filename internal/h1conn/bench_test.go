package h1conn

import (
	"bufio"
	"bytes"
	"net"
	"sync/atomic"
	"testing"

	"github.com/mipush-go/mipush/internal/wire"
)

// benchResponse is a typical MiPush answer.
const benchResponse = `{"result":"ok","trace_id":"Xlm01b74475896181347cR","code":0,"data":{"id":"slm01b74475896181350tj"},"description":"成功","info":"Received push messages for 1 REGID"}`

// BenchmarkPipeline measures one exchange (request written, response
// parsed, Done called) through a Conn whose peer answers every complete
// request with a pre-built response, in one write per batch.
func BenchmarkPipeline(b *testing.B) {
	b.Run("pipe", func(b *testing.B) {
		client, server := net.Pipe()
		benchPipeline(b, client, server)
	})
	b.Run("tcp", func(b *testing.B) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		accepted := make(chan net.Conn, 1)
		go func() {
			nc, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- nc
		}()
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		benchPipeline(b, client, <-accepted)
	})
}

func benchPipeline(b *testing.B, client, server net.Conn) {
	const window, pool = 128, 512
	queue := make(chan *wire.Exchange, 256)
	free := make(chan *wire.Exchange, pool)
	var completed atomic.Int64
	allDone := make(chan struct{})
	target := int64(b.N)
	done := func(ex *wire.Exchange, resp *wire.Response, err error) {
		if err != nil || resp.Status != 200 || len(resp.Body) != len(benchResponse) {
			b.Errorf("bad outcome: %v %v", resp, err)
		}
		ex.Reset()
		free <- ex
		if completed.Add(1) == target {
			close(allDone)
		}
	}
	body := []byte("registration_id=" + string(bytes.Repeat([]byte("r"), 44)) +
		"&restricted_package_name=com.example.app&pass_through=0&notify_type=-1" +
		"&title=Hello&description=World&payload=%7B%22k%22%3A%22v%22%7D")
	req := wire.Request{
		Method: "POST",
		Path:   "/v3/message/regid",
		Auth:   "key=0123456789abcdef0123456789abcdef",
		Body:   body,
	}
	for i := 0; i < pool; i++ {
		free <- &wire.Exchange{Req: req, Done: done}
	}

	// The size of one request tells the peer how many it has received.
	var probe bytes.Buffer
	enc := &Conn{host: "api.xmpush.xiaomi.com", ua: "mipush-go/bench", bw: bufio.NewWriter(&probe)}
	enc.encode(&req)
	enc.bw.Flush()
	reqLen := probe.Len()

	resp := []byte(ok(benchResponse))
	answers := bytes.Repeat(resp, window)
	peerDone := make(chan struct{})
	go func() {
		defer close(peerDone)
		buf := make([]byte, 256<<10)
		var pending int
		for {
			n, err := server.Read(buf)
			if err != nil {
				return
			}
			pending += n
			k := pending / reqLen
			pending -= k * reqLen
			for k > 0 {
				m := min(k, window)
				if _, err := server.Write(answers[:m*len(resp)]); err != nil {
					return
				}
				k -= m
			}
		}
	}()

	c := New(client, wire.Config{
		Queue:     queue,
		Window:    window,
		Authority: "api.xmpush.xiaomi.com",
		UserAgent: "mipush-go/bench",
		MaxBody:   1 << 20,
	})
	b.ReportAllocs()
	b.SetBytes(int64(reqLen + len(resp)))
	b.ResetTimer()
	go func() {
		for i := 0; i < b.N; i++ {
			queue <- <-free
		}
	}()
	<-allDone
	b.StopTimer()
	c.Retire()
	<-c.Done()
	server.Close()
	<-peerDone
}
