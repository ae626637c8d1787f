package mipush

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTargetPath(t *testing.T) {
	one := &Message{RestrictedPackageName: "com.a"}
	multi := &Message{RestrictedPackageName: "com.a,com.b"}
	none := &Message{}
	for _, tc := range []struct {
		target Target
		msg    *Message
		want   string
	}{
		{Target{Kind: TargetRegID, IDs: []string{"r"}}, one, "/v3/message/regid"},
		{Target{Kind: TargetAlias, IDs: []string{"a"}}, one, "/v3/message/alias"},
		{Target{Kind: TargetUserAccount, IDs: []string{"u"}}, one, "/v2/message/user_account"},
		{Target{Kind: TargetTopic, IDs: []string{"t"}}, one, "/v2/message/topic"},
		{Target{Kind: TargetTopic, IDs: []string{"t"}}, multi, "/v3/message/topic"},
		{Target{Kind: TargetTopic, IDs: []string{"t"}}, none, "/v3/message/topic"},
		{Target{Kind: TargetTopics, IDs: []string{"t"}, Op: TopicUnion}, one, "/v2/message/topic"},
		{Target{Kind: TargetTopics, IDs: []string{"t", "u"}, Op: TopicUnion}, one, "/v2/message/multi_topic"},
		{Target{Kind: TargetTopics, IDs: []string{"t", "u"}, Op: TopicUnion}, multi, "/v3/message/multi_topic"},
		{Target{Kind: TargetAll}, one, "/v2/message/all"},
		{Target{Kind: TargetAll}, none, "/v3/message/all"},
	} {
		assert.Equal(t, tc.want, tc.target.path(tc.msg), "%v %q", tc.target, tc.msg.RestrictedPackageName)
	}
}

func TestEncodeSendTargets(t *testing.T) {
	msg := &Message{RestrictedPackageName: "com.a", PassThrough: true, Payload: "p&q"}
	for _, tc := range []struct {
		target Target
		want   url.Values
	}{
		{Target{Kind: TargetRegID, IDs: []string{"r1", "r+/2"}}, url.Values{"registration_id": {"r1,r+/2"}}},
		{Target{Kind: TargetAlias, IDs: []string{"a b"}}, url.Values{"alias": {"a b"}}},
		{Target{Kind: TargetUserAccount, IDs: []string{"u1", "u2"}}, url.Values{"user_account": {"u1,u2"}}},
		{Target{Kind: TargetTopic, IDs: []string{"news"}}, url.Values{"topic": {"news"}}},
		{Target{Kind: TargetTopics, IDs: []string{"a", "b", "c"}, Op: TopicExcept}, url.Values{"topics": {"a;$;b;$;c"}, "topic_op": {"EXCEPT"}}},
		{Target{Kind: TargetTopics, IDs: []string{"solo"}, Op: TopicUnion}, url.Values{"topic": {"solo"}}},
		{Target{Kind: TargetAll}, url.Values{}},
	} {
		body, err := encodeSend(nil, tc.target, msg)
		require.NoError(t, err, "%v", tc.target)
		assert.False(t, strings.HasPrefix(string(body), "&"), "body starts with '&': %s", body)
		got, err := url.ParseQuery(string(body))
		require.NoError(t, err)
		assert.Equal(t, "p&q", got.Get("payload"))
		assert.Equal(t, "com.a", got.Get("restricted_package_name"))
		for k, v := range tc.want {
			assert.Equal(t, v, got[k], "%v: field %s", tc.target, k)
		}
		assert.LessOrEqual(t, len(got["topic_op"]), 1, "topic_op sent more than once")
		if _, ok := tc.want["topic_op"]; !ok {
			assert.NotContains(t, got, "topic_op")
		}
	}
}

func TestTargetValidate(t *testing.T) {
	ids := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = "id"
		}
		return s
	}
	for _, tc := range []struct {
		target Target
		field  string // "" means valid
	}{
		{Target{Kind: TargetRegID, IDs: ids(1)}, ""},
		{Target{Kind: TargetRegID, IDs: ids(1000)}, ""},
		{Target{Kind: TargetRegID, IDs: ids(1001)}, "registration_id"},
		{Target{Kind: TargetRegID}, "registration_id"},
		{Target{Kind: TargetRegID, IDs: []string{"a", ""}}, "registration_id"},
		{Target{Kind: TargetRegID, IDs: []string{"a,b"}}, "registration_id"},
		{Target{Kind: TargetAlias, IDs: []string{"x\ny"}}, "alias"},
		{Target{Kind: TargetUserAccount, IDs: ids(1001)}, "user_account"},
		{Target{Kind: TargetTopic, IDs: []string{""}}, "topic"},
		{Target{Kind: TargetTopics, IDs: ids(5), Op: TopicUnion}, ""},
		{Target{Kind: TargetTopics, IDs: ids(6), Op: TopicUnion}, "topics"},
		{Target{Kind: TargetTopics, IDs: []string{"a;$;b"}, Op: TopicUnion}, "topics"},
		{Target{Kind: TargetTopics, IDs: ids(2), Op: "OR"}, "topic_op"},
		{Target{Kind: TargetTopics, IDs: ids(2)}, "topic_op"},
		{Target{Kind: TargetAll}, ""},
	} {
		err := tc.target.Validate()
		if tc.field == "" {
			assert.NoError(t, err, "%v", tc.target)
			continue
		}
		var ve *ValidationError
		if assert.ErrorAs(t, err, &ve, "%v", tc.target) {
			assert.Equal(t, tc.field, ve.Field)
			assert.NotEmpty(t, ve.Reason)
		}
	}
}

func TestTargetString(t *testing.T) {
	assert.Equal(t, "regid[2]", Target{Kind: TargetRegID, IDs: []string{"a", "b"}}.String())
	assert.Equal(t, "topic news", Target{Kind: TargetTopic, IDs: []string{"news"}}.String())
	assert.Equal(t, "topics UNION[2]", Target{Kind: TargetTopics, IDs: []string{"a", "b"}, Op: TopicUnion}.String())
	assert.Equal(t, "all", Target{Kind: TargetAll}.String())
}

func TestValidateTargetID(t *testing.T) {
	for id, ok := range map[string]bool{
		"abc+/=": true, "with space": true, "中文": true,
		"": false, "a,b": false, "a;$;b": false, "a\x01b": false, "a\nb": false, "\xff": false,
	} {
		err := ValidateTargetID(id)
		assert.Equal(t, ok, err == nil, "%q: %v", id, err)
		// Every call applies the same rule: a send and a revoke agree.
		tErr := Target{Kind: TargetRegID, IDs: []string{id}}.Validate()
		rErr := checkValues("registration_id", []string{id}, MaxTargets)
		assert.Equal(t, ok, tErr == nil, "%q", id)
		assert.Equal(t, ok, rErr == nil, "%q", id)
	}
}
