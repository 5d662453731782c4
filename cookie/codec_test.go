package cookie

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	t0      = time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)
	keyA    = bytes.Repeat([]byte("A"), 32)
	keyB    = bytes.Repeat([]byte("B"), 64)
	keyC    = bytes.Repeat([]byte("C"), 32)
	ciphers = []string{"", CipherAESGCM, CipherXChaCha20Poly1305}
)

func ring(t testing.TB, keys ...[]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func codec(t testing.TB, opts CodecOptions) *Codec {
	t.Helper()
	c, err := NewCodec(opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// modes returns one signed-only codec and one encrypting codec per cipher,
// all with sign keys sign and encryption keys enc.
func modes(t testing.TB, sign, enc *Keyring) map[string]*Codec {
	t.Helper()
	m := map[string]*Codec{"signed": codec(t, CodecOptions{SignKeys: sign})}
	for _, c := range ciphers[1:] {
		m[c] = codec(t, CodecOptions{SignKeys: sign, EncryptKeys: enc, Cipher: c})
	}
	return m
}

func mustEncode(t testing.TB, c *Codec, name string, payload []byte, now time.Time) string {
	t.Helper()
	v, err := c.Encode(name, payload, now)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestRoundTrip(t *testing.T) {
	payloads := [][]byte{nil, {0}, []byte("test"), []byte("tést"), bytes.Repeat([]byte{0xff, 0, 'x'}, 500)}
	for mode, c := range modes(t, ring(t, keyA), ring(t, keyB)) {
		for _, p := range payloads {
			v := mustEncode(t, c, "session", p, t0)
			if !isCookieValue(v) {
				t.Errorf("%s: value %q has characters outside base64url", mode, v)
			}
			got, issued, err := c.Decode("session", v, time.Hour, t0.Add(time.Minute))
			if err != nil {
				t.Fatalf("%s: Decode: %v", mode, err)
			}
			if !bytes.Equal(got, p) || got == nil {
				t.Errorf("%s: payload %q, want %q (non-nil)", mode, got, p)
			}
			if !issued.Equal(t0) {
				t.Errorf("%s: issued %v, want %v", mode, issued, t0)
			}
		}
	}
}

func isCookieValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if !strings.ContainsRune("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", rune(v[i])) {
			return false
		}
	}
	return true
}

func TestIssuedSecondPrecision(t *testing.T) {
	c := codec(t, CodecOptions{SignKeys: ring(t, keyA)})
	now := t0.Add(987 * time.Millisecond)
	_, issued, err := c.Decode("s", mustEncode(t, c, "s", []byte("x"), now), 0, now)
	if err != nil || !issued.Equal(t0) {
		t.Fatalf("issued %v, %v; want %v", issued, err, t0)
	}
}

func TestZeroNowMeansNow(t *testing.T) {
	c := codec(t, CodecOptions{SignKeys: ring(t, keyA)})
	v := mustEncode(t, c, "s", []byte("x"), time.Time{})
	_, issued, err := c.Decode("s", v, time.Hour, time.Time{})
	if err != nil || time.Since(issued) > time.Minute {
		t.Fatalf("issued %v, %v", issued, err)
	}
}

// Every single-character change of a value, and every truncation, fails
// with ErrSignature or ErrMalformed, never with success.
func TestTamperEveryByte(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	for mode, c := range modes(t, ring(t, keyA), ring(t, keyB)) {
		v := mustEncode(t, c, "session", []byte(`{"user":7}`), t0)
		for i := 0; i < len(v); i++ {
			for _, r := range alphabet + "=+/.~ \n" {
				if byte(r) == v[i] {
					continue
				}
				bad := v[:i] + string(r) + v[i+1:]
				_, _, err := c.Decode("session", bad, 0, t0)
				if !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) {
					t.Fatalf("%s: value with byte %d set to %q: err %v, want ErrSignature or ErrMalformed", mode, i, r, err)
				}
			}
			if _, _, err := c.Decode("session", v[:i], 0, t0); err == nil {
				t.Fatalf("%s: truncated to %d bytes: decoded", mode, i)
			}
		}
		for _, extra := range []string{"A", "AA", "AAAA", "\n", "\r\n"} {
			if _, _, err := c.Decode("session", v+extra, 0, t0); err == nil {
				t.Fatalf("%s: value + %q decoded", mode, extra)
			}
			if _, _, err := c.Decode("session", v[:10]+extra+v[10:], 0, t0); err == nil {
				t.Fatalf("%s: %q inserted: decoded", mode, extra)
			}
		}
	}
}

// Flipping any bit of the decoded bytes (re-encoded canonically) is caught
// by the signature; a changed format byte is reported as malformed.
func TestTamperEveryBit(t *testing.T) {
	for mode, c := range modes(t, ring(t, keyA), ring(t, keyB)) {
		raw, _ := base64.RawURLEncoding.DecodeString(mustEncode(t, c, "session", []byte("payload"), t0))
		for i := range raw {
			for bit := range 8 {
				b := bytes.Clone(raw)
				b[i] ^= 1 << bit
				_, _, err := c.Decode("session", base64.RawURLEncoding.EncodeToString(b), 0, t0)
				want := ErrSignature
				if i == 0 {
					want = ErrMalformed
				}
				if !errors.Is(err, want) {
					t.Fatalf("%s: bit %d of byte %d flipped: err %v, want %v", mode, bit, i, err, want)
				}
			}
		}
	}
}

func TestWrongName(t *testing.T) {
	for mode, c := range modes(t, ring(t, keyA), ring(t, keyB)) {
		v := mustEncode(t, c, "session", []byte("x"), t0)
		for _, name := range []string{"other", "Session", "session ", "", "sessio"} {
			if _, _, err := c.Decode(name, v, 0, t0); !errors.Is(err, ErrSignature) {
				t.Errorf("%s: decoded under name %q: %v", mode, name, err)
			}
		}
	}
}

func TestWrongKeys(t *testing.T) {
	for _, ci := range ciphers {
		good := codec(t, CodecOptions{SignKeys: ring(t, keyA), EncryptKeys: ring(t, keyB), Cipher: ci})
		v := mustEncode(t, good, "session", []byte("secret"), t0)
		badSign := codec(t, CodecOptions{SignKeys: ring(t, keyC), EncryptKeys: ring(t, keyB), Cipher: ci})
		if _, _, err := badSign.Decode("session", v, 0, t0); !errors.Is(err, ErrSignature) {
			t.Errorf("%q: wrong signing key: %v, want ErrSignature", ci, err)
		}
		badEnc := codec(t, CodecOptions{SignKeys: ring(t, keyA), EncryptKeys: ring(t, keyC), Cipher: ci})
		if _, _, err := badEnc.Decode("session", v, 0, t0); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%q: wrong encryption key: %v, want ErrDecrypt", ci, err)
		}
	}
	signed := codec(t, CodecOptions{SignKeys: ring(t, keyA)})
	v := mustEncode(t, signed, "session", []byte("x"), t0)
	if _, _, err := codec(t, CodecOptions{SignKeys: ring(t, keyC)}).Decode("session", v, 0, t0); !errors.Is(err, ErrSignature) {
		t.Errorf("signed, wrong key: %v", err)
	}
}

