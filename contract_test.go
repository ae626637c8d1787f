package mipush_test

import (
	"context"
	"crypto/tls"
	"errors"
	"testing"
	"time"

	"github.com/mipush-go/mipush"
)

// TestContract names every identifier of the public contract in
// design.md with its type, so a rename or a changed signature fails the
// build rather than an outside check.
func TestContract(t *testing.T) {
	var (
		_ string = mipush.ProductionHost
		_ string = mipush.SandboxHost

		_ mipush.NotifyType = mipush.NotifyDefaultAll
		_ mipush.NotifyType = mipush.NotifyDefaultSound
		_ mipush.NotifyType = mipush.NotifyDefaultVibrate
		_ mipush.NotifyType = mipush.NotifyDefaultLights

		_ mipush.TopicOp = mipush.TopicUnion
		_ mipush.TopicOp = mipush.TopicIntersection
		_ mipush.TopicOp = mipush.TopicExcept

		_ error = mipush.ErrClosed
		_ error = mipush.ErrMaybeProcessed
	)
	msg := mipush.Message{
		RestrictedPackageName: "com.example",
		Payload:               "p",
		Title:                 "t",
		Description:           "d",
		PassThrough:           false,
		NotifyType:            mipush.NotifyDefaultAll,
		NotifyID:              1,
		TimeToLive:            time.Hour,
		TimeToSend:            time.Time{},
		Extra:                 map[string]string{"k": "v"},
	}
	opts := mipush.Options{
		AppSecret:  "secret",
		Host:       "",
		TLSConfig:  (*tls.Config)(nil),
		Conns:      1,
		ConnMaxAge: time.Minute,
		OnError:    func(*mipush.SendError) {},
	}
	res := mipush.Result{ID: "", TraceID: "", BadRegIDs: []string(nil)}
	apiErr := mipush.APIError{Code: 0, Description: "", Reason: "", TraceID: "", HTTPStatus: 0}
	sendErr := &mipush.SendError{Message: &msg, Err: &apiErr}
	var _ error = sendErr
	var _ error = &apiErr
	if !errors.Is(sendErr, sendErr.Unwrap()) {
		t.Fatal("SendError does not unwrap to its cause")
	}
	_ = res

	var c *mipush.Client = mipush.NewClient(opts)
	var (
		_ func(context.Context, []string, *mipush.Message) (*mipush.Result, error)                 = c.PushToRegID
		_ func(context.Context, []string, *mipush.Message) error                                   = c.PushToRegIDAsync
		_ func(context.Context, []string, *mipush.Message) (*mipush.Result, error)                 = c.PushToAlias
		_ func(context.Context, []string, *mipush.Message) error                                   = c.PushToAliasAsync
		_ func(context.Context, []string, *mipush.Message) (*mipush.Result, error)                 = c.PushToUserAccount
		_ func(context.Context, []string, *mipush.Message) error                                   = c.PushToUserAccountAsync
		_ func(context.Context, string, *mipush.Message) (*mipush.Result, error)                   = c.PushToTopic
		_ func(context.Context, string, *mipush.Message) error                                     = c.PushToTopicAsync
		_ func(context.Context, []string, mipush.TopicOp, *mipush.Message) (*mipush.Result, error) = c.PushToTopics
		_ func(context.Context, []string, mipush.TopicOp, *mipush.Message) error                   = c.PushToTopicsAsync
		_ func(context.Context, *mipush.Message) (*mipush.Result, error)                           = c.PushToAll
		_ func(context.Context, *mipush.Message) error                                             = c.PushToAllAsync
		_ func(context.Context) error                                                              = c.Flush
		_ func() error                                                                             = c.Close
	)
	if err := c.Close(); err != nil {
		t.Fatalf("Close of an unused client: %v", err)
	}
}
