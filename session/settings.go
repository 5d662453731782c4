package session

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Settings configures a Maker (Configure) or one call (NewWith, LoadWith):
// a flat map, as PySess's keyword arguments or a section of a config file.
// Its keys fall in three parts, each documented on its type:
//
//   - maker-only keys: backend, secret_file, secret_file_create,
//     ephemeral_key, enable_encryption;
//   - general keys: cookie attributes, expiry, ids, codec, keys;
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
	KeySecretFileCreate = "secret_file_create"
	KeyEphemeralKey     = "ephemeral_key"
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

var makerKeys = []string{KeyBackend, KeySecretFile, KeySecretFileCreate, KeyEphemeralKey, KeyEnableEncryption}

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

// readConfig reads the general settings from a over base. The settings'
// 0 of max_age and touch_interval become NoMaxAge and TouchEveryRequest,
// since a Config's 0 is their default.
func readConfig(a *Args, base Config) Config {
	c := base
	c.Domain = a.String(KeyDomain, c.Domain)
	c.Path = a.String(KeyPath, c.Path)
	c.Name = a.String(KeyName, c.Name)
	if a.Has(KeyMaxAge) {
		if c.MaxAge = a.Duration(KeyMaxAge, c.MaxAge); c.MaxAge == 0 {
			c.MaxAge = NoMaxAge
		}
	}
	c.MaxAgeFromCreation = !a.Bool(KeyRefreshOnAccess, !c.MaxAgeFromCreation)
	c.Lifetime = a.Duration(KeyLifetime, c.Lifetime)
	if a.Has(KeyTouchInterval) {
		if c.TouchInterval = a.Duration(KeyTouchInterval, c.TouchInterval); c.TouchInterval == 0 {
			c.TouchInterval = TouchEveryRequest
		}
	}
	c.Secure = a.Bool(KeySecure, c.Secure)
	c.ScriptReadable = !a.Bool(KeyHTTPOnly, !c.ScriptReadable)
	c.Partitioned = a.Bool(KeyPartitioned, c.Partitioned)
	c.IDLength = a.Int(KeyIDLength, c.IDLength)
	c.Cipher = a.String(KeyCipher, c.Cipher)
	if v, ok := a.Given(KeySameSite); ok {
		c.SameSite = readSameSite(a, v, c.SameSite)
	}
	if v, ok := a.Given(KeyCodec); ok {
		c.Codec = readCodec(a, v, c.Codec)
	}
	if a.Has(KeySignatureKey) {
		c.SignatureKeys = a.Keys(KeySignatureKey)
	}
	if a.Has(KeyEncryptionKey) {
		c.EncryptionKeys = a.Keys(KeyEncryptionKey)
	}
	if a.Has(KeyName) && c.Name == "" {
		a.Fail(KeyName, "empty cookie name")
	}
	if a.Has(KeyIDLength) && c.IDLength == 0 {
		a.Fail(KeyIDLength, "0 bytes: must be between 32 (256 bits) and 128")
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
	a.Invalid(KeySameSite, v, `a SameSite mode ("lax", "strict", "none", "default" or an http.SameSite)`)
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
	a.Invalid(KeyCodec, v, `a codec ("binary", "gob" or a session.Codec)`)
	return def
}

// readMakerSettings reads the maker-only settings but the backend (which
// Configure builds with its factory).
func readMakerSettings(a *Args) Config {
	return Config{
		SecretFile:          a.String(KeySecretFile, ""),
		SecretFileMustExist: !a.Bool(KeySecretFileCreate, true),
		EphemeralKey:        a.Bool(KeyEphemeralKey, false),
		EnableEncryption:    a.Bool(KeyEnableEncryption, false),
	}
}

// fromSettings reads settings into a Config, building the backend with its
// factory, and returns the problems found.
func (m *Maker) fromSettings(settings Settings) (Config, []error) {
	a := NewArgs("", settings)
	cfg := readConfig(a, readMakerSettings(a))
	name := a.String(KeyBackend, "")
	if name == "" {
		a.Fail(KeyBackend, "required (registered backends: %s)", strings.Join(Backends(), ", "))
	}
	if a.Has(KeyEnableEncryption) && !cfg.EnableEncryption && len(cfg.EncryptionKeys) > 0 {
		a.Fail(KeyEnableEncryption, "false contradicts the %s given", KeyEncryptionKey)
	}
	errs := []error{a.Err()}
	if name == "" {
		return cfg, errs
	}
	factory, err := lookupBackend(name)
	if err != nil {
		return cfg, append(errs, err)
	}
	// The backend is built even when settings are already known to be
	// wrong, so that its own mistakes and the unknown keys (which only
	// the backend's reads tell apart) are reported in the same round.
	ba := NewArgs(name, settings)
	b, err := factory(BackendConfig{Name: name, Args: ba, BackendEnv: BackendEnv{
		Config: cfg.withDefaults(false), Encrypted: len(cfg.EncryptionKeys) > 0 || cfg.EnableEncryption,
		Logger: m.logger, Now: m.now,
	}})
	if err == nil {
		err = ba.Err()
	}
	if err == nil && b == nil {
		err = fmt.Errorf("factory returned no backend")
	}
	if err != nil {
		errs = append(errs, fmt.Errorf("session: backend %q: %w", name, err))
		b = nil
	}
	cfg.Backend = b
	return cfg, append(errs, unknownSettings(settings, a, ba, name))
}

// unknownSettings reports the keys neither a (maker and general) nor ba
// (the backend) asked for.
func unknownSettings(settings Settings, a, ba *Args, backend string) error {
	var unknown, backendKeys []string
	for k := range settings {
		if !a.WasAsked(k) && !ba.WasAsked(k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	for _, k := range ba.Asked() {
		if !a.WasAsked(k) {
			backendKeys = append(backendKeys, k)
		}
	}
	slices.Sort(unknown)
	known := "none"
	if len(backendKeys) > 0 {
		known = strings.Join(backendKeys, ", ")
	}
	return fmt.Errorf("%w: unknown setting %q (maker settings: %s; general settings: %s; backend %q settings: %s)",
		ErrInvalidSetting, strings.Join(unknown, `", "`), strings.Join(makerKeys, ", "),
		strings.Join(generalKeys, ", "), backend, known)
}
