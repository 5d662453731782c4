// Package session is a web-session layer for net/http, a port of PySess:
// a configurable session Maker (PySess's sessionmaker) that creates
// sessions and reloads them from cookies, a map-like Session whose Save
// returns a signed (optionally encrypted) cookie, pluggable backends that
// store the sessions, and a middleware.
//
// Applications use the Maker, its Config or Settings, the Session and the
// middleware, described first below. The names for writing a backend
// (Record, Args, RegisterBackend, the optional capabilities, ...) are
// described in the last section, "Writing a backend", and live in the
// files backend.go, backend_record.go and backend_registry.go.
//
// # Quickstart
//
// The usage guide of PySess, in Go:
//
//	r := region.New("app")
//	if err := r.Configure("memory", region.Config{Expiration: 5 * time.Minute}); err != nil {
//		return err
//	}
//	maker := session.NewMaker()
//	err := maker.Configure(session.Settings{"backend": "dogpile", "domain": "example.com",
//		"region": r, "signature_key": key})
//	if err != nil {
//		return err // every mistake in the settings, one per line
//	}
//	s, err := maker.New(ctx)
//	if err != nil {
//		return err
//	}
//	s.Set("some_key", "some value")
//	c, err := s.Save(ctx) // a *http.Cookie, not a string
//	if err != nil {
//		return err
//	}
//	prev, err := maker.Load(ctx, c.String()) // a bad cookie is a new session, not an error
//	if err != nil {
//		return err // the backend failed
//	}
//	v, ok := prev.Get("some_key") // "some value", true
//
// In a server, put maker.Middleware in front of the handlers and use
// FromContext(r.Context()) in them; the middleware loads and saves. Put
// http.CrossOriginProtection in front of the middleware against
// cross-site request forgery:
//
//	handler := http.NewCrossOriginProtection().Handler(maker.Middleware(mux))
//
// At login, call s.Renew(ctx): a new session id, the same values (the
// defence against session fixation; Refresh is its former name).
//
// # Why it is built this way
//
// The cookie carries only a signed session id (or, with the cookie
// backend, the signed and encrypted session itself); the session lives in
// a backend. The dogpile backend keeps sessions in a cache region
// (package region) that the application hands over, so one configured
// region serves both cached data and sessions, and swapping its driver in
// a config file moves both. Backends register by name when imported, as
// database/sql drivers do: dogpile, file and cookie live in
// github.com/gosess/gosess/backends/...
//
// PySess's flaws are fixed rather than ported: a misspelt setting is an
// error instead of being ignored; cookies are authenticated over their
// name, value and issue time and encrypted with an AEAD and a fresh nonce
// (package cookie); expiry is enforced on the server, not only by the
// browser; session ids have 256 bits from crypto/rand; two requests that
// change the same session concurrently no longer overwrite each other
// silently: every save is conditional on the record the request loaded
// (a compare-and-set in the store), the later save merges the two
// requests' changes key by key, and only a change of the same key by
// both is a conflict (PySess's own test_write_conflict expected one and
// failed). Bad cookies from clients (tampered, expired,
// garbage) are not errors: Load starts a new session and logs why at
// debug level. A failing backend is an error.
//
// # Values
//
// Values keep their Go types across a save and a load for every type the
// codec supports: with the default BinaryCodec, the basic kinds, []byte,
// time.Time, time.Duration, []any, map[string]any (nested), []string,
// map[string]string, and types registered with RegisterType. An int
// stays an int (JSON would have made it a float64). A value the codec
// cannot encode fails Save with ErrUnsupportedValue; nothing is stored and
// nothing is lost. Keys starting with "_" are internal (creation and
// access times, flash messages) and hidden, as in PySess; Set refuses
// them by storing nothing and failing the next Save with ErrInternalKey
// (Session.Err reports it at once), so Set itself returns nothing.
//
// # Expiry
//
// With max_age, a session expires max_age after its last access (after
// its creation when refresh_on_access is false); lifetime caps its age
// whatever the accesses. Both are checked on the server when a session
// loads (an expired session loads as a new one, and its record is
// deleted), and the backend is given a TTL so that sessions nobody comes
// back for are evicted. The cookie's Max-Age runs to the same instant, and
// a cookie older than max_age is refused. The middleware records accesses
// at most every touch_interval, to save store writes.
//
// # Typed configuration
//
// New builds a Maker from a Config, whose Backend is made by the backend
// package's constructor and whose zero fields are the defaults:
//
//	maker, err := session.New(session.Config{
//		Backend:       dogpile.New(r),
//		Options:       cookie.Options{Domain: "example.com", Secure: true},
//		SignatureKeys: [][]byte{key},
//	})
//
// Configure is the same with a Settings map (PySess's way, and what
// configuration files give): it reads the map into a Config and goes on
// as New, so both give equal Makers.
//
// # Settings
//
// Configure takes one Settings map. Keys are split in three parts; a key
// that no part knows is an error naming it. Values may be Go values or
// strings from config files; durations are time.Duration, a number of
// seconds (300, "300", "1.5") or a Go duration string ("5m"); booleans
// are bool or "true"/"false"/"yes"/"no"/"on"/"off"/"1"/"0"; keys are
// []byte or string (raw, or "hex:..." / "base64:..."), and a key ring is a
// [][]byte, []string or []any whose first key signs and all verify. The
// Config field of each setting is in parentheses.
//
// Maker-only settings (not per call):
//
//	key                 default     meaning
//	backend             (required)  registered backend: "dogpile", "file", "cookie", ... (Backend)
//	secret_file         "./secret"  secret read, or created with mode 0600, when no
//	                                signature_key is given; wider permissions are
//	                                refused (SecretFile)
//	secret_file_create  true        false: a missing secret_file is an error
//	                                (SecretFileMustExist, inverted)
//	ephemeral_key       false       sign with a key of this process; refused for
//	                                backends other processes reach (EphemeralKey)
//	enable_encryption   false       encrypt cookies even without encryption_key
//	                                (sub-key derived from the signing key)
//	                                (EnableEncryption)
//
// General settings (also per call with NewWith and LoadWith):
//
//	key                default       meaning
//	domain             ""            cookie Domain; empty = host-only cookie
//	path               "/"           cookie Path
//	name               "session"     cookie name
//	max_age            none (cookie  idle expiry (server and cookie); 0 = browser-session
//	                   backend: 24h) cookie, no idle expiry on the server (NoMaxAge)
//	refresh_on_access  true          max_age counts from the last access, else creation
//	                                 (MaxAgeFromCreation, inverted)
//	lifetime           0             absolute cap on a session's age; 0 = none
//	touch_interval     1m            middleware records an access at most this often
//	                                 (capped at max_age/2; 0 = every request:
//	                                 TouchEveryRequest)
//	secure             false         cookie Secure (set it in production)
//	httponly           true          cookie HttpOnly (ScriptReadable, inverted)
//	samesite           "lax"         cookie SameSite: lax, strict, none (needs secure), default
//	partitioned        false         cookie Partitioned (CHIPS; needs secure)
//	session_id_length  32            random bytes per id (32..128); ids are base64url (IDLength)
//	codec              "binary"      value codec: "binary", "gob" or a Codec
//	signature_key      secret file   HMAC-SHA256 key or ring, each >= 32 bytes (SignatureKeys)
//	encryption_key     none          AEAD key or ring, each >= 32 bytes; turns encryption on
//	                                 (EncryptionKeys)
//	cipher             "aes-256-gcm" AEAD: "aes-256-gcm" or "xchacha20-poly1305"
//
// Backend-specific settings (documented by each backend package):
//
//	backend  key         default     meaning
//	dogpile  region      (required)  configured *region.Region holding the sessions
//	dogpile  key_prefix  "session:"  prefix of the region keys
//	file     dir         (required)  directory of the session files (0700)
//	file     sync        true        fsync each save (crash durability, ~2 ms on ext4)
//	cookie   region      none        region of the per-user records (RevokeUser)
//	cookie   key_prefix  "session:"  prefix of those records' keys
//
// # Per-user sessions
//
// s.SetUser(id) binds a session to a user (at login, after Renew), and
// s.User() reads it back. maker.UserSessions(ctx, user) lists the user's
// live sessions (id, creation, last access), and maker.RevokeUser(ctx,
// user) ends them all, "log out everywhere": their cookies load as new
// sessions in every process. The backend keeps a small record per user
// (UserStore: the dogpile and file backends; the cookie backend with a
// store, through a per-user generation that its cookies carry), which
// holds only the user's live sessions and those that ended less than
// about max_age ago. See users.go for how it stays right under
// concurrent logins, saves and revocations.
//
// # Fleets
//
// Every process that serves the same sessions must sign (and encrypt)
// with the same keys; a process with another key refuses the others'
// cookies and gives their users new, empty sessions, without an error.
// So a key made by the process (ephemeral_key) is refused for a backend
// that other processes reach (Sharer: a region on memcached, redis or
// files, the file backend), and creating a missing secret file logs a
// warning that says what it means for a fleet; secret_file_create=false
// forbids the creation where the file is provisioned. Package config
// resolves a relative secret_file against the configuration file.
//
// # Concurrency
//
// A Maker is safe for concurrent use; a Session too, though it belongs to
// one request. Two requests that load the same session and both change it
// race, in one process or in several sharing the backend's store: the
// first Save stores its changes; the second finds the session changed,
// reloads it and merges, key by key, so that both requests' changes to
// different keys stand. Only a change of the same key by both (or a
// session the first deleted or renewed) is a conflict: the second Save
// returns a *ConflictError wrapping ErrConflict and stores nothing
// (reload, apply the change again, save), and the middleware answers it
// with the conflict handler (409 by default, WithConflictHandler). A save
// that only records an access never fails that way. Every Backend makes
// its writes conditional on the record loaded, so that this holds across
// processes as far as its store allows (see each backend's package).
//
// The cookie backend cannot detect concurrent writers (the browser keeps
// the last cookie), nor revoke old cookies after Renew or Invalidate:
// that is why its max_age defaults to DefaultCookieCarrierMaxAge (24
// hours) instead of 0. To revoke cookie sessions, rotate the signing key
// (all of them at once) or keep a server-side record per user (see
// package backends/cookie).
//
// # Errors and settings
//
// Configure reports every problem of a settings map at once, joined with
// errors.Join (one per line), each wrapping ErrInvalidSetting.
//
// # Caching and cross-site requests
//
// The middleware adds "Vary: Cookie" to every response, and, unless the
// handler set Cache-Control itself, "Cache-Control: no-store" to a
// response that sets a cookie and "Cache-Control: private" to one whose
// handler used the session, so shared caches never keep one user's page.
// It does not check where requests come from: put Go's
// http.CrossOriginProtection in front of it (see Maker.Middleware).
//
// # Health
//
// Maker.Ping checks that the backend answers (the dogpile backend pings
// its region's cache server), for a start-up check or a /healthz
// endpoint.
//
// # Writing a backend
//
// A backend implements Backend (Load, Save, Delete, Exists on Records,
// every write conditional on the record it is based on) and registers a
// BackendFactory with RegisterBackend from its package's init, so that
// the "backend" setting names it; a constructor of its own serves New's
// Config. The factory reads its settings through BackendConfig.Args
// (Args: typed accessors, errors that name the setting). The Maker finds
// optional capabilities by type assertion: Attacher (told about the Maker
// before use), Sharer (whether other processes reach the sessions),
// Pinger, Cleaner, Lister, UserStore (per-user records) and CookieCarrier
// (sessions kept in the cookie itself).
//
// For the implementation: Record's MarshalBinary and UnmarshalBinary give
// a byte format (PeekExpiry and RecordHeaderSize read the expiry from its
// header alone), CheckBase applies the write condition for backends that
// compare versions, ExistsFromLoad turns a Load into Exists, and ValidID
// says what ids look like (the Maker only gives valid ones). Backends
// return ErrNotFound, ErrConflict, ErrBadRecord and ErrLock as their
// documentation says. sessiontest.Backend (package session/sessiontest)
// checks a backend against the contract from the backend's tests.
package session
