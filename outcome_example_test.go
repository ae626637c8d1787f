package mipush_test

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// job is a row of the caller's own, say in a job table.
type job struct {
	ID     int
	RegIDs []string
	Status string
}

// The complete async pattern: each send carries the caller's own record
// as its value, OnSuccess and OnError mark it, OnInvalidTargets prunes the
// regids the server calls invalid (whether the send succeeded with some
// bad regids or failed with 20301 because all were), and Flush waits for
// every outcome before shutdown.
func ExampleClient_SendAsync() {
	srv := mipushtest.NewServer(mipushtest.Options{}) // stands in for api.xmpush.xiaomi.com
	defer srv.Close()
	srv.SetBadRegIDs("stale-1", "stale-2") // uninstalled apps

	registered := map[string]bool{"regid-a": true, "regid-b": true, "stale-1": true, "stale-2": true}
	// The callbacks run one at a time on one goroutine of the client's, and
	// Flush returns after the last has returned: no lock is needed here.
	client := mipush.NewClient(mipush.Options{
		AppSecret: "your-app-secret",
		Host:      srv.Host(),            // omit in production
		TLSConfig: srv.ClientTLSConfig(), // omit in production
		OnSuccess: func(r *mipush.SendResult) { r.Value.(*job).Status = "sent" },
		OnError: func(e *mipush.SendError) {
			// mipush.IsRetryable(e) tells whether to queue the job again later.
			j := e.Value.(*job)
			var apiErr *mipush.APIError
			if errors.As(e, &apiErr) && apiErr.Code == mipush.CodeNoValidTargets {
				j.Status = "failed: no valid targets"
			} else {
				j.Status = "failed: " + e.Err.Error()
			}
		},
		OnInvalidTargets: func(inv *mipush.InvalidTargets) {
			for _, id := range inv.IDs {
				delete(registered, id) // never send to them again
			}
		},
	})

	jobs := []*job{
		{ID: 1, RegIDs: []string{"regid-a"}},
		{ID: 2, RegIDs: []string{"regid-b", "stale-1"}},
		{ID: 3, RegIDs: []string{"stale-2"}},
	}
	ctx := context.Background()
	msg := &mipush.Message{RestrictedPackageName: "com.example.app", Title: "Hello", Description: "Your order has shipped"}
	for _, j := range jobs {
		send := mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: j.RegIDs}, Message: msg, Value: j}
		if err := client.SendAsync(ctx, send); err != nil {
			j.Status = "not sent: " + err.Error() // bad input or ctx ended: nothing was queued
		}
	}

	// At shutdown: wait for every outcome, then close.
	if err := client.Flush(ctx); err != nil {
		fmt.Println("flush:", err)
	}
	client.Close()

	for _, j := range jobs {
		fmt.Printf("job %d: %s\n", j.ID, j.Status)
	}
	left := make([]string, 0, len(registered))
	for id := range registered {
		left = append(left, id)
	}
	slices.Sort(left)
	fmt.Println("still registered:", left)
	// Output:
	// job 1: sent
	// job 2: sent
	// job 3: failed: no valid targets
	// still registered: [regid-a regid-b]
}

// Pruning stale targets with blocking sends: the hook has run when the
// call returns, for a send the server accepted with some bad regids and
// for one it rejected because all were bad.
func ExampleInvalidTargets() {
	srv := mipushtest.NewServer(mipushtest.Options{})
	defer srv.Close()
	srv.SetBadRegIDs("stale-1", "stale-2")

	client := mipush.NewClient(mipush.Options{
		AppSecret: "your-app-secret",
		Host:      srv.Host(),
		TLSConfig: srv.ClientTLSConfig(),
		OnInvalidTargets: func(inv *mipush.InvalidTargets) {
			fmt.Println("prune", inv.Kind, inv.IDs, "send failed:", inv.Err != nil)
		},
	})
	defer client.Close()

	msg := &mipush.Message{RestrictedPackageName: "com.example.app", PassThrough: true, Payload: "hi"}
	ctx := context.Background()
	if _, err := client.PushToRegID(ctx, []string{"regid-a", "stale-1"}, msg); err != nil {
		fmt.Println(err)
	}
	if _, err := client.PushToRegID(ctx, []string{"stale-2"}, msg); mipush.IsInvalidTarget(err) {
		fmt.Println("no valid targets")
	}
	// Output:
	// prune regid [stale-1] send failed: false
	// prune regid [stale-2] send failed: true
	// no valid targets
}

// A Pending for each send, for callers that prefer futures to callbacks:
// start many sends, then collect their outcomes.
func ExampleClient_Start() {
	srv := mipushtest.NewServer(mipushtest.Options{})
	defer srv.Close()
	srv.SetBadRegIDs("stale-regid")
	client := mipush.NewClient(mipush.Options{AppSecret: "your-app-secret", Host: srv.Host(), TLSConfig: srv.ClientTLSConfig()})
	defer client.Close()

	ctx := context.Background()
	msg := &mipush.Message{RestrictedPackageName: "com.example.app", PassThrough: true, Payload: "hi"}
	var pending []*mipush.Pending
	for _, regID := range []string{"regid-a", "stale-regid", "regid-b"} {
		p, err := client.Start(ctx, mipush.Send{Target: mipush.Target{Kind: mipush.TargetRegID, IDs: []string{regID}}, Message: msg})
		if err != nil {
			fmt.Println("not queued:", err)
			continue
		}
		pending = append(pending, p)
	}
	for _, p := range pending {
		_, err := p.Get(ctx)
		var se *mipush.SendError
		if errors.As(err, &se) {
			fmt.Println(se.Target.IDs[0], "failed, invalid target:", mipush.IsInvalidTarget(err))
		} else if err == nil {
			fmt.Println("sent")
		}
	}
	// Output:
	// sent
	// stale-regid failed, invalid target: true
	// sent
}
