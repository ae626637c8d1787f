package mipushprom_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushprom"
	"github.com/mipush-go/mipush/mipushtest"
)

// A client's metrics served on /metrics. A service registers on
// prometheus.DefaultRegisterer and serves promhttp.Handler() on its own
// listener; this example scrapes an httptest server once.
func Example() {
	fake := mipushtest.NewServer(mipushtest.Options{})
	defer fake.Close()

	obs := mipushprom.NewObserver(mipushprom.Options{})
	client := mipush.NewClient(mipush.Options{
		AppSecret: "secret", Host: fake.Host(), TLSConfig: fake.ClientTLSConfig(),
		Conns: 1, Observer: obs,
	})
	defer client.Close()
	reg := prometheus.NewRegistry()
	reg.MustRegister(obs, mipushprom.NewCollector(client, mipushprom.Options{}))

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	metrics := httptest.NewServer(mux)
	defer metrics.Close()

	msg := &mipush.Message{RestrictedPackageName: "com.example.app", Title: "Hi", Description: "Hello"}
	if _, err := client.PushToRegID(context.Background(), []string{"regid-1"}, msg); err != nil {
		fmt.Println(err)
		return
	}

	resp, err := http.Get(metrics.URL + "/metrics")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "mipush_requests_total") || strings.HasPrefix(line, "mipush_connections_open ") ||
			strings.HasPrefix(line, "mipush_request_duration_seconds_count") {
			fmt.Println(line)
		}
	}
	// Output:
	// mipush_connections_open 1
	// mipush_request_duration_seconds_count{endpoint="/v3/message/regid",outcome="ok"} 1
	// mipush_requests_total{code_class="",endpoint="/v3/message/regid",outcome="ok"} 1
}
