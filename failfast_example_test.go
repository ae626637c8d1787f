package mipush_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// The daily quota is per message class: once the default class is spent,
// its single sends stop client-side, while a private channel's sends and
// every other call still go out.
func ExampleIsQuotaExceeded() {
	srv := mipushtest.NewServer(mipushtest.Options{})
	defer srv.Close()
	srv.SetQuota("", mipushtest.Quota{Limit: 1000, Acked: 1000}) // the default class is spent

	client := mipush.NewClient(mipush.Options{AppSecret: "secret", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig()})
	defer client.Close()
	ctx := context.Background()
	msg := &mipush.Message{RestrictedPackageName: "com.example.app", Title: "Hi", Description: "News"}

	_, err := client.PushToRegID(ctx, []string{"regid1"}, msg)
	var ae *mipush.APIError
	if mipush.IsQuotaExceeded(err) && errors.As(err, &ae) {
		fmt.Printf("server: code %d, quota %d, acked %d\n", ae.Code, ae.Quota.Limit, ae.Quota.Acked)
	}
	_, err = client.PushToRegID(ctx, []string{"regid2"}, msg)
	fmt.Println("stopped client-side:", errors.Is(err, mipush.ErrStopped), mipush.IsQuotaExceeded(err))

	private := &mipush.Message{RestrictedPackageName: "com.example.app", Title: "Hi", Description: "Your order", ChannelID: "orders"}
	_, err = client.PushToRegID(ctx, []string{"regid1"}, private)
	fmt.Println("private channel:", err)
	fmt.Println("requests sent:", srv.Count())
	// Output:
	// server: code 200001, quota 1000, acked 1000
	// stopped client-side: true true
	// private channel: <nil>
	// requests sent: 2
}
