package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosess/gosess/cookie"
)

// Maker makes sessions: PySess's sessionmaker. Build one with NewMaker,
// configure it once with Configure, then call New for a fresh session and
// Load to reload one from a cookie, or put Middleware in front of your
// handlers. A Maker is safe for concurrent use.
type Maker struct {
	logger     *slog.Logger
	now        func() time.Time
	onConflict ConflictHandler
	stats      makerStats

	configMu sync.Mutex
	state    atomic.Pointer[makerState]
}

// makerState is what Configure or New sets.
type makerState struct {
	backendName string
	backend     Backend
	carrier     CookieCarrier // non-nil for backends that live in the cookie
	cc          *callConfig
	deriveEnc   bool // encrypt with the signing ring (enable_encryption, no key)
	codecs      codecCache
}

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

// MakerOption configures a Maker at NewMaker.
type MakerOption func(*Maker)

// WithLogger sets the Maker's logger: why a cookie was refused (debug),
// secret file creation (info), unencrypted cookie sessions (warn), store
// failures in the middleware (error). Default slog.Default().
func WithLogger(l *slog.Logger) MakerOption {
	return func(m *Maker) {
		if l != nil {
			m.logger = l
		}
	}
}

// WithClock sets the clock used for creation and access times, expiry and
// cookie issue times. Default time.Now. For tests.
func WithClock(now func() time.Time) MakerOption {
	return func(m *Maker) {
		if now != nil {
			m.now = now
		}
	}
}

// WithConflictHandler sets how Middleware answers a request whose session
// could not be saved because of a conflict: another request of the same
// client changed the same keys, or deleted the session, since this one
// loaded it (see Session.Save). Default DefaultConflictHandler (409).
func WithConflictHandler(h ConflictHandler) MakerOption {
	return func(m *Maker) {
		if h != nil {
			m.onConflict = h
		}
	}
}

