package redis

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testserver"
)

// testCA writes a CA and a server certificate for 127.0.0.1 into dir and
// returns the paths of the server's certificate and key, and a pool that
// trusts the CA.
func testCA(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "gosess test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "server.crt"), filepath.Join(dir, "server.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return certFile, keyFile, roots
}

func TestTLS(t *testing.T) {
	cert, key, roots := testCA(t, t.TempDir())
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	// The plain port is what testserver waits for; the TLS port is extra.
	testserver.Redis(t, "--tls-port", strconv.Itoa(port), "--tls-cert-file", cert, "--tls-key-file", key,
		"--tls-auth-clients", "no")
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	ctx := t.Context()
	conf := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}

	for name, args := range map[string]map[string]any{
		"URL":   {"url": "rediss://" + addr + "/1", "tls_config": conf},
		"Addrs": {"addrs": addr, "tls_config": conf},
	} {
		t.Run(name, func(t *testing.T) {
			d := fromArgs(t, args)
			defer d.(*Driver).Close()
			if err := d.Set(ctx, "over-tls", []byte("v"), time.Minute); err != nil {
				t.Fatalf("Set over TLS: %v", err)
			}
			if v, err := d.Get(ctx, "over-tls"); err != nil || string(v) != "v" {
				t.Fatalf("Get over TLS = %q, %v", v, err)
			}
		})
	}

	// tls: true trusts the system roots only: the handshake fails, as an
	// error and at once.
	d := fromArgs(t, map[string]any{"addrs": addr, "tls": true})
	defer d.(*Driver).Close()
	start := time.Now()
	_, err = d.Get(ctx, "over-tls")
	var unknown x509.UnknownAuthorityError
	if !errors.As(err, &unknown) {
		t.Errorf("Get with an untrusted certificate = %v; want x509.UnknownAuthorityError", err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("failed handshake took %v", el)
	}
}