// A value of one mode is never accepted by a codec of another.
func TestModeMismatch(t *testing.T) {
	all := modes(t, ring(t, keyA), ring(t, keyA))
	for from, enc := range all {
		v := mustEncode(t, enc, "session", []byte("x"), t0)
		for to, dec := range all {
			if from == to {
				continue
			}
			if _, _, err := dec.Decode("session", v, 0, t0); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s value decoded by %s codec: %v, want ErrMalformed", from, to, err)
			}
		}
	}
}

func TestUnknownVersion(t *testing.T) {
	raw := make([]byte, 64)
	raw[0] = 0x7f
	c := codec(t, CodecOptions{SignKeys: ring(t, keyA)})
	_, _, err := c.Decode("s", base64.RawURLEncoding.EncodeToString(raw), 0, t0)
	if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), "version") {
		t.Fatalf("err %v", err)
	}
}

func TestRotation(t *testing.T) {
	for _, ci := range ciphers {
		old := codec(t, CodecOptions{SignKeys: ring(t, keyA), EncryptKeys: ring(t, keyA), Cipher: ci})
		rotated := codec(t, CodecOptions{SignKeys: ring(t, keyB, keyA), EncryptKeys: ring(t, keyC, keyA), Cipher: ci})
		onlyNew := codec(t, CodecOptions{SignKeys: ring(t, keyB), EncryptKeys: ring(t, keyC), Cipher: ci})

		v := mustEncode(t, old, "session", []byte("old"), t0)
		if p, _, err := rotated.Decode("session", v, 0, t0); err != nil || string(p) != "old" {
			t.Fatalf("%q: old cookie with rotated ring: %q, %v", ci, p, err)
		}
		v = mustEncode(t, rotated, "session", []byte("new"), t0)
		if p, _, err := onlyNew.Decode("session", v, 0, t0); err != nil || string(p) != "new" {
			t.Fatalf("%q: new cookie not made with the first keys: %q, %v", ci, p, err)
		}
		if _, _, err := old.Decode("session", v, 0, t0); !errors.Is(err, ErrSignature) {
			t.Fatalf("%q: new cookie verified by the old key only: %v", ci, err)
		}
	}
	// Signed only.
	old := codec(t, CodecOptions{SignKeys: ring(t, keyA)})
	rotated := codec(t, CodecOptions{SignKeys: ring(t, keyB, keyC, keyA)})
	if _, _, err := rotated.Decode("s", mustEncode(t, old, "s", []byte("x"), t0), 0, t0); err != nil {
		t.Fatalf("signed rotation: %v", err)
	}
}

