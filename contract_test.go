package mipush_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mipush-go/mipush"
)

// TestContract names every identifier of the public contract with its
// type, so a rename or a changed signature fails the build rather than an
// outside check, and checks the values and behaviour the contract
// promises at run time.
func TestContract(t *testing.T) {
	assert.Equal(t, "api.xmpush.xiaomi.com", mipush.ProductionHost)
	assert.Equal(t, "sandbox.xmpush.xiaomi.com", mipush.SandboxHost)
	assert.Equal(t, []mipush.NotifyType{-1, 1, 2, 4}, []mipush.NotifyType{
		mipush.NotifyDefaultAll, mipush.NotifyDefaultSound, mipush.NotifyDefaultVibrate, mipush.NotifyDefaultLights})
	assert.Equal(t, []mipush.TopicOp{"UNION", "INTERSECTION", "EXCEPT"}, []mipush.TopicOp{
		mipush.TopicUnion, mipush.TopicIntersection, mipush.TopicExcept})
	require.Error(t, mipush.ErrClosed)
	require.Error(t, mipush.ErrMaybeProcessed)
	assert.NotErrorIs(t, mipush.ErrClosed, mipush.ErrMaybeProcessed, "two distinct sentinels")

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
		ChannelID:             "c",
		TemplateID:            "tpl",
		TemplateParams:        map[string]string{"name": "v"},
	}
	require.NoError(t, msg.Validate())

	// A SendError unwraps to its cause, an *APIError found by errors.As,
	// and to ErrMaybeProcessed when its cause wraps that.
	res := mipush.Result{ID: "", TraceID: "", BadRegIDs: []string(nil)}
	_ = res
	apiErr := mipush.APIError{Code: 10017, Description: "d", Reason: "", TraceID: "X1", HTTPStatus: 200}
	sendErr := &mipush.SendError{Message: &msg, Err: &apiErr}
	var _ error = sendErr
	var _ error = &apiErr
	var got *mipush.APIError
	require.ErrorAs(t, sendErr, &got)
	assert.Same(t, &apiErr, got)
	assert.EqualValues(t, 10017, got.Code)
	assert.Same(t, &msg, sendErr.Message)
	assert.NotErrorIs(t, sendErr, mipush.ErrMaybeProcessed)
	broken := &mipush.SendError{Message: &msg, Err: fmt.Errorf("conn reset: %w", mipush.ErrMaybeProcessed)}
	assert.ErrorIs(t, broken, mipush.ErrMaybeProcessed)

	const secret = "s3cr3t-of-the-contract"
	opts := mipush.Options{
		AppSecret:  secret,
		Host:       "",
		TLSConfig:  (*tls.Config)(nil),
		Conns:      1,
		ConnMaxAge: time.Minute,
		OnError:    func(*mipush.SendError) {},
	}
	var c *mipush.Client = mipush.NewClient(opts)
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", c, c, c, c), secret, "the secret never shows")

	// Every exported method of *Client, with its signature: the conversions
	// fail the build on a changed signature, the comparison below fails the
	// test on a method added or removed without updating this list.
	methods := []struct {
		name string
		fn   any
	}{
		{"AccountsOf", (func(context.Context, string, string) ([]string, error))(c.AccountsOf)},
		{"AddChannel", (func(context.Context, mipush.Channel) (*mipush.Result, error))(c.AddChannel)},
		{"AliasesOf", (func(context.Context, string, string) ([]string, error))(c.AliasesOf)},
		{"Channels", (func(context.Context) ([]mipush.Channel, error))(c.Channels)},
		{"Close", (func() error)(c.Close)},
		{"DeleteBroadcast", (func(context.Context, string) (*mipush.Result, error))(c.DeleteBroadcast)},
		{"DeleteJob", (func(context.Context, string) (*mipush.Result, error))(c.DeleteJob)},
		{"DeleteJobsByKey", (func(context.Context, string) (*mipush.Result, error))(c.DeleteJobsByKey)},
		{"DiscardChannel", (func(context.Context, string) (*mipush.Result, error))(c.DiscardChannel)},
		{"Flush", (func(context.Context) error)(c.Flush)},
		{"Format", (func(fmt.State, rune))(c.Format)},
		{"JobExists", (func(context.Context, string) (bool, error))(c.JobExists)},
		{"Metrics", (func() mipush.Metrics)(c.Metrics)},
		{"Presence", (func(context.Context, string, string) (*mipush.Presence, error))(c.Presence)},
		{"Presences", (func(context.Context, string, []string) ([]mipush.Presence, error))(c.Presences)},
		{"PushBulk", (func(context.Context, mipush.TargetKind, []string, *mipush.Message) (*mipush.BulkResult, error))(c.PushBulk)},
		{"PushBulkAsync", (func(context.Context, mipush.TargetKind, []string, *mipush.Message) (int, error))(c.PushBulkAsync)},
		{"PushMessagesToAliases", (func(context.Context, []mipush.TargetedMessage, time.Time) (*mipush.Result, error))(c.PushMessagesToAliases)},
		{"PushMessagesToAliasesAsync", (func(context.Context, []mipush.TargetedMessage, time.Time) error)(c.PushMessagesToAliasesAsync)},
		{"PushMessagesToRegIDs", (func(context.Context, []mipush.TargetedMessage, time.Time) (*mipush.Result, error))(c.PushMessagesToRegIDs)},
		{"PushMessagesToRegIDsAsync", (func(context.Context, []mipush.TargetedMessage, time.Time) error)(c.PushMessagesToRegIDsAsync)},
		{"PushMessagesToUserAccounts", (func(context.Context, []mipush.TargetedMessage, time.Time) (*mipush.Result, error))(c.PushMessagesToUserAccounts)},
		{"PushMessagesToUserAccountsAsync", (func(context.Context, []mipush.TargetedMessage, time.Time) error)(c.PushMessagesToUserAccountsAsync)},
		{"PushToAlias", (func(context.Context, []string, *mipush.Message) (*mipush.Result, error))(c.PushToAlias)},
		{"PushToAliasAsync", (func(context.Context, []string, *mipush.Message) error)(c.PushToAliasAsync)},
		{"PushToAll", (func(context.Context, *mipush.Message) (*mipush.Result, error))(c.PushToAll)},
		{"PushToAllAsync", (func(context.Context, *mipush.Message) error)(c.PushToAllAsync)},
		{"PushToRegID", (func(context.Context, []string, *mipush.Message) (*mipush.Result, error))(c.PushToRegID)},
		{"PushToRegIDAsync", (func(context.Context, []string, *mipush.Message) error)(c.PushToRegIDAsync)},
		{"PushToTopic", (func(context.Context, string, *mipush.Message) (*mipush.Result, error))(c.PushToTopic)},
		{"PushToTopicAsync", (func(context.Context, string, *mipush.Message) error)(c.PushToTopicAsync)},
		{"PushToTopics", (func(context.Context, []string, mipush.TopicOp, *mipush.Message) (*mipush.Result, error))(c.PushToTopics)},
		{"PushToTopicsAsync", (func(context.Context, []string, mipush.TopicOp, *mipush.Message) error)(c.PushToTopicsAsync)},
		{"PushToUserAccount", (func(context.Context, []string, *mipush.Message) (*mipush.Result, error))(c.PushToUserAccount)},
		{"PushToUserAccountAsync", (func(context.Context, []string, *mipush.Message) error)(c.PushToUserAccountAsync)},
		{"RegionsOf", (func(context.Context, []string) (map[string]string, error))(c.RegionsOf)},
		{"RevokeAliases", (func(context.Context, string, int, []string) (*mipush.Result, error))(c.RevokeAliases)},
		{"RevokeJob", (func(context.Context, string, string) (*mipush.Result, error))(c.RevokeJob)},
		{"RevokeMessage", (func(context.Context, string, string) (*mipush.Result, error))(c.RevokeMessage)},
		{"RevokeRegIDs", (func(context.Context, string, int, []string) (*mipush.Result, error))(c.RevokeRegIDs)},
		{"RevokeTopic", (func(context.Context, string, int, string) (*mipush.Result, error))(c.RevokeTopic)},
		{"RevokeTopics", (func(context.Context, string, int, []string, mipush.TopicOp) (*mipush.Result, error))(c.RevokeTopics)},
		{"RevokeUserAccounts", (func(context.Context, string, int, []string) (*mipush.Result, error))(c.RevokeUserAccounts)},
		{"Send", (func(context.Context, mipush.Send) (*mipush.Result, error))(c.Send)},
		{"SendAsync", (func(context.Context, mipush.Send) error)(c.SendAsync)},
		{"Shutdown", (func(context.Context) error)(c.Shutdown)},
		{"Start", (func(context.Context, mipush.Send) (*mipush.Pending, error))(c.Start)},
		{"Stats", (func(context.Context, string, time.Time, time.Time) ([]mipush.DailyStats, error))(c.Stats)},
		{"StopJobs", (func(context.Context, string, []string) (*mipush.Result, error))(c.StopJobs)},
		{"StopMessages", (func(context.Context, string, []string) (*mipush.Result, error))(c.StopMessages)},
		{"String", (func() string)(c.String)},
		{"SubscribeAliases", (func(context.Context, []string, string, *mipush.SubscribeOptions) (*mipush.Result, error))(c.SubscribeAliases)},
		{"SubscribeRegIDs", (func(context.Context, []string, string, *mipush.SubscribeOptions) (*mipush.Result, error))(c.SubscribeRegIDs)},
		{"TopicsOf", (func(context.Context, string, string) ([]string, error))(c.TopicsOf)},
		{"TraceJob", (func(context.Context, string) (*mipush.MessageStatus, error))(c.TraceJob)},
		{"TraceMessage", (func(context.Context, string) (*mipush.MessageStatus, error))(c.TraceMessage)},
		{"TraceRange", (func(context.Context, time.Time, time.Time) ([]mipush.MessageStatus, error))(c.TraceRange)},
		{"Unblock", (func())(c.Unblock)},
		{"UnsubscribeAliases", (func(context.Context, []string, string, *mipush.SubscribeOptions) (*mipush.Result, error))(c.UnsubscribeAliases)},
		{"UnsubscribeRegIDs", (func(context.Context, []string, string, *mipush.SubscribeOptions) (*mipush.Result, error))(c.UnsubscribeRegIDs)},
		{"ValidateRegIDs", (func(context.Context, []string) (*mipush.RegIDValidation, error))(c.ValidateRegIDs)},
		{"WithSecret", (func(string) *mipush.Client)(c.WithSecret)},
	}
	ty := reflect.TypeFor[*mipush.Client]()
	var listed []string
	for _, m := range methods {
		listed = append(listed, m.name)
		meth, ok := ty.MethodByName(m.name)
		if !assert.True(t, ok, "%s is listed but is no method of *Client", m.name) {
			continue
		}
		want := reflect.ValueOf(c).MethodByName(m.name).Type()
		assert.Equal(t, want, reflect.TypeOf(m.fn), "%s (%v)", m.name, meth.Type)
	}
	var actual []string
	for i := range ty.NumMethod() {
		actual = append(actual, ty.Method(i).Name)
	}
	slices.Sort(listed)
	assert.Equal(t, actual, listed, "every exported method of *Client is listed once (a new one needs an entry here)")

	// NewClient never fails: invalid Options make calls fail clearly.
	bad := mipush.NewClient(mipush.Options{})
	_, err := bad.PushToRegID(t.Context(), []string{"r"}, &msg)
	require.Error(t, err)
	assert.Contains(t, strings.ToLower(err.Error()), "secret", "the error names what is wrong")
	require.NoError(t, bad.Close())

	// Close is safe twice; a send after it is ErrClosed, before any byte.
	require.NoError(t, c.Close(), "Close of an unused client")
	require.NoError(t, c.Close(), "Close again")
	assert.ErrorIs(t, c.PushToRegIDAsync(context.Background(), []string{"r"}, &msg), mipush.ErrClosed)
	_, err = c.PushToRegID(t.Context(), []string{"r"}, &msg)
	assert.ErrorIs(t, err, mipush.ErrClosed)
}
