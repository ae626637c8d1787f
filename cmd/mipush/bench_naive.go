package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mipush-go/mipush"
)

// naiveClient is the baseline the library is measured against: what the
// Go MiPush clients in common use do. Each send builds a url.Values form,
// POSTs it with net/http's default transport settings (two idle
// connections kept per host, HTTP/2 when the server offers it), reads the
// whole body and decodes it with encoding/json.
type naiveClient struct {
	hc  *http.Client
	url string
}

func newNaiveClient(ep benchEndpoint) *naiveClient {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = ep.tls.Clone()
	return &naiveClient{hc: &http.Client{Transport: tr}, url: "https://" + ep.host + "/v3/message/regid"}
}

func (n *naiveClient) close() { n.hc.CloseIdleConnections() }

// naiveResponse is the part of the answer a naive client looks at.
type naiveResponse struct {
	Result      string `json:"result"`
	Code        int    `json:"code"`
	Description string `json:"description"`
	Data        struct {
		ID string `json:"id"`
	} `json:"data"`
}

// send posts one message to regIDs and returns the message id.
func (n *naiveClient) send(ctx context.Context, regIDs []string, m *mipush.Message) (string, error) {
	form := naiveForm(regIDs, m)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.url, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "key="+benchSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	resp, err := n.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	var r naiveResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return "", fmt.Errorf("status %d: %w", resp.StatusCode, err)
	}
	if r.Result != "ok" {
		return "", fmt.Errorf("code %d: %s", r.Code, r.Description)
	}
	return r.Data.ID, nil
}

// naiveForm encodes the fields of m that the bench sets, the way the
// common clients do.
func naiveForm(regIDs []string, m *mipush.Message) url.Values {
	f := url.Values{}
	f.Set("registration_id", strings.Join(regIDs, ","))
	f.Set("restricted_package_name", m.RestrictedPackageName)
	f.Set("title", m.Title)
	f.Set("description", m.Description)
	f.Set("payload", m.Payload)
	f.Set("pass_through", "0")
	f.Set("notify_type", strconv.Itoa(int(m.NotifyType)))
	return f
}

// runNaive sends every message with the naive client from syncCallers
// goroutines.
func runNaive(ctx context.Context, ep benchEndpoint, sends []benchSend) (sample, error) {
	n := newNaiveClient(ep)
	defer n.close()
	warm := func() error {
		return runParallel(buildSends(warmSends, "warm-"), func(w *benchSend) error {
			_, err := n.send(ctx, w.regIDs, &w.msg)
			return err
		})
	}
	return runBlocking(ctx, ep, sends, warm, func(s *benchSend) error {
		_, err := n.send(ctx, s.regIDs, &s.msg)
		return err
	})
}
