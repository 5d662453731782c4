package session

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosess/gosess/cookie"
)

// This file is the configuration a call works with (callConfig): the
// Maker's, or the Maker's with one call's overrides, and the cookie codec
// built from it, kept in a small cache so that calls with the same keys
// share one.

// callConfig is the configuration that a call (New, Load, and the Session
// it returns) works with: the Maker's general settings, or those with one
// call's overrides (NewWith, LoadWith), and the cookie machinery built
// from them.
type callConfig struct {
	cfg   Config
	sign  [][]byte // the signing keys in use (cfg.SignatureKeys, or derived)
	codec *cookie.Codec
	opts  cookie.Options
}

// prepare returns the state and the callConfig for one call. The key rings
// are not rebuilt for it: overrides that leave the keys and cipher alone
// use the Maker's codec, others the codec an earlier call made for the
// same keys (see codecCache).
func (m *Maker) prepare(overrides Settings) (*makerState, *callConfig, error) {
	st, err := m.current()
	if err != nil {
		return nil, nil, err
	}
	if len(overrides) == 0 {
		return st, st.cc, nil
	}
	a := NewArgs("", overrides)
	cfg := readConfig(a, st.cc.cfg).withDefaults(st.carrier != nil)
	errs := append([]error{a.Err()}, cfg.check()...)
	if u := a.Unused(); len(u) > 0 {
		errs = append(errs, fmt.Errorf("%w: setting %q cannot be overridden per call (only general settings can: %s)",
			ErrInvalidSetting, strings.Join(u, `", "`), strings.Join(generalKeys, ", ")))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	sign := st.cc.sign
	if a.Has(KeySignatureKey) {
		sign = cfg.SignatureKeys
	}
	cc, err := m.newCallConfig(cfg, sign, st.deriveEnc, st)
	if err != nil {
		return nil, nil, err
	}
	return st, cc, nil
}

// newCallConfig builds the cookie codec and attributes for cfg, signing with
// sign, and checks that they can form a cookie. Every problem is reported
// (errors.Join). With a state (per-call overrides), the codec comes from
// the state's cache when it holds one for the same keys and cipher (see
// codecCache), and is added to it otherwise.
func (m *Maker) newCallConfig(cfg Config, sign [][]byte, deriveEnc bool, st *makerState) (*callConfig, error) {
	var errs []error
	cc := &callConfig{cfg: cfg, sign: sign, opts: cfg.Options}
	cc.opts.MaxAge = max(cfg.MaxAge, 0) // NoMaxAge: a browser-session cookie
	if st != nil {
		cc.codec = st.codecs.get(st.cc, sign, cfg.EncryptionKeys, cfg.Cipher)
	}
	if cc.codec == nil {
		codec, err := buildCodec(cfg, sign, deriveEnc)
		if err != nil {
			errs = append(errs, err)
		} else if st != nil {
			st.codecs.put(sign, cfg.EncryptionKeys, cfg.Cipher, codec)
		}
		cc.codec = codec
	}
	if _, err := cc.opts.Cookie("x", m.now()); err != nil {
		errs = append(errs, fmt.Errorf("%w: cookie attributes (name, domain, path, samesite, secure, partitioned): %w", ErrInvalidSetting, err))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return cc, nil
}

// buildCodec builds the key rings and the codec of cfg, signing with
// sign: the costly part of a callConfig.
func buildCodec(cfg Config, sign [][]byte, deriveEnc bool) (*cookie.Codec, error) {
	codecBuilds.Add(1)
	var errs []error
	signRing, err := cookie.NewKeyring(sign...)
	if err != nil {
		errs = append(errs, fmt.Errorf("%w: setting %q: %w", ErrInvalidSetting, KeySignatureKey, err))
	}
	var enc *cookie.Keyring
	switch {
	case len(cfg.EncryptionKeys) > 0:
		if enc, err = cookie.NewKeyring(cfg.EncryptionKeys...); err != nil {
			errs = append(errs, fmt.Errorf("%w: setting %q: %w", ErrInvalidSetting, KeyEncryptionKey, err))
		}
	case deriveEnc:
		enc = signRing // the codec derives separate sub-keys for each purpose
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	codec, err := cookie.NewCodec(cookie.CodecOptions{SignKeys: signRing, EncryptKeys: enc, Cipher: cfg.Cipher})
	if err != nil {
		return nil, fmt.Errorf("%w: setting %q: %w", ErrInvalidSetting, KeyCipher, err)
	}
	return codec, nil
}

// cookie encodes payload and returns the cookie carrying it; its Max-Age
// runs to the session's server-side expiry when MaxAge is set.
func (cc *callConfig) cookie(payload []byte, now, expires time.Time) (*http.Cookie, error) {
	value, err := cc.codec.Encode(cc.cfg.Name, payload, now)
	if err != nil {
		return nil, err
	}
	return cc.cookieValue(value, now, expires)
}

func (cc *callConfig) cookieValue(value string, now, expires time.Time) (*http.Cookie, error) {
	opts := cc.opts
	if opts.MaxAge > 0 && !expires.IsZero() {
		opts.MaxAge = max(min(opts.MaxAge, expires.Sub(now)), time.Second)
	}
	return opts.Cookie(value, now)
}

// codecBuilds counts the codecs built (key rings derived), for tests.
var codecBuilds atomic.Int64

// codecCache keeps the codecs that per-call overrides of the keys or the
// cipher made, so that a call with the same overrides reuses one: a few
// sets of keys, as a server that signs some cookies with another key
// uses. Past codecCacheSize sets, codecs are built per call.
type codecCache struct {
	mu     sync.Mutex
	codecs map[string]*cookie.Codec
}

const codecCacheSize = 16

// get returns the codec for the keys and cipher: base's when they are
// base's, else a cached one, else nil.
func (c *codecCache) get(base *callConfig, sign, enc [][]byte, cipher string) *cookie.Codec {
	if base != nil && keysEqual(sign, base.sign) && keysEqual(enc, base.cfg.EncryptionKeys) && cipher == base.cfg.Cipher {
		return base.codec
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.codecs[codecKey(sign, enc, cipher)]
}

// put caches codec for the keys and cipher, while there is room.
func (c *codecCache) put(sign, enc [][]byte, cipher string, codec *cookie.Codec) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.codecs == nil {
		c.codecs = map[string]*cookie.Codec{}
	}
	if len(c.codecs) < codecCacheSize {
		c.codecs[codecKey(sign, enc, cipher)] = codec
	}
}

// codecKey is a digest of the keys and cipher (keys are not kept as map
// keys in the clear).
func codecKey(sign, enc [][]byte, cipher string) string {
	h := sha256.New()
	for _, ring := range [][][]byte{sign, enc} {
		for _, k := range ring {
			var n [8]byte
			binary.BigEndian.PutUint64(n[:], uint64(len(k)))
			h.Write(n[:])
			h.Write(k)
		}
		h.Write([]byte{0xff})
	}
	h.Write([]byte(cipher))
	return string(h.Sum(nil))
}

func keysEqual(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}
