package session

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/gosess/gosess/cookie"
)

// Config configures a Maker: New builds a Maker from one, and Configure
// builds one from Settings (PySess's flat map, and the adapter for config
// files), so both ways give the same Maker. The zero value of every field
// is its default, stated on the field; a literal names only what it
// changes:
//
//	maker, err := session.New(session.Config{
//		Backend:       dogpile.New(r),
//		Options:       cookie.Options{Domain: "example.com", Secure: true},
//		SignatureKeys: [][]byte{key},
//	})
//
// The setting of each field is given in parentheses. Maker.Config returns
// the Config in effect, with the defaults filled in; it builds the same
// Maker again (but for an EphemeralKey, which is drawn anew).
//
// Backend, EnableEncryption, SecretFile, SecretFileMustExist and
// EphemeralKey are the Maker's own; the other fields are the general
// settings, which NewWith and LoadWith can override for one call.
type Config struct {
	// Backend stores the sessions: a value made by a backend package's
	// constructor (dogpile.New(r, ...), file.Open(dir, ...),
	// cookie.New()), or, through Configure, by the factory registered
	// under the "backend" setting's name. Required.
	Backend Backend

	// Options are the cookie's attributes, each documented with its
	// default in package cookie: Name ("name", default "session"), Domain
	// ("domain", default "": host-only), Path ("path", default "/"),
	// Secure ("secure", default false: set it in production),
	// ScriptReadable (the inverse of "httponly"; default false: the
	// cookie is HttpOnly), SameSite ("samesite", default Lax) and
	// Partitioned ("partitioned", default false).
	//
	// MaxAge ("max_age") is also how long a session lives on the server
	// after its last access (after its creation with MaxAgeFromCreation),
	// and a cookie issued longer ago is refused. Default 0: a
	// browser-session cookie, and no idle expiry on the server (set
	// MaxAge or Lifetime so that stored sessions get a TTL); for a
	// backend that keeps sessions in the cookie, DefaultCookieCarrierMaxAge
	// instead, since such sessions cannot be revoked. NoMaxAge means none
	// whatever the backend.
	cookie.Options

	// MaxAgeFromCreation measures MaxAge from the session's creation
	// instead of its last access ("refresh_on_access", inverted).
	// Default false: every access extends the session.
	MaxAgeFromCreation bool

	// Lifetime is an absolute cap on a session's age, however often it is
	// used ("lifetime"). Default 0: no cap.
	Lifetime time.Duration

	// TouchInterval is how old the last access must be before the
	// middleware saves an unchanged session just to record the access
	// (and re-send the cookie with a fresh Max-Age), when MaxAge counts
	// from the last access ("touch_interval"). It saves a store write per
	// request; the price is that a session may expire up to
	// TouchInterval earlier than MaxAge after its last use. It is capped
	// at MaxAge/2. Default 0: DefaultTouchInterval (1 minute);
	// TouchEveryRequest records every request (the setting's 0).
	TouchInterval time.Duration

	// IDLength is the number of random bytes in a session id
	// ("session_id_length"); ids are their unpadded base64url form.
	// Between 32 (256 bits) and 128. Default 0: DefaultIDLength (32).
	IDLength int

	// Codec encodes session values ("codec": a Codec, or the name
	// "binary" or "gob"). Default nil: BinaryCodec, which keeps the Go
	// types of its values (an int stays an int).
	Codec Codec

	// SignatureKeys signs cookies with HMAC-SHA256 ("signature_key": one
	// key, or a ring for rotation whose first key signs and all verify;
	// each at least 32 bytes). Default none: the key in SecretFile (or a
	// key of this process with EphemeralKey).
	SignatureKeys [][]byte

	// SignatureKey is one signing key, for the common case of a single key:
	// the same as SignatureKeys: [][]byte{SignatureKey}. Giving both is an
	// error. Maker.Config reports the key in SignatureKeys. Default none.
	SignatureKey []byte

	// EncryptionKeys encrypts cookies with an AEAD ("encryption_key": one
	// key or a ring, each at least 32 bytes). Default none: cookies are
	// signed only, unless EnableEncryption.
	EncryptionKeys [][]byte

	// EnableEncryption encrypts cookies even without EncryptionKeys
	// ("enable_encryption"): the encryption sub-key is then derived from
	// the signing key. Default false. (The setting
	// enable_encryption=false together with an encryption_key is an
	// error.)
	EnableEncryption bool

	// Cipher is the AEAD for encrypted cookies ("cipher":
	// cookie.CipherAESGCM or cookie.CipherXChaCha20Poly1305). Default "":
	// "aes-256-gcm".
	Cipher string

	// SecretFile is the file the signing key is read from when no
	// SignatureKeys are given ("secret_file"); it is created, with mode
	// 0600 and a new random key, when missing, unless
	// SecretFileMustExist. A file readable or writable by group or others
	// is refused. A relative path is relative to the working directory
	// (package config resolves it against the config file that names
	// it). Every process that serves the same sessions must read the same
	// key: see the package documentation on fleets. Default "":
	// DefaultSecretFile ("./secret", as PySess).
	SecretFile string

	// SecretFileMustExist makes a missing SecretFile an error instead of
	// creating it ("secret_file_create", inverted). Set it where the file
	// is provisioned (a fleet, a container image): a process started in
	// the wrong directory then fails at start-up instead of signing with
	// a key of its own. Default false: the file is created, and the
	// creation is logged as a warning.
	SecretFileMustExist bool

	// EphemeralKey signs cookies with a random key drawn when the Maker
	// is configured, kept in memory only ("ephemeral_key"): cookies die
	// with the process. For one process whose sessions live in its own
	// memory (tests, demos); New and Configure refuse it for a backend
	// that other processes share (a region on memcached, redis or files,
	// the file backend), whose sessions every other process, and this
	// one after a restart, would fail to load. It excludes SignatureKeys
	// and SecretFile. Default false.
	EphemeralKey bool
}

