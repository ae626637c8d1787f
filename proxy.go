package mipush

import (
	"net/url"

	"golang.org/x/net/http/httpproxy"
)

// NoProxy, as Options.Proxy, connects directly, whatever the environment
// says.
func NoProxy(hostport string) (*url.URL, error) { return nil, nil }

// ProxyFromEnvironment returns a proxy function that follows HTTPS_PROXY
// and NO_PROXY (and their lower-case forms), read once, as net/http does.
// Loopback addresses and localhost are never proxied. It is what a nil
// Options.Proxy means.
func ProxyFromEnvironment() func(hostport string) (*url.URL, error) {
	f := httpproxy.FromEnvironment().ProxyFunc()
	return func(hostport string) (*url.URL, error) {
		return f(&url.URL{Scheme: "https", Host: hostport})
	}
}