func TestExpiry(t *testing.T) {
	for mode, c := range modes(t, ring(t, keyA), ring(t, keyB)) {
		v := mustEncode(t, c, "session", []byte("x"), t0)
		cases := []struct {
			now    time.Time
			maxAge time.Duration
			ok     bool
		}{
			{t0, time.Hour, true},
			{t0.Add(time.Hour), time.Hour, true},
			{t0.Add(time.Hour + time.Second), time.Hour, false},
			{t0.Add(100 * 365 * 24 * time.Hour), 0, true},  // no limit
			{t0.Add(100 * 365 * 24 * time.Hour), -1, true}, // no limit
			{t0.Add(-59 * time.Second), time.Hour, true},   // within the skew
			{t0.Add(-61 * time.Second), time.Hour, false},  // from the future
			{t0.Add(-61 * time.Second), 0, false},
		}
		for _, tc := range cases {
			_, _, err := c.Decode("session", v, tc.maxAge, tc.now)
			if tc.ok && err != nil {
				t.Errorf("%s: now %v maxAge %v: %v", mode, tc.now.Sub(t0), tc.maxAge, err)
			}
			if !tc.ok && !errors.Is(err, ErrExpired) {
				t.Errorf("%s: now %v maxAge %v: %v, want ErrExpired", mode, tc.now.Sub(t0), tc.maxAge, err)
			}
		}
	}
}

func TestClockSkewOption(t *testing.T) {
	strict := codec(t, CodecOptions{SignKeys: ring(t, keyA), ClockSkew: -1})
	lax := codec(t, CodecOptions{SignKeys: ring(t, keyA), ClockSkew: time.Hour})
	v := mustEncode(t, strict, "s", nil, t0)
	if _, _, err := strict.Decode("s", v, 0, t0.Add(-time.Second)); !errors.Is(err, ErrExpired) {
		t.Errorf("no skew allowed: %v", err)
	}
	if _, _, err := strict.Decode("s", v, 0, t0); err != nil {
		t.Errorf("no skew, same second: %v", err)
	}
	if _, _, err := lax.Decode("s", v, 0, t0.Add(-59*time.Minute)); err != nil {
		t.Errorf("1h skew: %v", err)
	}
}

