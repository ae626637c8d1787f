package mipushtest

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// TestH2ContentLengthMismatch: DATA that do not add up to content-length
// make the request malformed (RFC 9113 §8.1.1): the stream is reset with
// PROTOCOL_ERROR, nothing is processed, and the connection goes on.
func TestH2ContentLengthMismatch(t *testing.T) {
	s := newTestServer(t, Options{HTTP2: true})
	c := dialH2(t, s)
	dec := hpack.NewDecoder(4096, nil)
	body := validSend("r1").Encode()
	reset := func(id uint32) {
		t.Helper()
		rst, ok := c.failure().(*http2.RSTStreamFrame)
		require.True(t, ok)
		assert.Equal(t, id, rst.StreamID)
		assert.Equal(t, http2.ErrCodeProtocol, rst.ErrCode)
	}

	// Fewer bytes than announced.
	c.writeBlock(1, c.encode(postFields("/v3/message/regid", len(body)+5)), 1<<14, false)
	require.NoError(t, c.fr.WriteData(1, true, []byte(body)))
	reset(1)
	// More bytes than announced.
	c.writeBlock(3, c.encode(postFields("/v3/message/regid", len(body)-1)), 1<<14, false)
	require.NoError(t, c.fr.WriteData(3, true, []byte(body)))
	reset(3)
	// A content-length but no DATA at all.
	c.writeBlock(5, c.encode(postFields("/v3/message/regid", 10)), 1<<14, true)
	reset(5)
	// Two content-lengths that disagree.
	c.writeBlock(7, c.encode(postFields("/v3/message/regid", len(body), [2]string{"content-length", "1"})), 1<<14, false)
	require.NoError(t, c.fr.WriteData(7, true, []byte(body)))
	reset(7)
	assert.Empty(t, s.Requests(), "nothing processed")

	// A request whose DATA match, and one without content-length, are
	// served on the same connection.
	c.writeBlock(9, c.encode(postFields("/v3/message/regid", len(body))), 1<<14, false)
	require.NoError(t, c.fr.WriteData(9, false, []byte(body[:10])))
	require.NoError(t, c.fr.WriteData(9, true, []byte(body[10:])))
	fields, _ := c.readHead(dec, 9)
	assert.Equal(t, "200", fields[":status"])
	noLength := postFields("/v3/message/regid", 0)
	noLength = noLength[:len(noLength)-1]
	c.writeBlock(11, c.encode(noLength), 1<<14, false)
	require.NoError(t, c.fr.WriteData(11, true, []byte(body)))
	fields, _ = c.readHead(dec, 11)
	assert.Equal(t, "200", fields[":status"])
	assert.Len(t, s.Requests(), 2)
}

// TestTwoContentTypesFirstCounts: with two Content-Type fields the first
// one counts, on both protocols.
func TestTwoContentTypesFirstCounts(t *testing.T) {
	body := validSend("r1").Encode()
	const form, json = "application/x-www-form-urlencoded", "application/json"
	t.Run("h1", func(t *testing.T) {
		s := newTestServer(t, Options{})
		for _, tc := range []struct {
			first, second string
			code          int
		}{{form, json, 0}, {json, form, 10012}} {
			c := dialRaw(t, s)
			c.write([]byte("POST /v3/message/regid HTTP/1.1\r\nHost: x\r\nAuthorization: key=sec\r\n" +
				"Content-Type: " + tc.first + "\r\nContent-Type: " + tc.second + "\r\n" +
				"Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body))
			resp, r, err := c.read()
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, tc.code, r.Code, "first %s", tc.first)
		}
		reqs := s.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, form, reqs[0].ContentType)
		assert.Equal(t, json, reqs[1].ContentType)
	})
	t.Run("h2", func(t *testing.T) {
		s := newTestServer(t, Options{HTTP2: true})
		c := dialH2(t, s)
		dec := hpack.NewDecoder(4096, nil)
		for i, tc := range []struct {
			first, second string
			code          string
		}{{form, json, `"code":0`}, {json, form, `"code":10012`}} {
			id := uint32(2*i + 1)
			fields := postFields("/v3/message/regid", len(body), [2]string{"content-type", tc.second})
			fields[5][1] = tc.first // postFields' own content-type comes first
			c.writeBlock(id, c.encode(fields), 1<<14, false)
			require.NoError(t, c.fr.WriteData(id, true, []byte(body)))
			head, answer := c.readHead(dec, id)
			assert.Equal(t, "200", head[":status"])
			assert.Contains(t, string(answer), tc.code, "first %s", tc.first)
		}
		reqs := s.Requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, form, reqs[0].ContentType)
		assert.Equal(t, json, reqs[1].ContentType)
	})
}
