package mipush_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
)

// exampleClient starts a fake server and a client for it; in production
// only the AppSecret (and perhaps a Region) is needed.
func exampleClient(secrets ...string) (*mipushtest.Server, *mipush.Client) {
	srv := mipushtest.NewServer(mipushtest.Options{HTTP2: true, Secrets: secrets})
	c := mipush.NewClient(mipush.Options{
		AppSecret: "your-app-secret",
		Host:      srv.Host(),            // omit in production
		TLSConfig: srv.ClientTLSConfig(), // omit in production
	})
	return srv, c
}

// Different messages for different devices, in one request.
func ExampleClient_PushMessagesToRegIDs() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()

	batch := []mipush.TargetedMessage{
		{Target: "regid-of-alice", Message: &mipush.Message{
			RestrictedPackageName: "com.example.app", Title: "Hi Alice", Description: "Your order shipped"}},
		{Target: "regid-of-bob", Message: &mipush.Message{
			RestrictedPackageName: "com.example.app", Title: "Hi Bob", Description: "Your order arrived"}},
	}
	res, err := client.PushMessagesToRegIDs(context.Background(), batch, time.Time{})
	if err != nil {
		fmt.Println("send failed:", err)
		return
	}
	fmt.Println("accepted:", res.ID != "")
	// Output: accepted: true
}

// One message to any number of devices: the client splits the list into
// requests of 1000 and sends them together.
func ExampleClient_PushBulk() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()
	srv.SetBadRegIDs("regid-1234") // the server will reject this one

	regIDs := make([]string, 2500)
	for i := range regIDs {
		regIDs[i] = fmt.Sprintf("regid-%d", i)
	}
	msg := &mipush.Message{RestrictedPackageName: "com.example.app", Title: "Sale", Description: "Today only"}
	res, err := client.PushBulk(context.Background(), mipush.TargetRegID, regIDs, msg)
	if err != nil {
		fmt.Println("some requests failed:", err)
	}
	fmt.Println("requests:", len(res.Chunks))
	fmt.Println("invalid:", res.Invalid)
	// Output:
	// requests: 3
	// invalid: [regid-1234]
}

// A scheduled message is a job that can be checked and cancelled.
func ExampleClient_JobExists() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()
	ctx := context.Background()

	msg := &mipush.Message{RestrictedPackageName: "com.example.app", Title: "Reminder", Description: "Meeting at 10",
		TimeToSend: time.Now().Add(2 * time.Hour)}
	res, err := client.PushToAlias(ctx, []string{"alice"}, msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	exists, _ := client.JobExists(ctx, res.ID)
	fmt.Println("scheduled:", exists)
	if _, err := client.DeleteJob(ctx, res.ID); err != nil {
		fmt.Println(err)
	}
	exists, _ = client.JobExists(ctx, res.ID)
	fmt.Println("scheduled after delete:", exists)
	// Output:
	// scheduled: true
	// scheduled after delete: false
}

// Daily counters and the delivery status of one message.
func ExampleClient_TraceMessage() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()
	ctx := context.Background()

	msg := &mipush.Message{RestrictedPackageName: "com.example.app", Title: "Hello", Description: "World"}
	res, err := client.PushToRegID(ctx, []string{"r1", "r2"}, msg)
	if err != nil {
		fmt.Println(err)
		return
	}
	today := time.Now()
	days, err := client.Stats(ctx, "com.example.app", today, today)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("regid recipients today:", days[0].RegIDRecipients)

	st, err := client.TraceMessage(ctx, res.ID)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("delivered to %d, %.0f%%\n", st.Delivered, st.DeliveryRate)
	// Output:
	// regid recipients today: 2
	// delivered to 1, 100%
}

// Subscribing devices to a topic, then listing a device's topics.
func ExampleClient_SubscribeRegIDs() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()
	ctx := context.Background()

	opts := &mipush.SubscribeOptions{RestrictedPackageName: "com.example.app"}
	if _, err := client.SubscribeRegIDs(ctx, []string{"r1", "r2"}, "news", opts); err != nil {
		fmt.Println(err)
		return
	}
	topics, err := client.TopicsOf(ctx, "com.example.app", "r1")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(topics)
	// Output: [news]
}

// Asking the server about devices.
func ExampleClient_Presences() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()
	srv.SetBadRegIDs("old-regid")

	list, err := client.Presences(context.Background(), "com.example.app", []string{"new-regid", "old-regid"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range list {
		fmt.Println(p.RegID, "online:", p.Present)
	}
	// Output:
	// new-regid online: true
	// old-regid online: false
}

// Withdrawing a notification already shown, by the notify id it was sent
// with.
func ExampleClient_RevokeRegIDs() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()

	_, err := client.RevokeRegIDs(context.Background(), "com.example.app", 42, []string{"r1", "r2"})
	fmt.Println("revoked:", err == nil)
	// Output: revoked: true
}

// Notification channels for Android 8 and later.
func ExampleClient_AddChannel() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()
	ctx := context.Background()

	ch := mipush.Channel{ID: "orders", Name: "Orders", Description: "Order updates", NotifyType: mipush.NotifyDefaultSound}
	if _, err := client.AddChannel(ctx, ch); err != nil {
		fmt.Println(err)
		return
	}
	list, err := client.Channels(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, ch := range list {
		fmt.Println(ch.ID, ch.Name)
	}
	// Output: orders Orders
}

// Finding out which region's hosts to send to. The feedback calls go to the
// feedback host of Options.Region (here pinned to the fake server).
func ExampleClient_RegionsOf() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()

	regions, err := client.RegionsOf(context.Background(), []string{"r1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(regions["r1"])
	// Output: China
}

// One client, one pool of connections, several apps.
func ExampleClient_WithSecret() {
	srv, client := exampleClient("your-app-secret", "other-app-secret")
	defer srv.Close()
	defer client.Close() // closes the views too: close only the client

	other := client.WithSecret("other-app-secret")
	msg := &mipush.Message{RestrictedPackageName: "com.example.other", Title: "Hello", Description: "From the other app"}
	if _, err := other.PushToRegID(context.Background(), []string{"r1"}, msg); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("sent as:", srv.Requests()[0].Secret)
	// Output: sent as: other-app-secret
}