func TestNonceUniqueness(t *testing.T) {
	for _, ci := range ciphers {
		c := codec(t, CodecOptions{SignKeys: ring(t, keyA), EncryptKeys: ring(t, keyB), Cipher: ci})
		seen := map[string]bool{}
		nonces := map[string]bool{}
		for range 1000 {
			v := mustEncode(t, c, "session", []byte("same payload"), t0)
			if seen[v] {
				t.Fatalf("%q: value repeated: %s", ci, v)
			}
			seen[v] = true
			raw, _ := base64.RawURLEncoding.DecodeString(v)
			nonce := string(raw[headerLen : headerLen+c.nonceSize])
			if nonces[nonce] {
				t.Fatalf("%q: nonce repeated", ci)
			}
			nonces[nonce] = true
		}
	}
	// Signing alone is deterministic.
	s := codec(t, CodecOptions{SignKeys: ring(t, keyA)})
	if mustEncode(t, s, "s", []byte("p"), t0) != mustEncode(t, s, "s", []byte("p"), t0) {
		t.Error("signed encoding is not deterministic")
	}
}

func TestPayloadSecrecy(t *testing.T) {
	secret := []byte("the quick brown fox jumps over the lazy dog")
	for _, ci := range ciphers {
		c := codec(t, CodecOptions{SignKeys: ring(t, keyA), EncryptKeys: ring(t, keyB), Cipher: ci})
		v := mustEncode(t, c, "session", secret, t0)
		raw, _ := base64.RawURLEncoding.DecodeString(v)
		for _, hay := range [][]byte{[]byte(v), raw} {
			for i := 0; i+8 <= len(secret); i++ {
				if bytes.Contains(hay, secret[i:i+8]) {
					t.Fatalf("%q: value contains plaintext %q", ci, secret[i:i+8])
				}
			}
		}
		if strings.Contains(v, base64.RawURLEncoding.EncodeToString(secret)[:12]) {
			t.Fatalf("%q: value contains the base64 of the plaintext", ci)
		}
	}
	// Without encryption the payload is only encoded, as documented.
	s := codec(t, CodecOptions{SignKeys: ring(t, keyA)})
	raw, _ := base64.RawURLEncoding.DecodeString(mustEncode(t, s, "session", secret, t0))
	if !bytes.Contains(raw, secret) {
		t.Fatal("signed-only value does not carry the payload in clear")
	}
}

// The same secret for signing and encryption gives different sub-keys.
func TestSameKeyForBothPurposes(t *testing.T) {
	k := ring(t, keyA)
	for _, ci := range ciphers[1:] {
		c := codec(t, CodecOptions{SignKeys: k, EncryptKeys: k, Cipher: ci})
		v := mustEncode(t, c, "session", []byte("x"), t0)
		if p, _, err := c.Decode("session", v, 0, t0); err != nil || string(p) != "x" {
			t.Fatalf("%q: %q, %v", ci, p, err)
		}
		if bytes.Equal(c.signKeys[0], keyA) {
			t.Fatal("signing key used without derivation")
		}
	}
}

func TestJunk(t *testing.T) {
	junk := []string{
		"", "\"\"", "\"", "x", "session", "=====", "AAAA", strings.Repeat("A", 54),
		strings.Repeat("A", 55), strings.Repeat("_", 200), "a b c", "\x00\x01\x02",
		"ééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééééé",
		strings.Repeat("junk", 2500), // 10 kB
		strings.Repeat("A", MaxCookieSize), strings.Repeat("A", MaxCookieSize+1),
	}
	for mode, c := range modes(t, ring(t, keyA), ring(t, keyB)) {
		for _, j := range junk {
			p, issued, err := c.Decode("session", j, 0, t0)
			if err == nil || p != nil || !issued.IsZero() {
				t.Errorf("%s: junk %.20q: %q %v %v", mode, j, p, issued, err)
			}
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrSignature) {
				t.Errorf("%s: junk %.20q: %v", mode, j, err)
			}
		}
		_, _, err := c.Decode("session", strings.Repeat("junk", 2500), 0, t0)
		if !errors.Is(err, ErrMalformed) || !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: 10 kB of junk: %v, want ErrMalformed and ErrTooLarge", mode, err)
		}
	}
}