// NewMaker returns an unconfigured Maker: every method but Configure fails
// with ErrNotConfigured until Configure succeeds.
func NewMaker(opts ...MakerOption) *Maker {
	m := &Maker{logger: slog.Default(), now: time.Now, onConflict: DefaultConflictHandler}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Configure sets up the Maker from settings (see Settings and the package
// documentation for every key): it reads them into a Config, building the
// backend with the factory registered under the "backend" setting, and
// configures the Maker as New does with that Config. It can succeed
// once: a second call fails with ErrAlreadyConfigured. A failed call
// leaves the Maker unconfigured. Errors wrap ErrInvalidSetting and name
// the setting: an unknown key, a bad value, a key shorter than 32 bytes,
// a missing or unknown backend (also ErrUnknownBackend), a secret file
// that cannot be read or created or has permissions wider than 0600
// (cookie.ErrSecretFilePerm). Every problem found is reported at once,
// joined with errors.Join (one per line), so that a map with several
// mistakes is fixed in one round.
//
// A backend that keeps sessions in the cookie (CookieCarrier: the cookie
// backend) cannot revoke them, so when the settings give no max_age its
// sessions get DefaultCookieCarrierMaxAge instead of none.
func (m *Maker) Configure(settings Settings) error {
	m.configMu.Lock()
	defer m.configMu.Unlock()
	if m.state.Load() != nil {
		return ErrAlreadyConfigured
	}
	cfg, errs := m.fromSettings(settings)
	return m.setup(cfg, errs, true)
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

func (m *Maker) current() (*makerState, error) {
	st := m.state.Load()
	if st == nil {
		return nil, ErrNotConfigured
	}
	return st, nil
}

// Config returns the configuration in effect, defaults filled in and
// Backend the one the Maker uses; DefaultConfig when the Maker is not
// configured. Keys are shared, do not modify them. SignatureKeys are
// those given: a key read from the secret file, or an ephemeral one, is
// not shown.
func (m *Maker) Config() Config {
	if st := m.state.Load(); st != nil {
		return st.cc.cfg
	}
	return DefaultConfig()
}

// Backend returns the configured backend (nil before Configure), to reach
// optional capabilities such as Cleaner and Lister.
func (m *Maker) Backend() Backend {
	if st := m.state.Load(); st != nil {
		return st.backend
	}
	return nil
}

// Ping checks that the Maker's backend can be reached, for start-up
// checks and health endpoints: ErrNotConfigured before Configure, the
// backend's error (wrapped, naming the backend) when its Pinger fails,
// nil otherwise.
func (m *Maker) Ping(ctx context.Context) error {
	st, err := m.current()
	if err != nil {
		return err
	}
	p, ok := st.backend.(Pinger)
	if !ok {
		return nil
	}
	if err := p.Ping(ctx); err != nil {
		return fmt.Errorf("session: backend %q: ping: %w", st.backendName, err)
	}
	return nil
}

// BackendName returns the name of the configured backend ("" before
// Configure), for logs and health pages.
func (m *Maker) BackendName() string {
	if st := m.state.Load(); st != nil {
		return st.backendName
	}
	return ""
}

// Cleanup removes expired sessions from backends that need it (the file
// backend) and reports how many; ErrUnsupported for backends that evict
// on their own or keep nothing.
func (m *Maker) Cleanup(ctx context.Context) (int, error) {
	st, err := m.current()
	if err != nil {
		return 0, err
	}
	c, ok := st.backend.(Cleaner)
	if !ok {
		return 0, fmt.Errorf("%w: backend %q has no cleanup", ErrUnsupported, st.backendName)
	}
	return c.Cleanup(ctx)
}

// New returns a new, empty session. It does not touch the store: nothing is
// stored until Save.
func (m *Maker) New(ctx context.Context) (*Session, error) {
	return m.NewWith(ctx, nil)
}

// NewWith is New with general settings overridden for this session, as
// PySess's Session(**overrides). Maker-only and backend settings cannot be
// overridden: they are reported as errors wrapping ErrInvalidSetting.
func (m *Maker) NewWith(ctx context.Context, overrides Settings) (*Session, error) {
	st, cc, err := m.prepare(overrides)
	if err != nil {
		return nil, err
	}
	return m.newSession(st, cc, m.now(), false), nil
}

// Load returns the session named by the cookie in s, which may be a
// Set-Cookie line (as c.String() of the cookie Save returned), a
// "name=value" pair, a bare cookie value, or a whole Cookie request
// header with other cookies in it (every cookie of the configured name is
// tried). When s holds no valid cookie (none, tampered, truncated, signed
// with an unknown key, expired, garbage, too long) or names a session that
// does not exist or has expired, Load returns a new, empty session and a
// nil error, and logs the reason at debug level: bad input from a client
// is not an error of the server. Only a failing backend is an error.
func (m *Maker) Load(ctx context.Context, s string) (*Session, error) {
	return m.LoadWith(ctx, s, nil)
}

// LoadWith is Load with general settings overridden for this call (see
// NewWith).
func (m *Maker) LoadWith(ctx context.Context, s string, overrides Settings) (*Session, error) {
	st, cc, err := m.prepare(overrides)
	if err != nil {
		return nil, err
	}
	return m.load(ctx, st, cc, cookie.ExtractAll(s, cc.cfg.Name))
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

func (m *Maker) newSession(st *makerState, cc *callConfig, now time.Time, hadCookie bool) *Session {
	m.stats.news.Add(1)
	return &Session{
		m: m, st: st, cc: cc,
		id:      newID(cc.cfg.IDLength),
		data:    map[string]any{},
		created: now, access: now,
		isNew: true, hadCookie: hadCookie,
	}
}

// load tries each candidate cookie value in turn and returns the first
// session that loads, or a new one.
func (m *Maker) load(ctx context.Context, st *makerState, cc *callConfig, values []string) (*Session, error) {
	now := m.now()
	if len(values) == 0 {
		m.logger.DebugContext(ctx, "session: new session", "reason", "no session cookie")
	}
	for _, v := range values {
		s, reason, err := m.open(ctx, st, cc, v, now)
		if err != nil {
			return nil, err
		}
		if s != nil {
			m.stats.loads.Add(1)
			return s, nil
		}
		m.stats.reject(reason.code)
		m.logger.DebugContext(ctx, "session: new session", "reason", reason.text, "code", reason.code)
	}
	return m.newSession(st, cc, now, len(values) > 0), nil
}

// rejection says why a cookie did not load a session: code is one of the
// Reject* constants, text the detail for the debug log.
type rejection struct{ code, text string }

// open loads the session of one cookie value. A nil session with a reason
// means "start a new one"; an error means the backend failed.
func (m *Maker) open(ctx context.Context, st *makerState, cc *callConfig, value string, now time.Time) (*Session, rejection, error) {
	payload, _, err := cc.codec.Decode(cc.cfg.Name, value, cc.cfg.MaxAge, now)
	if err != nil {
		return nil, rejection{cookieRejectReason(err), "cookie refused: " + err.Error()}, nil
	}
	var (
		id  string
		rec Record
	)
	if st.carrier != nil {
		if id, rec, err = st.carrier.Open(payload); err != nil {
			return nil, rejection{RejectPayload, "cookie payload refused: " + err.Error()}, nil
		}
	} else {
		id = string(payload)
		if !ValidID(id) {
			return nil, rejection{RejectPayload, "cookie holds no valid session id"}, nil
		}
		rec, err = st.backend.Load(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound) && errors.Is(err, ErrBadRecord):
			// A corrupt record (a truncated file): gone for good, and not
			// the client's doing, so it is said louder than a miss.
			m.logger.WarnContext(ctx, "session: stored session is corrupt; starting a new session", "error", err)
			return nil, rejection{RejectUndecodable, "corrupt stored session: " + err.Error()}, nil
		case errors.Is(err, ErrNotFound):
			return nil, rejection{RejectUnknownID, "no stored session for the cookie's id (expired, deleted or never saved)"}, nil
		}
		if err != nil {
			m.stats.failed(err)
			return nil, rejection{}, fmt.Errorf("session: load: backend %q: %w", st.backendName, err)
		}
	}
	values, err := cc.cfg.Codec.Unmarshal(rec.Data)
	if err != nil {
		m.logger.WarnContext(ctx, "session: stored session data cannot be decoded; starting a new session", "error", err)
		return nil, rejection{RejectUndecodable, "undecodable session data"}, nil
	}
	s := &Session{m: m, st: st, cc: cc, id: id, loadedValue: value, hadCookie: true}
	if st.carrier == nil {
		s.base = &rec
	}
	var ok1, ok2 bool
	s.created, ok1 = values[internalCreated].(time.Time)
	s.access, ok2 = values[internalAccess].(time.Time)
	if !ok1 || !ok2 {
		return nil, rejection{RejectUndecodable, "session data without creation or access time"}, nil
	}
	if f, ok := values[internalFlash].([]any); ok {
		s.flashes, s.kept = f, len(f)
	}
	if s.user, _ = values[internalUser].(string); s.user != "" {
		s.userGen, _ = values[internalUserGen].(uint64)
		s.indexedUser = s.user
		if st.carrier != nil {
			valid, err := m.checkGeneration(ctx, st, s.user, s.userGen)
			if err != nil {
				m.stats.failed(err)
				return nil, rejection{}, err
			}
			if !valid {
				return nil, rejection{RejectRevoked, "the user's sessions were revoked (RevokeUser)"}, nil
			}
		}
	}
	for k := range values {
		if internal(k) {
			delete(values, k)
		}
	}
	s.data = values
	if exp := cc.cfg.expiry(s.created, s.access); !exp.IsZero() && !now.Before(exp) {
		if st.carrier == nil {
			// Only if it is still the expired record: a request that saved
			// it meanwhile kept it alive.
			err := st.backend.Delete(ctx, id, &rec)
			if err != nil && !errors.Is(err, ErrConflict) {
				m.stats.failed(err)
				return nil, rejection{}, fmt.Errorf("session: delete expired session: backend %q: %w", st.backendName, err)
			}
		}
		return nil, rejection{RejectExpired, "session expired on the server"}, nil
	}
	return s, rejection{}, nil
}
