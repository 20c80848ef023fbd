// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package devbroker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// SASL mechanisms the broker supports.
const (
	Plain       = "PLAIN"
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
)

// Mechanisms lists the supported SASL mechanisms.
var Mechanisms = []string{Plain, ScramSHA256, ScramSHA512}

// User is a SASL user of the broker.
type User struct {
	// Mechanism is Plain, ScramSHA256 or ScramSHA512. A name may be
	// listed once per mechanism.
	Mechanism string
	Name      string
	Password  string
	// Superuser bypasses ACL checks (Kafka's super.users); with
	// Options.ACLs it is the user that creates the ACLs of the others.
	Superuser bool
}

// SASL returns the franz-go mechanism that authenticates as u, for
// kgo.SASL.
func (u User) SASL() sasl.Mechanism {
	switch u.Mechanism {
	case ScramSHA256:
		return scram.Auth{User: u.Name, Pass: u.Password}.AsSha256Mechanism()
	case ScramSHA512:
		return scram.Auth{User: u.Name, Pass: u.Password}.AsSha512Mechanism()
	default:
		return plain.Auth{User: u.Name, Pass: u.Password}.AsMechanism()
	}
}

// Principal returns u's ACL principal, "User:<name>".
func (u User) Principal() string { return "User:" + u.Name }

func validUsers(users []User, acls bool) []error {
	var errs []error
	seen := map[[2]string]bool{}
	super := false
	for _, u := range users {
		switch {
		case !validMechanism(u.Mechanism):
			errs = append(errs, fmt.Errorf("SASL user %q: mechanism %q is not one of %s", u.Name, u.Mechanism, strings.Join(Mechanisms, ", ")))
			continue
		case u.Name == "":
			errs = append(errs, errors.New("SASL user with an empty name"))
			continue
		case u.Password == "":
			errs = append(errs, fmt.Errorf("SASL user %q has an empty password", u.Name))
		case strings.ContainsRune(u.Name, 0) || strings.ContainsRune(u.Password, 0):
			errs = append(errs, fmt.Errorf("SASL user %q: name and password cannot contain NUL", u.Name))
		}
		k := [2]string{u.Mechanism, u.Name}
		if seen[k] {
			errs = append(errs, fmt.Errorf("SASL user %q is listed twice for %s", u.Name, u.Mechanism))
		}
		seen[k] = true
		super = super || u.Superuser
	}
	if acls && !super {
		errs = append(errs, errors.New("ACLs need SASL users including a superuser, who creates the other users' ACLs"))
	}
	return errs
}

func validMechanism(m string) bool {
	for _, s := range Mechanisms {
		if m == s {
			return true
		}
	}
	return false
}

// SelfSignedTLS generates a key and a self-signed certificate for
// 127.0.0.1 and localhost, valid for validity from now. It returns the
// broker's config (for Options.TLS), a client config that trusts exactly
// that certificate (for kgo.DialTLSConfig), and the certificate in PEM, for
// clients in other processes.
func SelfSignedTLS(validity time.Duration) (server, client *tls.Config, certPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "eddy embedded broker", Organization: []string{"Eddy development"}},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}},
		MinVersion:   tls.VersionTLS12,
	}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return server, client, certPEM, nil
}

// listenFn returns kfake's listen function: TCP, then TLS when configured,
// then, with SASL, the authFailConn shim. kfake would apply TLS itself, but
// outside the shim, which must see plaintext frames. closing is set when
// the broker shuts down: connections closed then are not failed logins.
func listenFn(tc *tls.Config, saslOn bool, closing *atomic.Bool) func(network, address string) (net.Listener, error) {
	return func(network, address string) (net.Listener, error) {
		l, err := net.Listen(network, address)
		if err != nil {
			return nil, err
		}
		if tc != nil {
			l = tls.NewListener(l, tc)
		}
		if saslOn {
			l = &authFailListener{Listener: l, closing: closing}
		}
		return l, nil
	}
}

type authFailListener struct {
	net.Listener
	closing *atomic.Bool
}

