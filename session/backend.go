package session

import (
	"context"
	"fmt"
	"iter"
	"log/slog"
	"time"
)

// This file is the Backend contract: the interface every backend
// implements and the optional capabilities the Maker looks for. What an
// implementation uses is in backend_record.go (the stored record, its
// format, conditional writes, session ids), and registering a backend by
// name and reading its settings in backend_registry.go.

// Backend is where sessions are stored: a small byte-oriented contract
// that the Maker drives. The Maker does the encoding of values, expiry
// checks, cookies, id generation and the merge of concurrent changes; a
// backend stores records by id and makes every write conditional on what
// the writer read, so that no concurrent write is lost silently.
//
// The condition is carried by the Record itself: Load returns the stored
// record with what the backend needs to recognise it later (its Version,
// and an opaque Token of the backend's own), and Save and Delete are given
// that record back as base, "the record this write is based on". A write
// whose base is no longer the stored record stores nothing and returns
// ErrConflict; the Maker then reloads, merges and retries (see
// Session.Save).
//
// Every method must be safe for concurrent use, and the conditions must
// hold for every writer of the store: several processes sharing it too,
// where the store allows that (a backend says in its documentation how
// far its guarantee reaches). Ids given to a backend are non-empty and
// satisfy ValidID.
type Backend interface {
	// Load returns the record stored under id, with Token set to
	// whatever the backend needs to recognise this version of the record
	// in a later Save or Delete (a compare-and-set token; nil when the
	// Version is enough). An id that has no record (never saved, deleted,
	// evicted, past its TTL or its Expires) returns ErrNotFound, matched
	// with errors.Is; so does a stored record that cannot be decoded (a
	// truncated file), with an error that also wraps ErrBadRecord (the
	// Maker then starts a new session and logs why). Any other error
	// means the store failed. The returned record, Data included, belongs
	// to the caller.
	Load(ctx context.Context, id string) (Record, error)

	// Save stores rec under id, provided the record stored now is still
	// base: with base == nil, provided no record is stored under id (a
	// new id: this add-if-absent catches id collisions); otherwise,
	// provided the stored record is the one base describes. base is a
	// record that Load returned for id (compare its Token, or its Version
	// when the backend uses no tokens), or one that a successful Save
	// stored (Token nil: compare its Version, which every Save increases;
	// this costs a read on backends that compare tokens). When the stored
	// record is another one, or none is stored while base != nil (it was
	// deleted, renewed, invalidated or evicted meanwhile: a save after a
	// delete must not bring the record back), Save stores nothing and
	// returns an error wrapping ErrConflict. The check and the write are
	// one atomic step with respect to every other Save and Delete of id.
	// ttl > 0 asks the store to evict the record after ttl (rec.Expires
	// is the same instant on the Maker's clock); ttl == 0 means no expiry.
	// rec.Token is ignored; rec.Data must not be kept after Save returns.
	Save(ctx context.Context, id string, rec Record, base *Record, ttl time.Duration) error

	// Delete removes the record stored under id. With base == nil it
	// removes whatever is stored, and deleting an absent id is not an
	// error. With base != nil it removes the record only if it is still
	// base (compared as in Save), and returns an error wrapping
	// ErrConflict, removing nothing, when another record is stored or none
	// is. Either way a Save based on the removed record afterwards is a
	// conflict.
	Delete(ctx context.Context, id string, base *Record) error

	// Exists reports whether a record is stored under id.
	Exists(ctx context.Context, id string) (bool, error)
}

// Cleaner is an optional Backend capability for stores that do not evict
// expired records on their own (the file backend). Cleanup removes every
// record whose Expires has passed and reports how many it removed.
type Cleaner interface {
	Cleanup(ctx context.Context) (removed int, err error)
}

// Lister is an optional Backend capability: iteration over the ids of all
// stored sessions, for administration tools. The sequence yields an error
// (with an empty id) when the store fails, and stops when ctx is done.
type Lister interface {
	IDs(ctx context.Context) iter.Seq2[string, error]
}

