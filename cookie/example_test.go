package cookie_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/gosess/gosess/cookie"
)

// Sign a payload into a cookie value and read it back. The client can read
// a signed-only payload but cannot change it or move it to another cookie.
func ExampleCodec() {
	key := bytes.Repeat([]byte("k"), 32) // use cookie.GenerateKey or a secret file
	keys, _ := cookie.NewKeyring(key)
	codec, _ := cookie.NewCodec(cookie.CodecOptions{SignKeys: keys})

	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	value, _ := codec.Encode("session", []byte("user=7"), now)

	payload, issued, err := codec.Decode("session", value, time.Hour, now.Add(time.Minute))
	fmt.Println(string(payload), issued.Format(time.RFC3339), err)

	_, _, err = codec.Decode("session", value, time.Hour, now.Add(2*time.Hour))
	fmt.Println(errors.Is(err, cookie.ErrExpired))

	_, _, err = codec.Decode("other", value, 0, now)
	fmt.Println(errors.Is(err, cookie.ErrSignature))
	// Output:
	// user=7 2025-06-01T12:00:00Z <nil>
	// true
	// true
}

// Encrypt the payload too, with one secret for both purposes (separate
// sub-keys are derived). Each value gets a fresh nonce.
func ExampleCodec_encrypted() {
	keys, _ := cookie.NewKeyring(bytes.Repeat([]byte("k"), 32))
	codec, _ := cookie.NewCodec(cookie.CodecOptions{
		SignKeys:    keys,
		EncryptKeys: keys,
		Cipher:      cookie.CipherXChaCha20Poly1305,
	})
	now := time.Now()
	v1, _ := codec.Encode("session", []byte("secret"), now)
	v2, _ := codec.Encode("session", []byte("secret"), now)
	payload, _, err := codec.Decode("session", v1, 0, now)
	fmt.Println(string(payload), err, v1 == v2)
	// Output: secret <nil> false
}

// Rotate keys: put the new key first and keep the old one while cookies it
// signed are still in use.
func ExampleNewKeyring() {
	oldKey := bytes.Repeat([]byte("o"), 32)
	newKey := bytes.Repeat([]byte("n"), 32)

	oldRing, _ := cookie.NewKeyring(oldKey)
	before, _ := cookie.NewCodec(cookie.CodecOptions{SignKeys: oldRing})
	value, _ := before.Encode("session", []byte("hello"), time.Now())

	rotated, _ := cookie.NewKeyring(newKey, oldKey)
	after, _ := cookie.NewCodec(cookie.CodecOptions{SignKeys: rotated})
	payload, _, err := after.Decode("session", value, 0, time.Now())
	fmt.Println(string(payload), err, rotated)
	// Output: hello <nil> cookie.Keyring(2 keys)
}

func ExampleOptions_Cookie() {
	o := cookie.DefaultOptions()
	o.Domain = "example.com"
	o.MaxAge = 24 * time.Hour
	o.Secure = true
	c, err := o.Cookie("opaque-value", time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC))
	fmt.Println(c, err)

	o.SameSite = http.SameSiteNoneMode
	o.Secure = false
	_, err = o.Cookie("v", time.Now())
	fmt.Println(err)
	// Output:
	// session=opaque-value; Path=/; Domain=example.com; Expires=Mon, 02 Jun 2025 12:00:00 GMT; Max-Age=86400; HttpOnly; Secure; SameSite=Lax <nil>
	// cookie: invalid cookie: SameSite=None requires Secure
}

func ExampleOptions_Expired() {
	fmt.Println(cookie.DefaultOptions().Expired())
	// Output: session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; SameSite=Lax
}

func ExampleExtract() {
	for _, s := range []string{
		"session=abc; Path=/; HttpOnly",    // a Set-Cookie line
		"theme=dark; session=abc; lang=en", // a Cookie header
		"session=abc",                      // name=value
		"abc",                              // a bare value
	} {
		fmt.Println(cookie.Extract(s, "session"))
	}
	fmt.Println(cookie.Extract("theme=dark", "session"))
	// Output:
	// abc true
	// abc true
	// abc true
	// abc true
	//  false
}

// Keep the key in a secret file, as PySess did: created with mode 0600 on
// first use, loaded afterwards, refused if others may read it.
func ExampleLoadOrCreateSecret() {
	dir, _ := os.MkdirTemp("", "gosess")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "secret")

	key, created, err := cookie.LoadOrCreateSecret(path)
	fmt.Println(len(key), created, err)
	again, created, err := cookie.LoadOrCreateSecret(path)
	fmt.Println(bytes.Equal(key, again), created, err)

	_ = os.Chmod(path, 0o644)
	_, _, err = cookie.LoadOrCreateSecret(path)
	fmt.Println(errors.Is(err, cookie.ErrSecretFilePerm))
	// Output:
	// 64 true <nil>
	// true false <nil>
	// true
}
