package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

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

// Record is one stored session as a backend sees it.
type Record struct {
	// Version increases with every Save of the record: a new record has
	// version 1, and each save stores its base's version plus one. Stored
	// with the record, it is what backends without tokens (files) compare
	// a write's base with.
	Version uint64
	// Expires is when the session expires on the server (the Maker's
	// clock); the zero time means never. Backends without TTLs (files)
	// keep it to skip and clean up expired records.
	Expires time.Time
	// Data is the session's values encoded by the session Codec.
	Data []byte
	// Token is set by Load: the backend's own name for the stored version
	// it read (the dogpile backend's region.Version, for one
	// compare-and-set round trip), opaque to everyone else and never
	// stored. nil when the backend compares versions, and in records the
	// Maker built itself.
	Token any
}

const (
	recordMagic  = "gsr1"
	recordHeader = len(recordMagic) + 8 + 8
)

// ErrBadRecord is returned by Record.UnmarshalBinary for bytes that are not
// a record in this package's format.
var ErrBadRecord = errors.New("session: malformed stored record")

// MarshalBinary encodes r for backends that store bytes:
// magic "gsr1" | version (8 bytes) | expiry in Unix nanoseconds (8 bytes,
// 0 = never) | data.
func (r Record) MarshalBinary() ([]byte, error) {
	return r.AppendBinary(make([]byte, 0, recordHeader+len(r.Data)))
}

// AppendBinary appends the encoding of MarshalBinary to b.
func (r Record) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, recordMagic...)
	b = binary.BigEndian.AppendUint64(b, r.Version)
	var exp int64
	if !r.Expires.IsZero() {
		exp = r.Expires.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(exp))
	return append(b, r.Data...), nil
}

// UnmarshalBinary decodes the format of MarshalBinary. r.Data aliases b.
func (r *Record) UnmarshalBinary(b []byte) error {
	if len(b) < recordHeader || string(b[:len(recordMagic)]) != recordMagic {
		return fmt.Errorf("%w (%d bytes)", ErrBadRecord, len(b))
	}
	b = b[len(recordMagic):]
	r.Version = binary.BigEndian.Uint64(b)
	r.Expires = time.Time{}
	if exp := int64(binary.BigEndian.Uint64(b[8:])); exp != 0 {
		r.Expires = time.Unix(0, exp)
	}
	r.Data = b[16:]
	return nil
}

// ExpiredAt reports whether the record has an expiry time that is not
// after now.
func (r Record) ExpiredAt(now time.Time) bool {
	return !r.Expires.IsZero() && !r.Expires.After(now)
}

// PeekExpiry returns the expiry time of an encoded record from its header
// alone (the zero time for never), so that a cleanup can judge a record
// without reading all of it.
func PeekExpiry(header []byte) (time.Time, error) {
	var r Record
	if err := r.UnmarshalBinary(header[:min(len(header), recordHeader)]); err != nil {
		return time.Time{}, err
	}
	return r.Expires, nil
}

// RecordHeaderSize is how many leading bytes of an encoded record
// PeekExpiry needs.
const RecordHeaderSize = recordHeader

// MaxIDLength is the longest session id ValidID accepts: 171 characters,
// the unpadded base64url form of 128 random bytes, the largest
// session_id_length. Every backend stores such ids: the file backend's
// file name (id + ".session", 179 bytes) fits the 255-byte NAME_MAX of
// Linux file systems, and a dogpile key ("session:" + id) the 250 bytes
// of a memcached key.
const MaxIDLength = 171

// ValidID reports whether id has the form of a session id: 1 to
// MaxIDLength characters of the unpadded base64url alphabet (A-Z a-z 0-9
// - _). Ids the Maker makes always do; backends that build paths or keys
// from ids rely on it.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// BackendFactory builds a backend for a Maker. It reads its own settings
// through cfg.Args (every key it knows, so that the Maker can report the
// ones nobody knows) and returns an error wrapping ErrInvalidSetting for
// bad ones, typically by returning cfg.Args.Err().
type BackendFactory func(cfg BackendConfig) (Backend, error)

// BackendConfig is what a BackendFactory is given: the backend's name and
// settings, and what the backend may want to know about the Maker (the
// same is given to Attach, where a backend that also has a constructor
// for New better looks at it).
type BackendConfig struct {
	// Name is the name the backend was registered under.
	Name string
	// Args gives typed access to the settings; a backend reads its own
	// keys (documented in its package) and nothing else.
	Args *Args
	BackendEnv
}

var backends = struct {
	sync.RWMutex
	m map[string]BackendFactory
}{m: map[string]BackendFactory{}}

// RegisterBackend makes a backend available to Configure under name
// (the "backend" setting). Backend packages call it from init, so that
// importing them (with _ if need be) is enough, as with database/sql
// drivers. It panics on an empty name, a nil factory or a name already
// taken: those are programming errors found at start-up.
func RegisterBackend(name string, f BackendFactory) {
	backends.Lock()
	defer backends.Unlock()
	if name == "" || f == nil {
		panic("session: RegisterBackend with empty name or nil factory")
	}
	if _, dup := backends.m[name]; dup {
		panic("session: RegisterBackend called twice for backend " + name)
	}
	backends.m[name] = f
}

// Backends returns the names of the registered backends, sorted.
func Backends() []string {
	backends.RLock()
	defer backends.RUnlock()
	return slices.Sorted(maps.Keys(backends.m))
}

func lookupBackend(name string) (BackendFactory, error) {
	backends.RLock()
	f, ok := backends.m[name]
	backends.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %w %q (registered: %s; import the backend's package, e.g. _ \"github.com/gosess/gosess/backends/%s\")",
			ErrInvalidSetting, ErrUnknownBackend, name, strings.Join(Backends(), ", "), name)
	}
	return f, nil
}

// CheckBase applies the condition of Save and Delete for backends that
// compare versions: given what Load returned for the id (read in the same
// atomic step as the write, e.g. under the id's lock), it returns nil when
// a write based on base may replace (or remove) the stored record,
// ErrConflict (wrapped, with the versions) when it may not, and loadErr
// itself when the store failed. base == nil means "nothing may be stored".
func CheckBase(cur Record, loadErr error, base *Record) error {
	switch {
	case errors.Is(loadErr, ErrNotFound):
		if base != nil {
			return fmt.Errorf("%w (based on version %d, none stored)", ErrConflict, base.Version)
		}
		return nil
	case loadErr != nil:
		return loadErr
	case base == nil:
		return fmt.Errorf("%w (the id is taken)", ErrConflict)
	case cur.Version != base.Version:
		return fmt.Errorf("%w (based on version %d, stored %d)", ErrConflict, base.Version, cur.Version)
	}
	return nil
}

// Found turns the error of a Load into the result of Exists: ErrNotFound
// is (false, nil), nil is (true, nil), anything else is a store failure.
func Found(loadErr error) (bool, error) {
	if errors.Is(loadErr, ErrNotFound) {
		return false, nil
	}
	return loadErr == nil, loadErr
}
