//lint:file-ignore SA1019 x/net's http2.Server is deprecated in favour of net/http, but it is a second, independent HTTP/2 implementation served over any net.Conn, which is what these tests need.

package h2conn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"

	"github.com/mipush-go/mipush/internal/wire"
)

// selfSigned returns a certificate for 127.0.0.1 and a pool trusting it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "h2conn test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	leaf, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
}

// TestTLS runs exchanges over a real TLS loopback connection that
// negotiated h2 through ALPN, then retires the connection.
func TestTLS(t *testing.T) {
	cert, pool := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{cert},
		NextProtos:   []string{"h2"},
	})
	require.NoError(t, err)
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			served <- err
			return
		}
		(&http2.Server{}).ServeConn(tc, &http2.ServeConnOpts{Handler: http.HandlerFunc(echo)})
		served <- nil
	}()

	nc, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
		RootCAs:    pool,
		NextProtos: []string{"h2", "http/1.1"},
	})
	require.NoError(t, err)
	require.Equal(t, "h2", nc.ConnectionState().NegotiatedProtocol)

	f := &xfix{
		q:      make(chan *wire.Exchange, 64),
		out:    make(chan outcome, 64),
		closed: make(chan error, 2),
	}
	c, err := New(t.Context(), nc, testConfig(f.q, f.closed))
	require.NoError(t, err)
	const n = 50
	want := map[string]bool{}
	for i := range n {
		body := fmt.Sprintf("tls=%d", i)
		want[body] = true
		f.q <- newEx("/v3/message/regid", body, f.out)
	}
	for range n {
		o := <-f.out
		require.NoError(t, o.err)
		assert.True(t, want[o.body], o.body)
		delete(want, o.body)
	}
	c.Retire()
	<-c.Done()
	assert.NoError(t, <-f.closed)
	require.NoError(t, <-served)
}
