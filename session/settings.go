package session

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gosess/gosess/cookie"
)

// Settings configures a Maker (Configure) or one call (NewWith, LoadWith):
// a flat map, as PySess's keyword arguments or a section of a config file.
// Its keys fall in three parts, each documented on its type:
//
//   - maker-only keys (MakerConfig): backend, secret_file, enable_encryption;
//   - general keys (Config): cookie attributes, expiry, ids, codec, keys;
//   - backend-specific keys, documented by each backend package (region
//     and key_prefix for dogpile, dir for file; none for cookie).
//
// A key that no part knows is an error naming it. Values may be Go values
// (time.Duration, []byte, bool, int, http.SameSite, a Codec, a
// *region.Region) or the strings of a config file ("300" seconds, "5m",
// "true", "lax").
type Settings map[string]any

// Names of the maker-only settings.
const (
	KeyBackend          = "backend"
	KeySecretFile       = "secret_file"
	KeyEnableEncryption = "enable_encryption"
)

// Names of the general settings.
const (
	KeyDomain          = "domain"
	KeyPath            = "path"
	KeyName            = "name"
	KeyMaxAge          = "max_age"
	KeyRefreshOnAccess = "refresh_on_access"
	KeyLifetime        = "lifetime"
	KeyTouchInterval   = "touch_interval"
	KeySecure          = "secure"
	KeyHTTPOnly        = "httponly"
	KeySameSite        = "samesite"
	KeyPartitioned     = "partitioned"
	KeyIDLength        = "session_id_length"
	KeyCodec           = "codec"
	KeySignatureKey    = "signature_key"
	KeyEncryptionKey   = "encryption_key"
	KeyCipher          = "cipher"
)

var generalKeys = []string{KeyDomain, KeyPath, KeyName, KeyMaxAge, KeyRefreshOnAccess, KeyLifetime,
	KeyTouchInterval, KeySecure, KeyHTTPOnly, KeySameSite, KeyPartitioned, KeyIDLength, KeyCodec,
	KeySignatureKey, KeyEncryptionKey, KeyCipher}

var makerKeys = []string{KeyBackend, KeySecretFile, KeyEnableEncryption}

// MakerConfig holds the maker-only settings: they are read by Configure
// and cannot be overridden per call.
type MakerConfig struct {
	// Backend names a registered backend ("backend"): "dogpile", "file",
	// "cookie", or any other a package registered with RegisterBackend.
	// Required.
	Backend string

	// SecretFile is the file the signing secret is read from, or created
	// in with mode 0600 when missing ("secret_file"), used only when no
	// signature_key is given. A file readable or writable by group or
	// others is refused. Default "./secret".
	SecretFile string

	// EnableEncryption encrypts cookies even without an encryption_key
	// ("enable_encryption"): the encryption sub-key is then derived from
	// the signing keys (or the secret file). Giving encryption_key turns
	// encryption on by itself; enable_encryption=false together with an
	// encryption_key is an error. Default false.
	EnableEncryption bool
}

// DefaultSecretFile is the default of the secret_file setting.
const DefaultSecretFile = "./secret"

