// Package cookie is the session backend that keeps the whole session in
// the cookie itself, as PySess's CookieSession: nothing is stored on the
// server, so it needs no cache or disk and scales freely, at the price of
// the limits below.
//
// Importing the package registers the backend as "cookie":
//
//	import _ "github.com/gosess/gosess/backends/cookie"
//
//	err := maker.Configure(session.Settings{"backend": "cookie", "encryption_key": encKey, ...})
//
// Settings of this backend (both optional):
//
//	region      *region.Region: where per-user records are kept, for
//	            Maker.RevokeUser (see below); none by default
//	key_prefix  string, default "session:": prefix of those records' keys
//
// The cookie is always signed
// (HMAC-SHA256, so the client cannot change it) and encrypted with an AEAD
// when the Maker has an encryption_key or enable_encryption; without
// encryption the client can read every value, and the backend says so
// loudly in the log (slog.Warn) when the Maker is configured.
//
// Limits, inherent to keeping sessions on the client:
//   - A cookie holds at most 4096 bytes: Save fails (cookie.ErrTooLarge)
//     when the encoded session does not fit.
//   - Sessions cannot be revoked one by one: after Renew or Invalidate
//     (logout), a copy of the old cookie stays valid until it expires.
//     The server still enforces max_age and lifetime from the times inside
//     the cookie, which is why this backend's max_age defaults to
//     session.DefaultCookieCarrierMaxAge (24 hours) instead of 0 (never):
//     a stolen cookie stops working a day after its last use at most. Give
//     max_age (and lifetime, an absolute cap) explicitly to choose.
//   - Concurrent writers are not detected: the cookie the browser keeps
//     last wins.
//
// How to revoke anyway:
//   - everyone at once: rotate the keys. Configure a new signature_key
//     (and encryption_key) without the old one; every cookie signed with
//     the old keys loads as a new session.
//   - one user ("log out everywhere"): give the backend a store for
//     per-user records, WithUserStore(dogpile.New(r)) or the "region"
//     setting. Sessions bound to a user (Session.SetUser) then carry the
//     user's generation, Maker.RevokeUser moves the user to a new one,
//     and a cookie of an older generation loads as a new session. The
//     price: each load of a bound session reads the user's record (one
//     round trip to the region's store), and the records are a
//     server-side store after all. Maker.UserSessions cannot list cookie
//     sessions, which the server never stores. Without a store RevokeUser
//     fails with an error wrapping session.ErrUnsupported that says so.
//   - limit the damage: a short max_age and a lifetime.
package cookie

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// Name is the name the backend registers under.
const Name = "cookie"

// payloadVersion is the first byte of every payload this backend seals.
const payloadVersion = 1

// ErrBadPayload is returned by Open for a payload this backend did not
// seal (it is only reached with authenticated payloads, so in practice
// only after a format change).
var ErrBadPayload = errors.New("cookie session backend: malformed payload")

func init() { session.RegisterBackend(Name, factory) }

func factory(cfg session.BackendConfig) (session.Backend, error) {
	var opts []Option
	if v, ok := cfg.Args.Any("region"); ok && v != nil {
		r, isRegion := v.(*region.Region)
		if !isRegion || r == nil {
			cfg.Args.Fail("region", "cannot use %T as *region.Region", v)
		} else {
			opts = append(opts, WithUserStore(dogpile.New(r, dogpile.WithKeyPrefix(cfg.Args.String("key_prefix", dogpile.DefaultKeyPrefix)))))
		}
	} else if cfg.Args.Has("key_prefix") {
		cfg.Args.Fail("key_prefix", "applies to the per-user records kept in a region: give the region too")
	}
	return New(opts...), cfg.Args.Err()
}

// Backend keeps sessions in the cookie. It implements session.Backend and
// session.CookieCarrier; the Maker only uses the latter (Seal and Open),
// the Backend methods report that nothing is stored on the server. It
// also implements session.Attacher, session.Sharer and session.UserStore
// (with a store: see WithUserStore).
type Backend struct {
	users session.UserStore
}

// Option configures the backend at New.
type Option func(*Backend)

// WithUserStore keeps the per-user records of Maker.RevokeUser in s: a
// dogpile.New(r) for a region (the "region" setting), whose records
// every process of a fleet must share. Default none: RevokeUser fails.
func WithUserStore(s session.UserStore) Option {
	return func(b *Backend) { b.users = s }
}