func TestQuotedValue(t *testing.T) {
	c := codec(t, CodecOptions{SignKeys: ring(t, keyA)})
	v := mustEncode(t, c, "s", []byte("x"), t0)
	if p, _, err := c.Decode("s", `"`+v+`"`, 0, t0); err != nil || string(p) != "x" {
		t.Fatalf("%q %v", p, err)
	}
}

func TestEncodeTooLarge(t *testing.T) {
	for mode, c := range modes(t, ring(t, keyA), ring(t, keyB)) {
		max := c.MaxPayloadSize("session")
		v, err := c.Encode("session", make([]byte, max), t0)
		if err != nil {
			t.Fatalf("%s: MaxPayloadSize %d: %v", mode, max, err)
		}
		if n := len("session=") + len(v); n > MaxCookieSize || n < MaxCookieSize-3 {
			t.Errorf("%s: largest cookie is %d bytes", mode, n)
		}
		if _, _, err := c.Decode("session", v, 0, t0); err != nil {
			t.Errorf("%s: largest value does not decode: %v", mode, err)
		}
		if _, err := c.Encode("session", make([]byte, max+1), t0); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: payload %d: %v, want ErrTooLarge", mode, max+1, err)
		}
		if _, err := c.Encode("session", make([]byte, 1<<20), t0); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: 1 MB payload: %v", mode, err)
		}
	}
}

func TestNewCodecErrors(t *testing.T) {
	if _, err := NewCodec(CodecOptions{}); !errors.Is(err, ErrWeakKey) {
		t.Errorf("no SignKeys: %v", err)
	}
	if _, err := NewCodec(CodecOptions{SignKeys: &Keyring{}}); !errors.Is(err, ErrWeakKey) {
		t.Errorf("empty SignKeys: %v", err)
	}
	if _, err := NewCodec(CodecOptions{SignKeys: ring(t, keyA), EncryptKeys: &Keyring{}}); !errors.Is(err, ErrWeakKey) {
		t.Errorf("empty EncryptKeys: %v", err)
	}
	_, err := NewCodec(CodecOptions{SignKeys: ring(t, keyA), EncryptKeys: ring(t, keyB), Cipher: "aes-128-cbc"})
	if err == nil || !strings.Contains(err.Error(), "aes-128-cbc") {
		t.Errorf("unknown cipher: %v", err)
	}
	c := codec(t, CodecOptions{SignKeys: ring(t, keyA), Cipher: "ignored without EncryptKeys"})
	if c.Encrypted() || c.Cipher() != "" {
		t.Error("signed codec claims to encrypt")
	}
	c = codec(t, CodecOptions{SignKeys: ring(t, keyA), EncryptKeys: ring(t, keyA)})
	if !c.Encrypted() || c.Cipher() != CipherAESGCM {
		t.Errorf("default cipher %q", c.Cipher())
	}
}