func (l *authFailListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &authFailConn{Conn: c, closing: l.closing, in: frames{hdrLen: 8}, out: frames{hdrLen: 4}}, nil
}

// authFailConn makes a failed SASL authentication look as it does on
// Apache Kafka. kfake closes the connection without a response when a
// SaslAuthenticate request carries a wrong password or an unknown user, so
// clients see a bare EOF (which franz-go retries). Kafka answers
// SASL_AUTHENTICATION_FAILED first, and clients fail with that error. The
// shim follows the request and response frames; when kfake closes the
// connection with a SaslAuthenticate request unanswered, it writes that
// error response before closing.
type authFailConn struct {
	net.Conn
	closing *atomic.Bool

	mu       sync.Mutex
	in, out  frames
	last     reqHeader // the last request read from the client
	answered bool      // a response to last was written
	once     sync.Once
	closeErr error
}

type reqHeader struct {
	key, version int16
	corr         int32
	valid        bool
}

func (c *authFailConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.in.feed(p[:n], func(h []byte) {
			c.last = reqHeader{
				key:     int16(binary.BigEndian.Uint16(h[0:])),
				version: int16(binary.BigEndian.Uint16(h[2:])),
				corr:    int32(binary.BigEndian.Uint32(h[4:])),
				valid:   true,
			}
			c.answered = false
		})
		c.mu.Unlock()
	}
	return n, err
}

func (c *authFailConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.mu.Lock()
		c.out.feed(p[:n], func(h []byte) {
			if int32(binary.BigEndian.Uint32(h)) == c.last.corr {
				c.answered = true
			}
		})
		c.mu.Unlock()
	}
	return n, err
}

// Close is called by both of kfake's connection goroutines.
func (c *authFailConn) Close() error {
	c.once.Do(func() {
		c.mu.Lock()
		h, answered := c.last, c.answered
		broken := c.in.broken || c.out.broken
		c.mu.Unlock()
		if h.valid && !answered && !broken && h.key == int16(kmsg.SASLAuthenticate) && !c.closing.Load() {
			c.writeAuthFailure(h)
		}
		c.closeErr = c.Conn.Close()
	})
	return c.closeErr
}

func (c *authFailConn) writeAuthFailure(h reqHeader) {
	resp := kmsg.NewPtrSASLAuthenticateResponse()
	resp.SetVersion(h.version)
	resp.ErrorCode = kerr.SaslAuthenticationFailed.Code
	msg := "Authentication failed: invalid username or password"
	resp.ErrorMessage = &msg
	buf := make([]byte, 8, 64)
	binary.BigEndian.PutUint32(buf[4:], uint32(h.corr))
	if resp.IsFlexible() {
		buf = append(buf, 0) // empty tagged fields of the response header
	}
	buf = resp.AppendTo(buf)
	binary.BigEndian.PutUint32(buf, uint32(len(buf)-4))
	_ = c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
	_, _ = c.Conn.Write(buf)
}

// frames follows the size-prefixed Kafka frames of one direction of a
// connection and reports the first hdrLen bytes of each (request: api key,
// version, correlation id; response: correlation id).
type frames struct {
	hdrLen int
	buf    []byte // size and header bytes of the current frame so far
	skip   int64  // bytes of the current frame's body still to pass
	broken bool   // a frame too short for its header: stop following
}

func (f *frames) feed(p []byte, frame func(hdr []byte)) {
	for len(p) > 0 && !f.broken {
		if f.skip > 0 {
			k := min(int64(len(p)), f.skip)
			p, f.skip = p[k:], f.skip-k
			continue
		}
		k := min(4+f.hdrLen-len(f.buf), len(p))
		f.buf, p = append(f.buf, p[:k]...), p[k:]
		if len(f.buf) < 4+f.hdrLen {
			return
		}
		size := int64(binary.BigEndian.Uint32(f.buf))
		if size < int64(f.hdrLen) {
			f.broken = true
			return
		}
		frame(f.buf[4:])
		f.skip = size - int64(f.hdrLen)
		f.buf = f.buf[:0]
	}
}
