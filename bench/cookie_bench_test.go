package bench

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"github.com/gosess/gosess/cookie"
)

// Cookie verification (issue 4): cookie.Codec.Decode against
// gorilla/securecookie's Decode of a value carrying the same payload.
// securecookie is given its NopEncoder so that neither side deserializes:
// both only check and unwrap the bytes. Both check the issue time against
// a one-day maximum age, reading the clock themselves.

const cookieName = "session"

// cookiePayload is what a server-side session cookie carries: a session
// id of 32 random bytes in base64url.
var cookiePayload = []byte("Zk3x9Qe2LmT7vR1yB8nW4cH6jD0sA5uP2oI9gK3fE7w")

func cookieKey(seed byte) []byte { return bytes.Repeat([]byte{seed}, 32) }

func cookieCases(encrypted bool) []opCase {
	return []opCase{
		{"gosess", func(tb testing.TB) func(int) error {
			opts := cookie.CodecOptions{SignKeys: mustKeyring(tb, cookieKey(1))}
			if encrypted {
				opts.EncryptKeys = mustKeyring(tb, cookieKey(2))
			}
			c, err := cookie.NewCodec(opts)
			if err != nil {
				tb.Fatal(err)
			}
			v, err := c.Encode(cookieName, cookiePayload, time.Time{})
			if err != nil {
				tb.Fatal(err)
			}
			return func(int) error {
				p, _, err := c.Decode(cookieName, v, 24*time.Hour, time.Time{})
				return checkPayload(p, err)
			}
		}},
		{"securecookie", func(tb testing.TB) func(int) error {
			var block []byte
			if encrypted {
				block = cookieKey(2) // AES-256
			}
			s := securecookie.New(cookieKey(1), block).SetSerializer(securecookie.NopEncoder{})
			s.MaxAge(24 * 60 * 60)
			// Encode encrypts its argument in place: give it a copy.
			v, err := s.Encode(cookieName, bytes.Clone(cookiePayload))
			if err != nil {
				tb.Fatal(err)
			}
			return func(int) error {
				var p []byte
				err := s.Decode(cookieName, v, &p)
				return checkPayload(p, err)
			}
		}},
	}
}

func mustKeyring(tb testing.TB, keys ...[]byte) *cookie.Keyring {
	tb.Helper()
	k, err := cookie.NewKeyring(keys...)
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

func checkPayload(p []byte, err error) error {
	if err == nil && !bytes.Equal(p, cookiePayload) {
		err = fmt.Errorf("decoded %q", p)
	}
	return err
}

// BenchmarkCookieDecode: verification of a signed value, HMAC-SHA256 on
// both sides (goal: at most 0.5x).
func BenchmarkCookieDecode(b *testing.B) { runCases(b, cookieCases(false)) }

// BenchmarkCookieDecodeEncrypted: an encrypted value, AES-256-GCM plus
// HMAC on our side, AES-256-CTR plus HMAC on securecookie's (report only).
func BenchmarkCookieDecodeEncrypted(b *testing.B) { runCases(b, cookieCases(true)) }

func TestCookieSetups(t *testing.T) {
	t.Run("signed", func(t *testing.T) { checkCases(t, cookieCases(false)) })
	t.Run("encrypted", func(t *testing.T) { checkCases(t, cookieCases(true)) })
}
