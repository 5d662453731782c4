package cookie

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/chacha20poly1305"
)

// MaxCookieSize is the largest cookie, in bytes, this package produces or
// accepts: the whole Set-Cookie string (name=value plus attributes), as
// browsers count it. Options.Cookie refuses bigger cookies with ErrTooLarge
// and Codec.Decode rejects longer values before doing any work.
const MaxCookieSize = 4096

// Names of the ciphers accepted in CodecOptions.Cipher.
const (
	CipherAESGCM            = "aes-256-gcm"
	CipherXChaCha20Poly1305 = "xchacha20-poly1305"
)

// DefaultClockSkew is how far in the future an issue time may lie before
// Decode rejects it, when CodecOptions.ClockSkew is 0.
const DefaultClockSkew = time.Minute

// Format bytes: the first byte of every decoded value. They name both the
// version of the layout and its mode, so a value of one mode can never be
// read as another, and a later layout can use new bytes.
const (
	formatSigned  byte = 0x01 // v1, HMAC-SHA256 only
	formatAESGCM  byte = 0x02 // v1, AES-256-GCM then HMAC-SHA256
	formatXChaCha byte = 0x03 // v1, XChaCha20-Poly1305 then HMAC-SHA256
)

const (
	headerLen = 1 + 8 // format byte, issue time (Unix seconds, big endian)
	macLen    = sha256.Size
)

// b64 is the cookie alphabet. Strict rejects non-zero padding bits, so each
// decoded value has exactly one textual form and no character of a value
// can be changed without changing the bytes that are authenticated.
var b64 = base64.RawURLEncoding.Strict()

// Errors returned on the hot paths without allocating.
var (
	errLong     = fmt.Errorf("%w: %w: longer than %d bytes", ErrMalformed, ErrTooLarge, MaxCookieSize)
	errShort    = fmt.Errorf("%w: too short", ErrMalformed)
	errNewline  = fmt.Errorf("%w: contains a line break", ErrMalformed)
	errBase64   = fmt.Errorf("%w: not canonical unpadded base64url", ErrMalformed)
	errVersion  = fmt.Errorf("%w: unknown format version", ErrMalformed)
	errMode     = fmt.Errorf("%w: format of another mode (signed-only vs encrypted, or another cipher)", ErrMalformed)
	errNameLong = fmt.Errorf("%w: cookie name longer than %d bytes", ErrTooLarge, MaxCookieSize)
)

// CodecOptions configures NewCodec.
type CodecOptions struct {
	// SignKeys authenticates every value with HMAC-SHA256. Required.
	SignKeys *Keyring

	// EncryptKeys, when not nil, also encrypts the payload with an AEAD
	// so the client can neither read nor change it. nil (the default)
	// means signed only: the payload is readable by the client (base64)
	// but cannot be changed. The same key may be given to both rings:
	// separate sub-keys are derived for each purpose.
	EncryptKeys *Keyring

	// Cipher is the AEAD used with EncryptKeys: CipherAESGCM
	// ("aes-256-gcm", the default when empty) or CipherXChaCha20Poly1305
	// ("xchacha20-poly1305"). Ignored when EncryptKeys is nil; an unknown
	// name is an error.
	Cipher string

	// ClockSkew is how far in the future an issue time may be before
	// Decode rejects the value with ErrExpired (clocks of several servers
	// differ). 0 means DefaultClockSkew (1 minute); negative means none.
	ClockSkew time.Duration
}

// Codec turns a payload into an authenticated (and optionally encrypted)
// cookie value and back. It is safe for concurrent use.
//
// The value is unpadded base64url of
//
//	format(1) | issued(8, Unix seconds) | body | HMAC-SHA256(32)
//
// where body is the payload (signed only) or nonce | AEAD ciphertext and
// tag (encrypted), the HMAC covers the cookie name followed by everything
// before it, and the AEAD's additional data is the format byte, the issue
// time and the cookie name. A value therefore cannot be moved to another
// cookie name, re-dated, or truncated without failing verification.
type Codec struct {
	format    byte
	skew      time.Duration
	cipher    string
	signKeys  [][]byte // HKDF sub-keys for HMAC, first signs
	aeads     []cipher.AEAD
	nonceSize int
	overhead  int // nonce + AEAD tag
	minLen    int // shortest decoded value
	pool      sync.Pool
}

// work is per-call scratch space, pooled so that Decode of a signed value
// allocates nothing but its result.
type work struct {
	macs    []hash.Hash // one per sign key, created on first use
	scratch []byte      // name prefix for the MAC, additional data
	buf     []byte      // decoded value (encrypted mode) or encoded value
	sum     [macLen]byte
}