// Defaults of Config fields whose zero value stands for another value,
// and the sentinels of "none" where 0 is the default.
const (
	// DefaultSecretFile is the default of Config.SecretFile.
	DefaultSecretFile = "./secret"
	// DefaultIDLength is the default of Config.IDLength (bytes).
	DefaultIDLength = 32
	// DefaultTouchInterval is the default of Config.TouchInterval.
	DefaultTouchInterval = time.Minute
	// DefaultCookieCarrierMaxAge is the max_age of sessions kept in the
	// cookie (the cookie backend) when none is given: such a cookie
	// cannot be revoked on the server, so it must not stay valid
	// forever. NoMaxAge (the setting max_age=0) makes them
	// browser-session cookies that the server never expires.
	DefaultCookieCarrierMaxAge = 24 * time.Hour
	// NoMaxAge as Config.MaxAge asks for no max age whatever the backend
	// (the setting max_age=0).
	NoMaxAge time.Duration = -1
	// TouchEveryRequest as Config.TouchInterval records the access of
	// every request (the setting touch_interval=0).
	TouchEveryRequest time.Duration = -1
)

// DefaultConfig returns the Config in effect for a Maker configured with
// nothing but a backend: every default filled in, no Backend.
func DefaultConfig() Config {
	return Config{}.withDefaults(false)
}

// withDefaults fills in the defaults of the zero fields. carrier says
// whether the backend keeps sessions in the cookie (its MaxAge default).
func (c Config) withDefaults(carrier bool) Config {
	c.Options = c.Options.Effective()
	switch {
	case c.MaxAge == 0 && carrier:
		c.MaxAge = DefaultCookieCarrierMaxAge
	case c.MaxAge < 0 && !carrier:
		c.MaxAge = 0 // the same thing: no max age
	case c.MaxAge < 0:
		c.MaxAge = NoMaxAge
	}
	switch {
	case c.TouchInterval == 0:
		c.TouchInterval = DefaultTouchInterval
	case c.TouchInterval < 0:
		c.TouchInterval = TouchEveryRequest
	}
	if c.IDLength == 0 {
		c.IDLength = DefaultIDLength
	}
	if c.Codec == nil {
		c.Codec = BinaryCodec{}
	}
	if c.Cipher == "" {
		c.Cipher = cookie.CipherAESGCM
	}
	return c
}