// New returns the backend, for session.Config's Backend:
//
//	maker, err := session.New(session.Config{Backend: cookie.New(), EncryptionKeys: [][]byte{encKey}, ...})
func New(opts ...Option) Backend {
	var b Backend
	for _, o := range opts {
		o(&b)
	}
	return b
}

// Name returns "cookie", the name the backend registers under.
func (Backend) Name() string { return Name }

// Attach implements session.Attacher: it says loudly in the log when
// cookies are not encrypted, and attaches the user store (a dogpile
// backend checks its region).
func (b Backend) Attach(env session.BackendEnv) (session.Backend, error) {
	if !env.Encrypted && env.Logger != nil {
		env.Logger.Warn("session: THE COOKIE BACKEND STORES SESSIONS UNENCRYPTED: every client can read all of its " +
			"session's values (they are signed, so it cannot change them). Set encryption_key, or enable_encryption=true.")
	}
	if a, ok := b.users.(session.Attacher); ok {
		bound, err := a.Attach(env)
		if err != nil {
			return nil, fmt.Errorf("user store: %w", err)
		}
		us, ok := bound.(session.UserStore)
		if !ok {
			return nil, fmt.Errorf("user store: %T attached as %T, which is no session.UserStore", b.users, bound)
		}
		b.users = us
	}
	return b, nil
}

// errNoUserStore says why a cookie backend without a store cannot revoke.
var errNoUserStore = fmt.Errorf("%w: the cookie backend keeps sessions in the cookies, so ending a user's sessions needs a per-user generation stored on the server: "+
	"give it a store (cookie.WithUserStore(dogpile.New(r)), or the setting region)", session.ErrUnsupported)

// LoadUser implements session.UserStore with the store given to New.
func (b Backend) LoadUser(ctx context.Context, user string) ([]byte, error) {
	if b.users == nil {
		return nil, errNoUserStore
	}
	return b.users.LoadUser(ctx, user)
}

// UpdateUser implements session.UserStore with the store given to New.
func (b Backend) UpdateUser(ctx context.Context, user string, fn func([]byte, bool) ([]byte, time.Duration, error)) error {
	if b.users == nil {
		return errNoUserStore
	}
	return b.users.UpdateUser(ctx, user, fn)
}

// Shared implements session.Sharer: false, nothing is stored on the
// server. (Processes that sign with different keys still refuse each
// other's cookies: give them one key.)
func (Backend) Shared() bool { return false }

// Seal implements session.CookieCarrier: version | uvarint id length | id
// | session data.
func (Backend) Seal(id string, rec session.Record) ([]byte, error) {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(id)+len(rec.Data))
	b = append(b, payloadVersion)
	b = binary.AppendUvarint(b, uint64(len(id)))
	b = append(b, id...)
	return append(b, rec.Data...), nil
}

// Open implements session.CookieCarrier.
func (Backend) Open(payload []byte) (string, session.Record, error) {
	if len(payload) < 2 || payload[0] != payloadVersion {
		return "", session.Record{}, ErrBadPayload
	}
	n, k := binary.Uvarint(payload[1:])
	if k <= 0 || n > uint64(len(payload)-1-k) {
		return "", session.Record{}, ErrBadPayload
	}
	rest := payload[1+k:]
	id := string(rest[:n])
	if !session.ValidID(id) {
		return "", session.Record{}, fmt.Errorf("%w: invalid session id", ErrBadPayload)
	}
	return id, session.Record{Data: rest[n:]}, nil
}

// Load implements session.Backend: nothing is stored on the server, so
// every id is ErrNotFound.
func (Backend) Load(context.Context, string) (session.Record, error) {
	return session.Record{}, session.ErrNotFound
}

// Save implements session.Backend: a no-op, the record travels in the
// cookie.
func (Backend) Save(context.Context, string, session.Record, *session.Record, time.Duration) error {
	return nil
}

// Delete implements session.Backend: a no-op (cookies cannot be revoked).
func (Backend) Delete(context.Context, string, *session.Record) error { return nil }

// Exists implements session.Backend: always false.
func (Backend) Exists(context.Context, string) (bool, error) { return false, nil }