// NewCodec returns a Codec for opts. It derives the sub-keys from the key
// rings once, so build one Codec and reuse it.
func NewCodec(opts CodecOptions) (*Codec, error) {
	if opts.SignKeys.Len() == 0 {
		return nil, fmt.Errorf("%w: CodecOptions.SignKeys is required", ErrWeakKey)
	}
	c := &Codec{format: formatSigned, skew: opts.ClockSkew}
	if c.skew == 0 {
		c.skew = DefaultClockSkew
	} else if c.skew < 0 {
		c.skew = 0
	}
	for _, k := range opts.SignKeys.keys {
		sub, err := hkdf.Key(sha256.New, k, nil, "gosess/cookie v1 hmac-sha256", 32)
		if err != nil {
			return nil, fmt.Errorf("cookie: deriving signing key: %w", err)
		}
		c.signKeys = append(c.signKeys, sub)
	}
	if opts.EncryptKeys != nil {
		if opts.EncryptKeys.Len() == 0 {
			return nil, fmt.Errorf("%w: CodecOptions.EncryptKeys is empty", ErrWeakKey)
		}
		name := opts.Cipher
		if name == "" {
			name = CipherAESGCM
		}
		var newAEAD func([]byte) (cipher.AEAD, error)
		switch name {
		case CipherAESGCM:
			c.format = formatAESGCM
			newAEAD = func(key []byte) (cipher.AEAD, error) {
				block, err := aes.NewCipher(key)
				if err != nil {
					return nil, err
				}
				return cipher.NewGCM(block)
			}
		case CipherXChaCha20Poly1305:
			c.format = formatXChaCha
			newAEAD = chacha20poly1305.NewX
		default:
			return nil, fmt.Errorf("cookie: unknown CodecOptions.Cipher %q (want %q or %q)", opts.Cipher, CipherAESGCM, CipherXChaCha20Poly1305)
		}
		c.cipher = name
		for _, k := range opts.EncryptKeys.keys {
			sub, err := hkdf.Key(sha256.New, k, nil, "gosess/cookie v1 "+name, 32)
			if err != nil {
				return nil, fmt.Errorf("cookie: deriving encryption key: %w", err)
			}
			a, err := newAEAD(sub)
			if err != nil {
				return nil, fmt.Errorf("cookie: %s: %w", name, err)
			}
			c.aeads = append(c.aeads, a)
		}
		c.nonceSize = c.aeads[0].NonceSize()
		c.overhead = c.nonceSize + c.aeads[0].Overhead()
	}
	c.minLen = headerLen + c.overhead + macLen
	c.pool.New = func() any { return &work{macs: make([]hash.Hash, len(c.signKeys))} }
	return c, nil
}

// Encrypted reports whether the Codec encrypts payloads.
func (c *Codec) Encrypted() bool { return len(c.aeads) > 0 }

// Cipher returns the AEAD's name, or "" when the Codec only signs.
func (c *Codec) Cipher() string { return c.cipher }

// MaxPayloadSize returns the largest payload that Encode accepts for a
// cookie called name; the attributes added by Options.Cookie reduce what
// actually fits in MaxCookieSize further. It is negative when name alone is
// too long.
func (c *Codec) MaxPayloadSize(name string) int {
	chars := MaxCookieSize - len(name) - 1 // "name="
	return chars*6/8 - c.minLen
}

// encodedLen is the length of the value for a payload of n bytes.
func (c *Codec) encodedLen(n int) int { return b64.EncodedLen(c.minLen + n) }

// Encode authenticates name, payload and the issue time now (the zero Time
// means time.Now(); it is kept with one-second precision), encrypts the
// payload when the Codec has EncryptKeys, and returns a value made only of
// base64url characters, safe in a cookie and in a URL. A fresh random nonce
// is drawn for every encrypted value, so encoding the same payload twice
// gives different values. The first key of each ring is used.
//
// The error wraps ErrTooLarge when name=value would exceed MaxCookieSize.
func (c *Codec) Encode(name string, payload []byte, now time.Time) (string, error) {
	if now.IsZero() {
		now = time.Now()
	}
	if len(payload) > MaxCookieSize || len(name)+1+c.encodedLen(len(payload)) > MaxCookieSize {
		return "", fmt.Errorf("%w: a %d-byte payload makes a %d-byte %q cookie, the limit is %d (largest payload: %d bytes)",
			ErrTooLarge, len(payload), len(name)+1+c.encodedLen(len(payload)), name, MaxCookieSize, max(c.MaxPayloadSize(name), 0))
	}
	w := c.pool.Get().(*work)
	defer c.pool.Put(w)

	n := c.minLen + len(payload)
	blob := grow(&w.buf, n)
	blob[0] = c.format
	binary.BigEndian.PutUint64(blob[1:headerLen], uint64(now.Unix()))
	if len(c.aeads) == 0 {
		copy(blob[headerLen:], payload)
	} else {
		nonce := blob[headerLen : headerLen+c.nonceSize]
		if _, err := rand.Read(nonce); err != nil {
			return "", fmt.Errorf("cookie: drawing a nonce: %w", err)
		}
		ad := w.additionalData(blob[:headerLen], name)
		c.aeads[0].Seal(blob[headerLen+c.nonceSize:headerLen+c.nonceSize], nonce, payload, ad)
	}
	body := blob[:n-macLen]
	copy(blob[n-macLen:], w.mac(c.signKeys, 0, name, body))
	return b64.EncodeToString(blob), nil
}

