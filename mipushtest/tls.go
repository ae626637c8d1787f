package mipushtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"time"
)

// InMemoryHost is the host that Server.Host returns for a server started
// with Options.InMemory. The name is reserved (RFC 2606) and never
// resolves; the certificate is valid for it, so a client that derives the
// TLS server name from the host still verifies the server.
const InMemoryHost = "mipushtest.invalid:443"

// certValidity returns the validity period of the generated certificates:
// from long before the epoch of a testing/synctest bubble (2000-01-01) until
// far in the future, so a server created outside a bubble is trusted by a
// client inside one, and the other way round.
func certValidity() (notBefore, notAfter time.Time) {
	return time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2199, 12, 31, 0, 0, 0, 0, time.UTC)
}

// authority is a freshly generated certificate authority and the leaf
// certificate it signed for the server.
type authority struct {
	caCert *x509.Certificate
	caPEM  []byte
	leaf   tls.Certificate
}

// newAuthority generates an ECDSA P-256 CA and a leaf certificate valid for
// 127.0.0.1, ::1, localhost, the in-memory host name and dnsNames.
func newAuthority(dnsNames []string) (*authority, error) {
	notBefore, notAfter := certValidity()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{Organization: []string{"mipushtest"}, CommonName: "mipushtest CA"},
		NotBefore:             notBefore,
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, err
	}

	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	names := append([]string{"localhost", hostOnly(InMemoryHost)}, dnsNames...)
	leafTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{Organization: []string{"mipushtest"}, CommonName: "localhost"},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     names,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leafTmpl, caCert, &leafKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	leafCert, err := x509.ParseCertificate(leafDER)
	if err != nil {
		return nil, err
	}
	return &authority{
		caCert: caCert,
		caPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		leaf: tls.Certificate{
			Certificate: [][]byte{leafDER, caDER},
			PrivateKey:  leafKey,
			Leaf:        leafCert,
		},
	}, nil
}

// serverConfig returns the server side TLS configuration. With h2 the
// server prefers "h2" and also accepts "http/1.1"; without, it offers only
// "http/1.1".
func (a *authority) serverConfig(h2 bool) *tls.Config {
	protos := []string{"http/1.1"}
	if h2 {
		protos = []string{"h2", "http/1.1"}
	}
	return &tls.Config{
		Certificates: []tls.Certificate{a.leaf},
		NextProtos:   protos,
		MinVersion:   tls.VersionTLS12,
	}
}

// clientConfig returns a new client configuration that trusts only the CA.
func (a *authority) clientConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AddCert(a.caCert)
	return &tls.Config{
		RootCAs:    pool,
		ServerName: "localhost",
		MinVersion: tls.VersionTLS12,
	}
}

// hostOnly returns the host part of a "host:port" string.
func hostOnly(hostport string) string {
	h, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport
	}
	return h
}
