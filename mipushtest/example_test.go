package mipushtest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/mipush-go/mipush/mipushtest"
)

// A test starts the fake server, sends with any HTTP client that trusts the
// server's CA, and inspects what the server received.
func Example() {
	srv := mipushtest.NewServer(mipushtest.Options{Secrets: []string{"my-secret"}})
	defer srv.Close()

	form := url.Values{
		"registration_id":         {"regid1,regid2"},
		"restricted_package_name": {"com.example.app"},
		"title":                   {"Hello"},
		"description":             {"World"},
	}
	req, _ := http.NewRequest("POST", srv.URL()+"/v3/message/regid", strings.NewReader(form.Encode()))
	req.Header.Set("Authorization", "key=my-secret")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: srv.ClientTLSConfig()}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var answer struct {
		Result string `json:"result"`
		Code   int    `json:"code"`
		Info   string `json:"info"`
	}
	json.NewDecoder(resp.Body).Decode(&answer)
	fmt.Println(resp.StatusCode, answer.Result, answer.Code, answer.Info)

	for _, r := range srv.Requests() {
		fmt.Println(r.Method, r.Path, r.Proto, r.Secret, r.Targets, r.Form.Get("title"))
	}
	// Output:
	// 200 ok 0 Received push messages for 2 REGID
	// POST /v3/message/regid h1 my-secret [regid1 regid2] Hello
}

// Faults are set while the server runs: here one target answers "system
// busy", and a server-side error code reaches the client as JSON.
func ExampleServer_FailTarget() {
	srv := mipushtest.NewServer(mipushtest.Options{})
	defer srv.Close()
	srv.FailTarget("regid2", mipushtest.ErrorAnswer(10002, "busy, retry later"))

	client := srv.Client()
	form := url.Values{"registration_id": {"regid1,regid2"}, "title": {"t"}, "description": {"d"}}
	req, _ := http.NewRequest("POST", srv.URL()+"/v3/message/regid", strings.NewReader(form.Encode()))
	req.Header.Set("Authorization", "key=s")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	var answer struct {
		Result      string `json:"result"`
		Code        int    `json:"code"`
		Reason      string `json:"reason"`
		Description string `json:"description"`
	}
	json.NewDecoder(resp.Body).Decode(&answer)
	fmt.Println(answer.Result, answer.Code, answer.Reason, answer.Description)
	// Output:
	// error 10002 busy, retry later 系统繁忙
}