// Config holds the general settings: they apply to every session of a
// Maker and can be overridden for one call with NewWith and LoadWith.
// DefaultConfig returns the defaults listed here.
type Config struct {
	// Domain is the cookie's Domain attribute ("domain"). Default "": a
	// host-only cookie, sent back only to the host that set it.
	Domain string

	// Path is the cookie's Path attribute ("path"). Default "/".
	Path string

	// Name is the cookie's name ("name"). Default "session".
	Name string

	// MaxAge is how long a session lives after its last access (or after
	// its creation when RefreshOnAccess is false), enforced on the server
	// and sent as the cookie's Max-Age and Expires ("max_age"). Default 0:
	// the cookie is a browser-session cookie and the server does not
	// expire idle sessions (set MaxAge or Lifetime so that stored sessions
	// get a TTL).
	MaxAge time.Duration

	// RefreshOnAccess measures MaxAge from the last access instead of
	// from the creation ("refresh_on_access"). Default true.
	RefreshOnAccess bool

	// Lifetime is an absolute cap on a session's age, however often it is
	// used ("lifetime"). Default 0: no cap.
	Lifetime time.Duration

	// TouchInterval is how old the last access must be before the
	// middleware saves an unchanged session just to record the access
	// (and re-send the cookie with a fresh Max-Age), when RefreshOnAccess
	// and MaxAge are set ("touch_interval"). It saves a store write per
	// request; the price is that a session may expire up to TouchInterval
	// earlier than MaxAge after its last use. It is capped at MaxAge/2.
	// 0 touches on every request. Default 1 minute.
	TouchInterval time.Duration

	// Secure sets the cookie's Secure attribute ("secure"): the browser
	// sends it over HTTPS only. Default false; set it in production.
	Secure bool

	// HTTPOnly sets the cookie's HttpOnly attribute ("httponly"): scripts
	// cannot read it. Default true.
	HTTPOnly bool

	// SameSite is the cookie's SameSite attribute ("samesite": "lax",
	// "strict", "none" or an http.SameSite). None requires Secure.
	// Default http.SameSiteLaxMode.
	SameSite http.SameSite

	// Partitioned sets the cookie's Partitioned attribute (CHIPS)
	// ("partitioned"); requires Secure. Default false.
	Partitioned bool

	// IDLength is the number of random bytes in a session id
	// ("session_id_length"); ids are their unpadded base64url form.
	// At least 32 (256 bits), at most 128. Default 32.
	IDLength int

	// Codec encodes session values ("codec": a Codec, or the name "binary"
	// or "gob"). Default BinaryCodec, which keeps the Go types of its
	// values (an int stays an int).
	Codec Codec

	// SignatureKeys signs cookies with HMAC-SHA256 ("signature_key": one
	// key, or a ring for rotation whose first key signs and all verify;
	// each at least 32 bytes). Default: derived from the secret file
	// (see MakerConfig.SecretFile).
	SignatureKeys [][]byte

	// EncryptionKeys encrypts cookies with an AEAD ("encryption_key": one
	// key or a ring, each at least 32 bytes). Default none: cookies are
	// signed only, unless MakerConfig.EnableEncryption.
	EncryptionKeys [][]byte

	// Cipher is the AEAD for encrypted cookies ("cipher": "aes-256-gcm"
	// or "xchacha20-poly1305"). Default "aes-256-gcm".
	Cipher string
}

// DefaultConfig returns the general settings' defaults.
func DefaultConfig() Config {
	return Config{
		Path:            "/",
		Name:            "session",
		RefreshOnAccess: true,
		TouchInterval:   time.Minute,
		HTTPOnly:        true,
		SameSite:        http.SameSiteLaxMode,
		IDLength:        32,
		Codec:           BinaryCodec{},
		Cipher:          cookie.CipherAESGCM,
	}
}

// String describes c with its keys redacted.
func (c Config) String() string {
	return fmt.Sprintf("{Domain:%q Path:%q Name:%q MaxAge:%v RefreshOnAccess:%v Lifetime:%v TouchInterval:%v Secure:%v HTTPOnly:%v SameSite:%v Partitioned:%v IDLength:%d Codec:%s SignatureKeys:%d key(s) EncryptionKeys:%d key(s) Cipher:%q}",
		c.Domain, c.Path, c.Name, c.MaxAge, c.RefreshOnAccess, c.Lifetime, c.TouchInterval, c.Secure,
		c.HTTPOnly, c.SameSite, c.Partitioned, c.IDLength, codecName(c.Codec), len(c.SignatureKeys),
		len(c.EncryptionKeys), c.Cipher)
}

// GoString is String, so that %#v does not print the keys either.
func (c Config) GoString() string { return c.String() }