// check reports the problems of an effective Config that do not depend
// on the keys' contents (newCallConfig checks those), each naming its
// setting.
func (c Config) check() []error {
	var errs []error
	bad := func(key, field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: setting %q (Config.%s): %s", ErrInvalidSetting, key, field, fmt.Sprintf(format, args...)))
	}
	if c.IDLength < 32 || c.IDLength > 128 {
		bad(KeyIDLength, "IDLength", "%d bytes: must be between 32 (256 bits) and 128", c.IDLength)
	}
	if c.Cipher != cookie.CipherAESGCM && c.Cipher != cookie.CipherXChaCha20Poly1305 {
		bad(KeyCipher, "Cipher", "unknown cipher %q (want %q or %q)", c.Cipher, cookie.CipherAESGCM, cookie.CipherXChaCha20Poly1305)
	}
	if c.Lifetime < 0 {
		bad(KeyLifetime, "Lifetime", "negative duration %v", c.Lifetime)
	}
	given := len(c.SignatureKeys) > 0
	switch {
	case given && c.EphemeralKey:
		bad(KeyEphemeralKey, "EphemeralKey", "contradicts the %s given (choose one)", KeySignatureKey)
	case given && c.SecretFile != "":
		bad(KeySecretFile, "SecretFile", "is not read when a %s is given (give one of them)", KeySignatureKey)
	case c.EphemeralKey && c.SecretFile != "":
		bad(KeyEphemeralKey, "EphemeralKey", "contradicts the %s given (choose one)", KeySecretFile)
	}
	if c.SecretFileMustExist && (given || c.EphemeralKey) {
		bad(KeySecretFileCreate, "SecretFileMustExist", "applies to a secret file, which is not read when a %s or %s is given", KeySignatureKey, KeyEphemeralKey)
	}
	return errs
}

// refreshOnAccess reports whether MaxAge counts from the last access.
func (c *Config) refreshOnAccess() bool { return !c.MaxAgeFromCreation }

// touchEvery is the effective touch interval.
func (c *Config) touchEvery() time.Duration {
	t := max(c.TouchInterval, 0)
	if c.MaxAge > 0 && t > c.MaxAge/2 {
		t = c.MaxAge / 2
	}
	return t
}

// String describes c with its keys redacted.
func (c Config) String() string {
	backend := "<nil>"
	if c.Backend != nil {
		backend = backendName(c.Backend)
	}
	return fmt.Sprintf("{Backend:%s Domain:%q Path:%q Name:%q MaxAge:%v MaxAgeFromCreation:%v Lifetime:%v TouchInterval:%v Secure:%v ScriptReadable:%v SameSite:%v Partitioned:%v IDLength:%d Codec:%s SignatureKeys:%d key(s) EncryptionKeys:%d key(s) EnableEncryption:%v Cipher:%q SecretFile:%q SecretFileMustExist:%v EphemeralKey:%v}",
		backend, c.Domain, c.Path, c.Name, c.MaxAge, c.MaxAgeFromCreation, c.Lifetime, c.TouchInterval, c.Secure,
		c.ScriptReadable, c.SameSite, c.Partitioned, c.IDLength, codecName(c.Codec), len(c.SignatureKeys),
		len(c.EncryptionKeys), c.EnableEncryption, c.Cipher, c.SecretFile, c.SecretFileMustExist, c.EphemeralKey)
}

// GoString is String, so that %#v does not print the keys either.
func (c Config) GoString() string { return c.String() }

// New returns a Maker configured with cfg (see Config), or every problem
// of cfg at once (errors.Join, each wrapping ErrInvalidSetting). opts are
// those of NewMaker (a logger, a clock). It is the typed counterpart of
// NewMaker followed by Configure, and builds the same Maker.
func New(cfg Config, opts ...MakerOption) (*Maker, error) {
	m := NewMaker(opts...)
	m.configMu.Lock()
	defer m.configMu.Unlock()
	if err := m.setup(cfg, nil, false); err != nil {
		return nil, err
	}
	return m, nil
}

