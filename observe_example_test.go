package mipush_test

import (
	"context"
	"expvar"
	"fmt"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// expvarObserver exports the client's events as expvar counters.
type expvarObserver struct{ vars *expvar.Map }

func (o expvarObserver) RequestDone(r mipush.RequestInfo) {
	o.vars.Add("requests", 1)
	if r.Err != nil {
		o.vars.Add("errors", 1)
	}
	o.vars.AddFloat("latency_seconds_total", r.Latency.Seconds())
}

func (o expvarObserver) ConnOpened(mipush.ConnInfo)        { o.vars.Add("conns_opened", 1) }
func (o expvarObserver) ConnClosed(mipush.ConnInfo, error) { o.vars.Add("conns_closed", 1) }

// Wiring the client's events to expvar (served at /debug/vars once the map
// is published with expvar.Publish); Prometheus or OpenTelemetry plug in
// the same way.
func ExampleObserver() {
	srv := mipushtest.NewServer(mipushtest.Options{})
	defer srv.Close()

	vars := new(expvar.Map).Init() // in a program: expvar.NewMap("mipush")
	client := mipush.NewClient(mipush.Options{
		AppSecret: "your-app-secret",
		Host:      srv.Host(),
		TLSConfig: srv.ClientTLSConfig(),
		Conns:     1,
		Observer:  expvarObserver{vars},
	})
	msg := &mipush.Message{RestrictedPackageName: "com.example.app", PassThrough: true, Payload: "hi"}
	for range 3 {
		client.PushToRegID(context.Background(), []string{"regid"}, msg)
	}
	client.Close()

	fmt.Println("requests:", vars.Get("requests"), "connections:", vars.Get("conns_opened"), "closed:", vars.Get("conns_closed"))
	fmt.Println("metrics:", client.Metrics().Succeeded, "succeeded")
	// Output:
	// requests: 3 connections: 1 closed: 1
	// metrics: 3 succeeded
}
