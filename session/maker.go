package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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
