package mipush_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mipush-go/mipush"
	"github.com/mipush-go/mipush/mipushtest"
	"github.com/mipush-go/mipush/receipt"
)

func ExampleMessage_Validate() {
	// An Android notification that opens a web page when tapped.
	notification := &mipush.Message{
		RestrictedPackageName: "com.example.shop",
		Title:                 "Your order has shipped",
		Description:           "Order 12345 arrives on Friday.",
		NotifyType:            mipush.NotifyDefaultAll,
		NotifyEffect:          mipush.NotifyEffectWeb,
		WebURI:                "https://shop.example.com/orders/12345",
		JobKey:                "order-12345", // lets the device drop a resent copy
		TimeToLive:            24 * time.Hour,
		Callback: &mipush.Callback{
			URL:  "https://hooks.example.com/mipush?token=s3cr3t",
			Type: receipt.Delivered | receipt.InvalidTarget,
		},
	}
	fmt.Println(notification.Validate())

	// A pass-through message: the payload alone is enough.
	passThrough := &mipush.Message{
		RestrictedPackageName: "com.example.shop",
		Payload:               `{"type":"sync"}`,
		PassThrough:           true,
	}
	fmt.Println(passThrough.Validate())

	// Titles are limited in characters, not bytes.
	notification.Title = strings.Repeat("长", 60)
	var ve *mipush.ValidationError
	if err := notification.Validate(); errors.As(err, &ve) {
		fmt.Printf("%s: %s\n", ve.Field, ve.Reason)
	}

	// Documented extras may be written as Xiaomi's documentation names
	// them, checked by the rules of their typed fields; only a key set
	// both ways to two values is refused.
	notification.Title = "Your order has shipped"
	notification.Extra = map[string]string{"channel_id": "orders", "jobkey": "order-12345"}
	fmt.Println(notification.Validate())
	notification.Extra["jobkey"] = "order-67890"
	if err := notification.Validate(); errors.As(err, &ve) {
		fmt.Printf("%s: %s\n", ve.Field, ve.Reason)
	}
	// Output:
	// <nil>
	// <nil>
	// title: must be shorter than 50 characters, got 60
	// <nil>
	// extra.jobkey: is set twice, to different values: Extra["jobkey"] = "order-67890" and JobKey = "order-12345"; set one of them
}

func ExampleIOS() {
	// An iOS message needs no title: setting IOS marks it as one.
	msg := &mipush.Message{
		Description: "You have a new message",
		IOS: &mipush.IOS{
			Badge:    new(3),
			SoundURL: "default",
			ApsTitle: "Mail",
			ApsBody:  "You have a new message",
		},
	}
	fmt.Println(msg.Validate())
	// Output: <nil>
}

// Since 2026-06 a message on a private channel names a template approved
// for the channel and gives the values of its variables; they are sent as
// extra.template_id and extra.template_param, a JSON object.
func ExampleMessage_template() {
	srv, client := exampleClient()
	defer srv.Close()
	defer client.Close()
	// The fake server knows the channel's template, as Xiaomi's console would.
	srv.SetTemplate(mipushtest.Template{ID: "tpl-shipped", ChannelID: "orders", Vars: []string{"order", "day"}})

	msg := &mipush.Message{
		RestrictedPackageName: "com.example.shop",
		Title:                 "Your order has shipped", // still required with a template
		Description:           "Order 12345 arrives on Friday.",
		ChannelID:             "orders",
		TemplateID:            "tpl-shipped",
		TemplateParams:        map[string]string{"order": "12345", "day": "Friday"},
	}
	if _, err := client.PushToRegID(context.Background(), []string{"regid-1"}, msg); err != nil {
		fmt.Println(err)
		return
	}
	sent := srv.RequestsTo("/v3/message/regid")[0].Form
	fmt.Println("template_id:", sent.Get("extra.template_id"))
	fmt.Println("template_param:", sent.Get("extra.template_param"))
	fmt.Println("notify_effect:", sent.Get("extra.notify_effect")) // a predefined notification by default

	// A value with an emoji breaks the template rules: refused before sending.
	msg.TemplateParams["day"] = "Friday 🚚"
	_, err := client.PushToRegID(context.Background(), []string{"regid-1"}, msg)
	fmt.Println(err)
	// Output:
	// template_id: tpl-shipped
	// template_param: {"day":"Friday","order":"12345"}
	// notify_effect: 1
	// mipush: invalid extra.template_param: variable "day": must not hold symbols of category So (such as emoji), got '🚚' at byte 7
}