// CookieCarrier is an optional Backend capability for backends that keep
// the whole session in the cookie (the cookie backend). The Maker then
// puts Seal's output into the cookie instead of the id, reads sessions
// back with Open, and never calls Load, Save or Delete. Such sessions
// cannot be revoked on the server: a cookie from before Refresh or
// Invalidate stays valid until it expires, and concurrent writers are not
// detected (the last cookie the browser keeps wins).
type CookieCarrier interface {
	// Seal returns the cookie payload holding id and rec.Data.
	Seal(id string, rec Record) ([]byte, error)
	// Open reverses Seal. It is only given payloads whose signature (and
	// decryption, when enabled) was verified.
	Open(payload []byte) (id string, rec Record, err error)
}

// Pinger is an optional Backend capability: a cheap check that the store
// answers (the dogpile backend pings its region's driver, the file
// backend checks that it can create a file in its directory). Backends
// without it keep nothing to reach (the cookie backend) and are taken to
// be up.
type Pinger interface {
	// Ping returns nil when the store answered within ctx, or the
	// store's error.
	Ping(ctx context.Context) error
}

// BackendEnv is what a backend learns about the Maker it serves: in
// BackendConfig for the factories of Configure, and in Attach.
type BackendEnv struct {
	// Config is the Maker's effective configuration (read only; its
	// Backend is unset for factories).
	Config Config
	// Encrypted reports whether cookies are encrypted (EncryptionKeys or
	// EnableEncryption).
	Encrypted bool
	// Logger is the Maker's logger.
	Logger *slog.Logger
	// Now is the Maker's clock.
	Now func() time.Time
}

// Attacher is an optional Backend capability for backends that depend on
// the Maker they serve.
type Attacher interface {
	// Attach is called once by New or Configure, before the Maker uses
	// the backend. It returns the backend the Maker is to use: the
	// receiver, or a copy of it bound to env (a backend given no clock of
	// its own takes the Maker's); the receiver itself is not modified, so
	// one backend value may serve several Makers. It may log warnings
	// about env with env.Logger (the dogpile backend warns when its
	// driver keeps items for less than MaxAge). An error refuses the
	// configuration; it should wrap ErrInvalidSetting.
	Attach(env BackendEnv) (Backend, error)
}

// Sharer is an optional Backend capability: whether processes other than
// this one can reach the stored sessions (a cache server, a directory).
// Backends without it are taken to be shared, the cautious answer. The
// Maker refuses an EphemeralKey for a shared backend.
type Sharer interface {
	// Shared reports whether other processes can reach the sessions.
	Shared() bool
}

// backendName names b in messages: its Name method if it has one (the
// backends of this module do), else its type.
func backendName(b Backend) string {
	if n, ok := b.(interface{ Name() string }); ok {
		return n.Name()
	}
	return fmt.Sprintf("%T", b)
}

func shared(b Backend) bool {
	s, ok := b.(Sharer)
	return !ok || s.Shared()
}

// UserStore is an optional Backend capability: one small record per user
// that the Maker keeps (the index of the user's sessions and a
// revocation generation, in a format of its own), for SetUser,
// UserSessions and RevokeUser. The dogpile and file backends have it;
// the cookie backend has it when it is given a store (see package
// backends/cookie). A backend that has the methods but no store for them
// returns errors wrapping ErrUnsupported that say why.
type UserStore interface {
	// LoadUser returns the record stored for user, or an error wrapping
	// ErrNotFound when there is none. The bytes belong to the caller.
	LoadUser(ctx context.Context, user string) ([]byte, error)

	// UpdateUser replaces the record of user with what fn returns, given
	// the record stored now (nil and false when there is none), as one
	// atomic step with respect to every other UpdateUser of user: in
	// every process that shares the store, as far as the backend's saves
	// are (compare-and-set in a region; the file backend's lock). When
	// another writer changed the record between the read and the write,
	// UpdateUser reads it again and calls fn again, so fn must have no
	// other effects. An error from fn ends UpdateUser with that error,
	// storing nothing. ttl > 0 asks the store to evict the record ttl
	// after the write; 0 means never.
	UpdateUser(ctx context.Context, user string, fn func(cur []byte, found bool) (next []byte, ttl time.Duration, err error)) error
}
