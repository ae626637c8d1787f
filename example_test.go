package mipush_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// The blocking call: it returns once the server has answered.
func Example() {
	srv := mipushtest.NewServer(mipushtest.Options{}) // stands in for api.xmpush.xiaomi.com
	defer srv.Close()

	client := mipush.NewClient(mipush.Options{
		AppSecret: "your-app-secret",
		Host:      srv.Host(),            // omit in production
		TLSConfig: srv.ClientTLSConfig(), // omit in production
	})
	defer client.Close()

	msg := &mipush.Message{
		RestrictedPackageName: "com.example.app",
		Title:                 "Hello",
		Description:           "Your order has shipped",
		Payload:               `{"order":42}`,
	}
	res, err := client.PushToRegID(context.Background(), []string{"regid-1", "regid-2"}, msg)
	if err != nil {
		fmt.Println("send failed:", err)
		return
	}
	fmt.Println("accepted, message id set:", res.ID != "")
	// Output: accepted, message id set: true
}

// Bulk sending: queue sends without waiting; each outcome is reported to a
// callback exactly once; Flush waits for all of them.
func ExampleClient_PushToRegIDAsync() {
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: true})
	defer srv.Close()
	srv.FailTarget("stale-regid", mipushtest.ErrorAnswer(20301, "No valid targets!"))

	var ok, failed atomic.Int64
	client := mipush.NewClient(mipush.Options{
		AppSecret: "your-app-secret",
		Host:      srv.Host(),
		TLSConfig: srv.ClientTLSConfig(),
		OnSuccess: func(*mipush.SendResult) { ok.Add(1) },
		OnError: func(e *mipush.SendError) {
			failed.Add(1)
			var apiErr *mipush.APIError
			if errors.As(e, &apiErr) {
				fmt.Println("failed:", e.Target.IDs, int(apiErr.Code), apiErr.Reason)
			}
		},
	})
	defer client.Close()

	ctx := context.Background()
	for i := range 100 {
		regID := "regid-" + strconv.Itoa(i)
		if i == 7 {
			regID = "stale-regid"
		}
		msg := &mipush.Message{RestrictedPackageName: "com.example.app", PassThrough: true, Payload: strconv.Itoa(i)}
		if err := client.PushToRegIDAsync(ctx, []string{regID}, msg); err != nil {
			fmt.Println("not queued:", err) // bad input or ctx ended; nothing was sent
		}
	}
	if err := client.Flush(ctx); err != nil {
		fmt.Println("flush:", err)
	}
	fmt.Println("ok:", ok.Load(), "failed:", failed.Load())
	// Output:
	// failed: [stale-regid] 20301 No valid targets!
	// ok: 99 failed: 1
}

// Errors are typed: a *ValidationError before anything is sent, a
// *SendError (wrapping an *APIError or a transport error) after.
func ExampleAPIError() {
	srv := mipushtest.NewServer(mipushtest.Options{Secrets: []string{"right-secret"}})
	defer srv.Close()
	client := mipush.NewClient(mipush.Options{AppSecret: "wrong-secret", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig()})
	defer client.Close()

	msg := &mipush.Message{RestrictedPackageName: "com.example.app", PassThrough: true, Payload: "hi"}
	_, err := client.PushToRegID(context.Background(), []string{"regid"}, msg)
	var apiErr *mipush.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Code, "-", apiErr.Reason)
	}
	// Output: authentication failed (21301) - Invalid application secret.
}