// Decode reverses Encode for the cookie called name: it checks the value's
// size and format, verifies the HMAC against every key of the signing ring
// in constant time, checks the issue time, and decrypts when the Codec
// encrypts. It returns the payload and the issue time (whole seconds).
//
// maxAge > 0 rejects values issued more than maxAge before now; maxAge <= 0
// sets no limit. Values issued after now plus the clock skew are always
// rejected. now is the current time; the zero Time means time.Now().
//
// Errors wrap ErrMalformed (not this format; values longer than
// MaxCookieSize also wrap ErrTooLarge), ErrSignature, ErrExpired or
// ErrDecrypt. Decode never panics, whatever the input, and its work is
// bounded by MaxCookieSize. A value wrapped in double quotes is accepted.
// A signed-only value allocates nothing but the returned payload.
func (c *Codec) Decode(name, value string, maxAge time.Duration, now time.Time) (payload []byte, issued time.Time, err error) {
	if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
		value = value[1 : len(value)-1]
	}
	switch {
	case len(value) > MaxCookieSize:
		return nil, time.Time{}, errLong
	case len(name) > MaxCookieSize:
		return nil, time.Time{}, errNameLong
	case len(value) < b64.EncodedLen(c.minLen):
		return nil, time.Time{}, errShort
	case strings.IndexByte(value, '\n') >= 0 || strings.IndexByte(value, '\r') >= 0:
		// The base64 decoder skips line breaks; refuse them so a value
		// has one form only.
		return nil, time.Time{}, errNewline
	}

	w := c.pool.Get().(*work)
	defer c.pool.Put(w)

	src := append(w.scratch[:0], value...)
	w.scratch = src
	var blob []byte
	if len(c.aeads) == 0 {
		// The payload is returned in place: this is the only allocation.
		blob = make([]byte, b64.DecodedLen(len(value)))
	} else {
		blob = grow(&w.buf, b64.DecodedLen(len(value)))
	}
	n, err := b64.Decode(blob, src)
	if err != nil {
		return nil, time.Time{}, errBase64
	}
	blob = blob[:n]
	if n < c.minLen {
		return nil, time.Time{}, errShort
	}
	if blob[0] != c.format {
		if blob[0] >= formatSigned && blob[0] <= formatXChaCha {
			return nil, time.Time{}, errMode
		}
		return nil, time.Time{}, errVersion
	}

	body, tag := blob[:n-macLen], blob[n-macLen:]
	ok := false
	for i := range c.signKeys {
		if hmac.Equal(w.mac(c.signKeys, i, name, body), tag) {
			ok = true
			break
		}
	}
	if !ok {
		return nil, time.Time{}, ErrSignature
	}

	if now.IsZero() {
		now = time.Now()
	}
	issued = time.Unix(int64(binary.BigEndian.Uint64(blob[1:headerLen])), 0)
	if future := issued.Sub(now); future > c.skew {
		return nil, time.Time{}, fmt.Errorf("%w: issued %v in the future (allowed clock skew %v)", ErrExpired, future, c.skew)
	}
	if age := now.Sub(issued); maxAge > 0 && age > maxAge {
		return nil, time.Time{}, fmt.Errorf("%w: issued %v ago, max age %v", ErrExpired, age.Truncate(time.Second), maxAge)
	}

	if len(c.aeads) == 0 {
		return blob[headerLen : n-macLen : n-macLen], issued, nil
	}
	nonce := body[headerLen : headerLen+c.nonceSize]
	sealed := body[headerLen+c.nonceSize:]
	ad := w.additionalData(blob[:headerLen], name)
	for _, a := range c.aeads {
		if payload, err := a.Open(nil, nonce, sealed, ad); err == nil {
			if payload == nil {
				payload = []byte{}
			}
			return payload, issued, nil
		}
	}
	return nil, time.Time{}, ErrDecrypt
}

// mac returns HMAC-SHA256 with keys[i] over len(name) | name | body. The
// result lives in w and is valid until the next call.
func (w *work) mac(keys [][]byte, i int, name string, body []byte) []byte {
	h := w.macs[i]
	if h == nil {
		h = hmac.New(sha256.New, keys[i])
		w.macs[i] = h
	} else {
		h.Reset()
	}
	w.scratch = binary.BigEndian.AppendUint32(w.scratch[:0], uint32(len(name)))
	w.scratch = append(w.scratch, name...)
	h.Write(w.scratch)
	h.Write(body)
	return h.Sum(w.sum[:0])
}

// additionalData returns header | len(name) | name in w's scratch space.
func (w *work) additionalData(header []byte, name string) []byte {
	w.scratch = append(w.scratch[:0], header...)
	w.scratch = binary.BigEndian.AppendUint32(w.scratch, uint32(len(name)))
	w.scratch = append(w.scratch, name...)
	return w.scratch
}

// grow returns (*buf)[:n], reallocating when its capacity is too small.
func grow(buf *[]byte, n int) []byte {
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	return (*buf)[:n]
}
