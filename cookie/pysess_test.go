package cookie

// Ports of PySess's tests/test_crypto.py. PySess exposed its primitives
// (encrypt_then_authenticate, verify_data, ...); here the same properties
// are checked through Codec, which is the only way to use them.

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"
	"time"
)

var (
	pyEncKey = bytes.Repeat([]byte("0"), 32) // test_enc_key
	pySigKey = bytes.Repeat([]byte("1"), 32) // test_sig_key
)

func pyCodecs(t *testing.T, sig, enc []byte) map[string]*Codec {
	t.Helper()
	return modes(t, ring(t, sig), ring(t, enc))
}

// test_encryption, test_authentication: both fixture values ("test" and the
// non-ASCII "tést") round trip, encrypted and signed.
func TestPySessEncryption(t *testing.T) {
	for mode, c := range pyCodecs(t, pySigKey, pyEncKey) {
		for _, v := range []string{"test", "tést"} {
			value := mustEncode(t, c, "session", []byte(v), t0)
			got, _, err := c.Decode("session", value, 0, t0)
			if err != nil || string(got) != v {
				t.Errorf("%s %q: %q, %v", mode, v, got, err)
			}
		}
	}
}

// test_encryption_wrong_tag, test_authentication_bad_tag: the tag replaced
// by "0" or by 32 "0"s.
func TestPySessWrongTag(t *testing.T) {
	for mode, c := range pyCodecs(t, pySigKey, pyEncKey) {
		raw, _ := base64.RawURLEncoding.DecodeString(mustEncode(t, c, "session", []byte("test"), t0))
		body := raw[:len(raw)-macLen]
		for _, tag := range [][]byte{[]byte("0"), bytes.Repeat([]byte("0"), 32)} {
			forged := base64.RawURLEncoding.EncodeToString(append(bytes.Clone(body), tag...))
			_, _, err := c.Decode("session", forged, 0, t0)
			if !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: tag %q: %v", mode, tag, err)
			}
		}
	}
}

// test_encryption_bad_ciphertext: a ciphertext replaced by junk of the same
// length that carries a valid HMAC (the attacker knows the signing key but
// not the encryption key) is refused by the AEAD.
func TestPySessBadCiphertext(t *testing.T) {
	for _, ci := range ciphers[1:] {
		c := codec(t, CodecOptions{SignKeys: ring(t, pySigKey), EncryptKeys: ring(t, pyEncKey), Cipher: ci})
		raw, _ := base64.RawURLEncoding.DecodeString(mustEncode(t, c, "session", []byte("tést"), t0))
		n := len(raw)
		for i := headerLen; i < n-macLen; i++ {
			raw[i] = 0xc3 // 'é' in UTF-8, as in the Python test
		}
		w := c.pool.Get().(*work)
		copy(raw[n-macLen:], w.mac(c.signKeys, 0, "session", raw[:n-macLen]))
		c.pool.Put(w)
		_, _, err := c.Decode("session", base64.RawURLEncoding.EncodeToString(raw), 0, t0)
		if !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: %v, want ErrDecrypt", ci, err)
		}
	}
}

// test_encryption_bad_enc_key, test_encryption_bad_sig_key,
// test_authentication_bad_key: one byte of a key changed.
func TestPySessBadKeys(t *testing.T) {
	badEnc := append([]byte("1"), pyEncKey[1:]...)
	badSig := append([]byte("0"), pySigKey[1:]...)
	for mode, c := range pyCodecs(t, pySigKey, pyEncKey) {
		value := mustEncode(t, c, "session", []byte("test"), t0)
		cipher := c.Cipher()
		wrongSig := codec(t, CodecOptions{SignKeys: ring(t, badSig), EncryptKeys: encRing(t, c, pyEncKey), Cipher: cipher})
		if _, _, err := wrongSig.Decode("session", value, 0, t0); !errors.Is(err, ErrSignature) {
			t.Errorf("%s: bad signature key: %v", mode, err)
		}
		if !c.Encrypted() {
			continue
		}
		wrongEnc := codec(t, CodecOptions{SignKeys: ring(t, pySigKey), EncryptKeys: ring(t, badEnc), Cipher: cipher})
		if _, _, err := wrongEnc.Decode("session", value, 0, t0); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: bad encryption key: %v", mode, err)
		}
	}
}

func encRing(t *testing.T, c *Codec, key []byte) *Keyring {
	if !c.Encrypted() {
		return nil
	}
	return ring(t, key)
}

// test_encryption_key_type_check, test_authentication_key_type_check: in
// Go keys are always bytes; the check that remains is their strength.
// PySess accepted b'hmac_key' (8 bytes) as a signature key.
func TestPySessKeyCheck(t *testing.T) {
	for _, k := range [][]byte{[]byte("hmac_key"), []byte("0"), nil} {
		if _, err := NewKeyring(k); !errors.Is(err, ErrWeakKey) {
			t.Errorf("key %q: %v", k, err)
		}
	}
}

// test_encryption_wrong_hashalg, test_authentication_wrong_hashalg: the
// algorithm is fixed (HMAC-SHA256) and named by the format byte, so there
// is no algorithm to get wrong; a tag of another hash's length (MD5, 16
// bytes) is refused.
func TestPySessWrongHashLength(t *testing.T) {
	c := codec(t, CodecOptions{SignKeys: ring(t, pySigKey)})
	raw, _ := base64.RawURLEncoding.DecodeString(mustEncode(t, c, "session", []byte("test"), t0))
	short := base64.RawURLEncoding.EncodeToString(raw[:len(raw)-16])
	if _, _, err := c.Decode("session", short, 0, t0); !errors.Is(err, ErrSignature) && !errors.Is(err, ErrMalformed) {
		t.Errorf("%v", err)
	}
}

// PySess signed neither the cookie name nor a time; both are now covered.
func TestPySessFlawsFixed(t *testing.T) {
	c := codec(t, CodecOptions{SignKeys: ring(t, pySigKey)})
	v := mustEncode(t, c, "session", []byte("test"), t0)
	if _, _, err := c.Decode("csrf", v, 0, t0); !errors.Is(err, ErrSignature) {
		t.Errorf("moved to another cookie: %v", err)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(v)
	raw[8]++ // re-date by one second
	if _, _, err := c.Decode("session", base64.RawURLEncoding.EncodeToString(raw), time.Hour, t0); !errors.Is(err, ErrSignature) {
		t.Errorf("re-dated: %v", err)
	}
}