// SettingsFromConfig returns the settings of a flat config map (an INI
// section, environment variables, flags) found under prefix: each key
// prefix+name becomes the setting name with its string value, which
// Configure parses ("300", "5m", "true", "hex:..."). Keys without the
// prefix are ignored. Go objects such as the dogpile backend's region
// cannot come from a file: add them to the result before Configure.
//
//	s := session.SettingsFromConfig(map[string]string{
//		"session.backend": "dogpile", "session.max_age": "3600",
//		"session.signature_key": "base64:...",
//	}, "session.")
//	s["region"] = r
//	err := maker.Configure(s)
func SettingsFromConfig(conf map[string]string, prefix string) Settings {
	out := Settings{}
	for k, v := range conf {
		if name, ok := strings.CutPrefix(k, prefix); ok && name != "" {
			out[name] = v
		}
	}
	return out
}

// touchEvery is the effective touch interval.
func (c *Config) touchEvery() time.Duration {
	t := c.TouchInterval
	if c.MaxAge > 0 && t > c.MaxAge/2 {
		t = c.MaxAge / 2
	}
	return t
}

// readConfig reads the general settings from a over base.
func readConfig(a *Args, base Config) Config {
	c := base
	c.Domain = a.String(KeyDomain, c.Domain)
	c.Path = a.String(KeyPath, c.Path)
	c.Name = a.String(KeyName, c.Name)
	c.MaxAge = a.Duration(KeyMaxAge, c.MaxAge)
	c.RefreshOnAccess = a.Bool(KeyRefreshOnAccess, c.RefreshOnAccess)
	c.Lifetime = a.Duration(KeyLifetime, c.Lifetime)
	c.TouchInterval = a.Duration(KeyTouchInterval, c.TouchInterval)
	c.Secure = a.Bool(KeySecure, c.Secure)
	c.HTTPOnly = a.Bool(KeyHTTPOnly, c.HTTPOnly)
	c.Partitioned = a.Bool(KeyPartitioned, c.Partitioned)
	c.IDLength = a.Int(KeyIDLength, c.IDLength)
	c.Cipher = a.String(KeyCipher, c.Cipher)
	if v, ok := a.get(KeySameSite); ok {
		c.SameSite = readSameSite(a, v, c.SameSite)
	}
	if v, ok := a.get(KeyCodec); ok {
		c.Codec = readCodec(a, v, c.Codec)
	}
	if a.Has(KeySignatureKey) {
		c.SignatureKeys = a.Keys(KeySignatureKey)
	}
	if a.Has(KeyEncryptionKey) {
		c.EncryptionKeys = a.Keys(KeyEncryptionKey)
	}
	if c.IDLength < 32 || c.IDLength > 128 {
		a.Fail(KeyIDLength, "%d bytes: must be between 32 (256 bits) and 128", c.IDLength)
	}
	if c.Cipher != cookie.CipherAESGCM && c.Cipher != cookie.CipherXChaCha20Poly1305 {
		a.Fail(KeyCipher, "unknown cipher %q (want %q or %q)", c.Cipher, cookie.CipherAESGCM, cookie.CipherXChaCha20Poly1305)
	}
	if c.Name == "" {
		a.Fail(KeyName, "empty cookie name")
	}
	return c
}

func readSameSite(a *Args, v any, def http.SameSite) http.SameSite {
	switch x := v.(type) {
	case http.SameSite:
		return x
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "lax":
			return http.SameSiteLaxMode
		case "strict":
			return http.SameSiteStrictMode
		case "none":
			return http.SameSiteNoneMode
		case "", "default":
			return http.SameSiteDefaultMode
		}
	}
	a.bad(KeySameSite, v, `a SameSite mode ("lax", "strict", "none", "default" or an http.SameSite)`)
	return def
}

func readCodec(a *Args, v any, def Codec) Codec {
	switch x := v.(type) {
	case Codec:
		return x
	case string:
		if c, ok := codecByName(x); ok {
			return c
		}
	}
	a.bad(KeyCodec, v, `a codec ("binary", "gob" or a session.Codec)`)
	return def
}

// readMakerConfig reads the maker-only settings.
func readMakerConfig(a *Args) (MakerConfig, bool) {
	mc := MakerConfig{
		Backend:          a.String(KeyBackend, ""),
		SecretFile:       a.String(KeySecretFile, DefaultSecretFile),
		EnableEncryption: a.Bool(KeyEnableEncryption, false),
	}
	return mc, a.Has(KeyEnableEncryption)
}
