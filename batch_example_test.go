package mipush_test

import (
	"context"
	"fmt"
	"log"
	"slices"
	"strconv"
	"time"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// With Options.Batch, personalised one-target async sends go out in
// multi-message requests: here 250 messages in 3 requests, each message
// with its own outcome.
func ExampleBatchOptions() {
	srv := mipushtest.NewServer(mipushtest.Options{})
	defer srv.Close()

	batched := 0 // OnSuccess runs on one goroutine
	client := mipush.NewClient(mipush.Options{
		AppSecret: "secret",
		Host:      srv.Host(),
		TLSConfig: srv.ClientTLSConfig(),
		RateLimit: 1000, // the app's request quota
		// An hour's linger, so that this example's batches are full ones;
		// the default is DefaultBatchLinger.
		Batch: mipush.BatchOptions{Enabled: true, Linger: time.Hour},
		OnSuccess: func(r *mipush.SendResult) {
			if r.Batched {
				batched++
			}
		},
		OnError: func(e *mipush.SendError) { log.Print(e) },
	})
	defer client.Close()

	ctx := context.Background()
	for i := range 250 {
		id := strconv.Itoa(i)
		msg := &mipush.Message{
			RestrictedPackageName: "com.example.shop",
			Title:                 "Your order has shipped",
			Description:           "Order " + id + " arrives on Friday.",
		}
		if err := client.PushToRegIDAsync(ctx, []string{"regid-" + id}, msg); err != nil {
			log.Fatal(err)
		}
	}
	if err := client.Flush(ctx); err != nil { // sends the last, partial batch at once
		log.Fatal(err)
	}
	// The batches travel on several connections, so they may arrive in
	// any order: print them largest first.
	reqs := srv.Requests()
	slices.SortStableFunc(reqs, func(a, b *mipushtest.Request) int { return len(b.Messages) - len(a.Messages) })
	for _, r := range reqs {
		fmt.Println(r.Path, len(r.Messages), "messages")
	}
	fmt.Println(batched, "messages batched")
	// Output:
	// /v2/multi_messages/regids 100 messages
	// /v2/multi_messages/regids 100 messages
	// /v2/multi_messages/regids 50 messages
	// 250 messages batched
}