// setup configures m with cfg (m.configMu held): pre are problems already
// found by Configure's reading of Settings (fromSettings, which reports a
// missing backend itself), reported with the others. Every problem is
// reported at once; a failure leaves m unconfigured.
func (m *Maker) setup(cfg Config, pre []error, fromSettings bool) error {
	if m.state.Load() != nil {
		return ErrAlreadyConfigured
	}
	errs := pre
	if len(cfg.SignatureKey) > 0 {
		if len(cfg.SignatureKeys) > 0 {
			errs = append(errs, fmt.Errorf("%w: Config.SignatureKey and Config.SignatureKeys are both given (give the key, or the ring)", ErrInvalidSetting))
		} else {
			cfg.SignatureKeys = [][]byte{cfg.SignatureKey}
		}
		cfg.SignatureKey = nil
	}
	_, carrier := cfg.Backend.(CookieCarrier)
	cfg = cfg.withDefaults(carrier)
	errs = append(errs, cfg.check()...)
	st := &makerState{deriveEnc: cfg.EnableEncryption && len(cfg.EncryptionKeys) == 0}
	if cfg.Backend == nil {
		if !fromSettings {
			errs = append(errs, fmt.Errorf("%w: setting %q (Config.Backend): required: a backend such as dogpile.New(r), file.Open(dir, ...) or cookie.New()", ErrInvalidSetting, KeyBackend))
		}
	} else {
		st.backendName = backendName(cfg.Backend)
		b, err := attach(cfg, st, m)
		if err != nil {
			errs = append(errs, fmt.Errorf("session: backend %q: %w", st.backendName, err))
		}
		cfg.Backend = b
	}
	if cfg.EphemeralKey && cfg.Backend != nil && shared(cfg.Backend) {
		errs = append(errs, fmt.Errorf("%w: setting %q (Config.EphemeralKey): a key made by this process cannot sign the sessions of backend %q, which other processes reach: "+
			"they, and this process after a restart, would refuse its cookies and give their users new, empty sessions, without an error. "+
			"Give every process the same key: %s, or %s naming one file they all read (gosess keygen makes one)",
			ErrInvalidSetting, KeyEphemeralKey, st.backendName, KeySignatureKey, KeySecretFile))
	}
	// The cookie attributes and keys are checked now; without keys, with
	// a stand-in key, so that the secret file is read (or created) only
	// by a configuration that is otherwise sound.
	sign := cfg.SignatureKeys
	if len(sign) == 0 {
		sign = [][]byte{make([]byte, cookie.MinKeySize)}
	}
	cc, err := m.newCallConfig(cfg, sign, st.deriveEnc, nil)
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if len(cfg.SignatureKeys) == 0 {
		key, err := m.signingKey(cfg, st.backendName, cfg.Backend)
		if err != nil {
			return err
		}
		if cc, err = m.newCallConfig(cfg, [][]byte{key}, st.deriveEnc, nil); err != nil {
			return err
		}
	}
	st.cc = cc
	st.backend = cfg.Backend
	st.carrier, _ = cfg.Backend.(CookieCarrier)
	m.state.Store(st)
	return nil
}

// attach gives the backend to the Maker: Attach when it has it.
func attach(cfg Config, st *makerState, m *Maker) (Backend, error) {
	a, ok := cfg.Backend.(Attacher)
	if !ok {
		return cfg.Backend, nil
	}
	env := BackendEnv{Config: cfg, Encrypted: len(cfg.EncryptionKeys) > 0 || st.deriveEnc, Logger: m.logger, Now: m.now}
	b, err := a.Attach(env)
	if err == nil && b == nil {
		err = errors.New("Attach returned no backend")
	}
	return b, err
}

// signingKey returns the key of a Config without SignatureKeys: a random
// one for EphemeralKey, else the secret file's, created when missing
// unless SecretFileMustExist.
func (m *Maker) signingKey(cfg Config, name string, b Backend) ([]byte, error) {
	if cfg.EphemeralKey {
		key, err := cookie.GenerateKey()
		if err != nil {
			return nil, fmt.Errorf("session: ephemeral key: %w", err)
		}
		m.logger.Info("session: cookies are signed with a key of this process only (ephemeral_key): they stop loading when it exits",
			"backend", name)
		return key, nil
	}
	path := cfg.SecretFile
	if path == "" {
		path = DefaultSecretFile
	}
	var (
		key     []byte
		created bool
		err     error
	)
	if cfg.SecretFileMustExist {
		key, err = cookie.LoadSecret(path)
	} else {
		key, created, err = cookie.LoadOrCreateSecret(path)
	}
	if err != nil {
		hint := ""
		if cfg.SecretFileMustExist {
			hint = fmt.Sprintf("; %s=false forbids creating it: provision it (gosess keygen %s) or fix the path", KeySecretFileCreate, path)
		}
		return nil, fmt.Errorf("%w: %s %q (used because no %s is given): %w%s", ErrInvalidSetting, KeySecretFile, path, KeySignatureKey, err, hint)
	}
	if created {
		m.logger.Warn("session: created a new secret file with a new key for signing cookies. "+
			"Every process that serves these sessions must sign with this same key: give the others this file (a copy, or shared storage) and keep it. "+
			"A process that creates a file of its own (another host, another working directory) signs cookies that the others refuse, "+
			"and its users get new, empty sessions without any error. Where the file is provisioned, set "+KeySecretFileCreate+"=false so that a missing file stops the process instead",
			"path", absPath(path), "backend", name, "backend_shared", shared(b))
	}
	return key, nil
}

// absPath is path made absolute for messages (path itself if that fails).
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