func TestKeyring(t *testing.T) {
	if _, err := NewKeyring(); !errors.Is(err, ErrWeakKey) {
		t.Errorf("no keys: %v", err)
	}
	if _, err := NewKeyring(keyA, make([]byte, 31)); !errors.Is(err, ErrWeakKey) || !strings.Contains(err.Error(), "key 1") {
		t.Errorf("short key: %v", err)
	}
	if _, err := NewKeyring(nil); !errors.Is(err, ErrWeakKey) {
		t.Errorf("nil key: %v", err)
	}
	key := bytes.Clone(keyA)
	k := ring(t, key, keyB)
	if k.Len() != 2 || (*Keyring)(nil).Len() != 0 {
		t.Errorf("Len %d", k.Len())
	}
	c := codec(t, CodecOptions{SignKeys: k})
	v := mustEncode(t, c, "s", nil, t0)
	key[0] = 'Z' // the ring holds a copy
	if _, _, err := codec(t, CodecOptions{SignKeys: k}).Decode("s", v, 0, t0); err != nil {
		t.Errorf("key ring changed with its input: %v", err)
	}
	for _, f := range []string{"%v", "%s", "%+v", "%#v"} {
		if s := fmt.Sprintf(f, k); strings.Contains(s, "AAAA") || strings.Contains(s, "65 65") || !strings.Contains(s, "2 keys") {
			t.Errorf("%s prints %q", f, s)
		}
	}
	g1, _ := GenerateKey()
	g2, _ := GenerateKey()
	if len(g1) != SecretSize || bytes.Equal(g1, g2) {
		t.Error("GenerateKey")
	}
}

func TestConcurrent(t *testing.T) {
	for mode, c := range modes(t, ring(t, keyA, keyC), ring(t, keyB, keyC)) {
		var wg sync.WaitGroup
		for g := range 8 {
			wg.Go(func() {
				for i := range 200 {
					p := fmt.Appendf(nil, "g%d-i%d", g, i)
					v, err := c.Encode("session", p, t0)
					if err != nil {
						t.Error(err)
						return
					}
					got, _, err := c.Decode("session", v, 0, t0)
					if err != nil || !bytes.Equal(got, p) {
						t.Errorf("%s: %q %v", mode, got, err)
						return
					}
				}
			})
		}
		wg.Wait()
	}
}

// The payload returned by Decode belongs to the caller: appending to it
// must not corrupt anything, and later calls must not change it.
func TestPayloadOwnership(t *testing.T) {
	for mode, c := range modes(t, ring(t, keyA), ring(t, keyB)) {
		v1 := mustEncode(t, c, "s", []byte("first"), t0)
		v2 := mustEncode(t, c, "s", []byte("other"), t0)
		p1, _, _ := c.Decode("s", v1, 0, t0)
		_ = append(p1, "XXXXXXXXXXXXXXXXXXXXXXXX"...)
		if _, _, err := c.Decode("s", v2, 0, t0); err != nil {
			t.Fatal(err)
		}
		if string(p1) != "first" {
			t.Errorf("%s: payload changed to %q", mode, p1)
		}
	}
}

func TestDecodeAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items at random under the race detector")
	}
	c := codec(t, CodecOptions{SignKeys: ring(t, keyA, keyB)})
	v := mustEncode(t, c, "session", []byte("0123456789abcdef0123456789abcdef"), t0)
	allocs := testing.AllocsPerRun(200, func() {
		if _, _, err := c.Decode("session", v, time.Hour, t0); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 1 {
		t.Errorf("Decode of a signed value: %v allocations, want 1 (the payload)", allocs)
	}
	bad := v[:len(v)-1] + "A"
	allocs = testing.AllocsPerRun(200, func() { _, _, _ = c.Decode("session", bad, 0, t0) })
	if allocs > 1 {
		t.Errorf("Decode of a forged value: %v allocations", allocs)
	}
}

// BenchmarkDecode decodes a signed-only value and a value encrypted with
// each cipher (modes, in sorted order).
func BenchmarkDecode(b *testing.B) {
	all := modes(b, ring(b, keyA), ring(b, keyB))
	for _, mode := range slices.Sorted(maps.Keys(all)) {
		b.Run(mode, func(b *testing.B) {
			c := all[mode]
			v := mustEncode(b, c, "session", []byte("0123456789abcdef0123456789abcdef"), t0)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.Decode("session", v, time.Hour, t0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodeSigned(b *testing.B) {
	c := codec(b, CodecOptions{SignKeys: ring(b, keyA)})
	p := []byte("0123456789abcdef0123456789abcdef")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Encode("session", p, t0); err != nil {
			b.Fatal(err)
		}
	}
}
