package receipt_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/mipush-go/mipush/receipt"
)

// regidStore is an in-memory map from user to regid, standing in for a
// database.
type regidStore struct {
	mu     sync.Mutex
	byUser map[string]string
}

// apply prunes regids reported invalid and swaps in replacements.
func (s *regidStore) apply(rs []receipt.Receipt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rs {
		if r.Type != receipt.InvalidTarget {
			continue
		}
		for user, regid := range s.byUser {
			if repl, ok := r.ReplaceTarget[regid]; ok {
				s.byUser[user] = repl
			} else if r.ErrorCode == receipt.InvalidRegID && slices.Contains(r.Targets, regid) {
				delete(s.byUser, user)
			}
		}
	}
}

func (s *regidStore) print() {
	s.mu.Lock()
	defer s.mu.Unlock()
	users := make([]string, 0, len(s.byUser))
	for u := range s.byUser {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, u := range users {
		fmt.Printf("%s: %s\n", u, s.byUser[u])
	}
}

// A receipt endpoint that keeps a regid store clean: regids reported
// invalid (type 16, error code 1) are removed, and those MiPush gives a
// replacement for are updated. The sample post is what MiPush would send.
func ExampleHandler() {
	store := &regidStore{byUser: map[string]string{
		"alice": "d//igwEhgBGCI2TG6lWqlK+Vq7mPd/NIxQXRv0u62BFc=",
		"bob":   "wJ2kYQ7Uy+Y4lfz/Mg1ZsAkRr0oa9CQkhmPGYcpmxKc=",
		"carol": "k1YQ0p2m/3Zt+Xb5Vq8nR4sW6uE9cA7hLgJdFoTiPwM=",
	}}
	h := &receipt.Handler{
		Token: "example-secret",
		Handle: func(ctx context.Context, rs []receipt.Receipt) error {
			// Quick in-memory work only; slow work belongs on a queue.
			store.apply(rs)
			return nil
		},
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	// The URL to put in Message.Callback.URL.
	callbackURL, err := h.CallbackURL(srv.URL + "/mipush/receipts")
	if err != nil {
		fmt.Println(err)
		return
	}

	data := `{"scm01b93a1700000100000a":{"type":16,"errorCode":1,"barStatus":"Unknown","timestamp":1700000100000,` +
		`"targets":"d//igwEhgBGCI2TG6lWqlK+Vq7mPd/NIxQXRv0u62BFc=,wJ2kYQ7Uy+Y4lfz/Mg1ZsAkRr0oa9CQkhmPGYcpmxKc=",` +
		`"replaceTarget":{"wJ2kYQ7Uy+Y4lfz/Mg1ZsAkRr0oa9CQkhmPGYcpmxKc=":"Nq3+5yB/ZRtG0q8sVb2cT9zLwHhJk4mE7aXuD1oPf6Y="}},` +
		`"scm01b93a1700000100000b":{"type":1,"targets":"k1YQ0p2m/3Zt+Xb5Vq8nR4sW6uE9cA7hLgJdFoTiPwM=","timestamp":1700000100200}}`
	body := url.Values{"data": {data}}.Encode()
	resp, err := http.Post(callbackURL, "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	resp.Body.Close()
	fmt.Println(resp.Status)
	store.print()
	// Output:
	// 200 OK
	// bob: Nq3+5yB/ZRtG0q8sVb2cT9zLwHhJk4mE7aXuD1oPf6Y=
	// carol: k1YQ0p2m/3Zt+Xb5Vq8nR4sW6uE9cA7hLgJdFoTiPwM=
}

func ExampleParse() {
	// A delivered and a clicked receipt for the same message: both kept.
	data := []byte(`{"slm47b29b1700000000123z":{"type":1,"targets":"alias-alice","timestamp":1700000000123},
		"slm47b29b1700000000123z":{"type":2,"targets":"alias-alice","timestamp":1700000004567}}`)
	rs, err := receipt.Parse(data)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rs {
		fmt.Println(r.MsgID, r.Type, r.Targets, r.Timestamp.Format("15:04:05.000"))
	}
	// Output:
	// slm47b29b1700000000123z delivered [alias-alice] 22:13:20.123
	// slm47b29b1700000000123z clicked [alias-alice] 22:13:24.567
}

func ExampleType_String() {
	fmt.Println(receipt.Delivered | receipt.Clicked)
	fmt.Println(receipt.Type(243)) // what Xiaomi support recommends
	// Output:
	// delivered|clicked
	// delivered|clicked|invalid_target|disabled|filtered|over_quota
}
