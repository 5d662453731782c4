// Package dogpile is the session backend that keeps sessions in a
// caller-supplied cache region (github.com/gosess/gosess/region), as
// PySess's DogpileSession did with a dogpile.cache region: one configured
// region serves both the application's cached data and its sessions, and
// switching the region's driver (memory, memcached, redis, file) moves the
// sessions with it, without code changes.
//
// Importing the package registers the backend as "dogpile":
//
//	import _ "github.com/gosess/gosess/backends/dogpile"
//
//	err := maker.Configure(session.Settings{"backend": "dogpile", "region": r, ...})
//
// Settings of this backend:
//
//	region      *region.Region, required, configured before the Maker
//	key_prefix  string, default "session:"; sessions are stored under
//	            key_prefix + id, so they never collide with app keys that
//	            do not start with it
//
// Records are stored as []byte (the region's fast path, no codec), written
// with region.WithExpiration set to the session's remaining lifetime, so
// the driver evicts them (after that time plus the region's stale window)
// even if they are never read again. Reads use region.IgnoreExpiration:
// the region's own expiration and soft invalidation do not end sessions
// (the session layer judges expiry), but a hard invalidation of the region
// does, as it removes everything.
//
// The memory driver keeps every item for at most its life window (by
// default the region's expiration plus stale window), whatever TTL it is
// given: Configure logs a warning when sessions would live longer than
// that, and the fix is a life_window argument at least as long as max_age.
//
// The in-process drivers (memory, objects) are bounded by default and evict
// live items when full. The backend cannot tell a session evicted for
// space from an expired one: either way its next request loads as a new
// session. The region counts and logs such evictions (region
// Stats.Evictions, the gosess_region_evictions_total metric, a warning at
// most once a minute); on a region that holds sessions that count should
// stay at zero, and when it does not, raise the driver's bound (see
// docs/drivers.md, "Sizing the in-process drivers").
//
// # Concurrent requests, across processes
//
// Two requests of one client may load and save one session at the same
// time, in one process or in several sharing the store. No lock is taken
// for that: Load reads the record with region.GetForUpdate and keeps the
// region.Version it read (in the record's Token); Save is one
// region.CompareAndSet of that version (an add-if-absent for a new
// session), so the store itself refuses a save whose session changed
// since it was loaded; Delete replaces the record by an expired tombstone
// with a compare-and-set too, so that a save after a delete is refused
// and never brings the session back. The session layer then merges the
// two requests' changes key by key, or reports a conflict (see
// session.Session.Save).
//
// What that guarantees across processes is what the region's
// compare-and-set guarantees with its driver, with the drivers' default
// arguments (no distributed_lock needed):
//
//	driver     compare-and-set done by                  across processes   round trips
//	memcached  the server: gets, then cas (add if new)  yes                load 1, save 1
//	redis      the server: GET, then one Lua script     yes                load 1, save 1
//	           comparing the value's SHA-1
//	file       the driver: a per-key flock              yes, on the host   (no network)
//	memory     the driver, in the process               (one process)      (no network)
//	objects    the driver, in the process               (one process)      (no network)
//	gocache    the region's in-process key lock         NO                 load 1, save 2
//
// A driver without compare-and-set and without a distributed lock
// (region.Atomicity is region.AtomicInProcess: the gocache bridge, or any
// driver hidden behind a proxy that does not unwrap) still detects
// concurrent saves within one process, but two processes sharing its
// store can overwrite each other's changes: Configure logs a warning
// then. (A driver with a distributed lock but no compare-and-set gets it
// under that lock: lock, read, write, unlock.)
//
// A second save by a Session that saved once (no Load in between) costs
// one read more, to find the version of the record it wrote. Invalidate's
// delete costs two round trips (a read and the compare-and-set), Renew's
// one (it is based on the record it loaded).
//
// # Per-user records
//
// The backend is a session.UserStore: the session layer's record of each
// user (the index of the user's sessions and a revocation generation,
// for Session.SetUser, Maker.UserSessions and Maker.RevokeUser) is kept
// in the same region, under key_prefix + "user:" + the SHA-256 of the
// user id, and changed only with the region's compare-and-set
// (GetForUpdate, then CompareAndSet, again after a conflict): across
// processes on memcached and redis with the drivers' default arguments,
// and on the file driver's host. The record's TTL follows the sessions it
// indexes, so the store evicts the record of a user who stops coming.
package dogpile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// Name is the name the backend registers under.
const Name = "dogpile"

// DefaultKeyPrefix is the default of the key_prefix setting.
const DefaultKeyPrefix = "session:"

func init() { session.RegisterBackend(Name, factory) }

func factory(cfg session.BackendConfig) (session.Backend, error) {
	var r *region.Region
	switch v, ok := cfg.Args.Any("region"); {
	case !ok || v == nil:
		cfg.Args.Fail("region", "required: a configured *region.Region")
	default:
		var isRegion bool
		if r, isRegion = v.(*region.Region); !isRegion || r == nil {
			cfg.Args.Fail("region", "cannot use %T as *region.Region", v)
		}
	}
	prefix := cfg.Args.String("key_prefix", DefaultKeyPrefix)
	if err := cfg.Args.Err(); err != nil {
		return nil, err
	}
	return New(r, WithKeyPrefix(prefix)), nil
}

// Backend stores sessions in a region. It implements session.Backend,
// session.Attacher and session.Sharer.
type Backend struct {
	r        *region.Region
	prefix   string
	now      func() time.Time
	ownClock bool // now was given with WithClock
}

// Option configures a Backend at New.
type Option func(*Backend)

// WithKeyPrefix sets the prefix of the region keys the sessions are
// stored under (the "key_prefix" setting). Default DefaultKeyPrefix
// ("session:"); an empty prefix means the default.
func WithKeyPrefix(prefix string) Option {
	return func(b *Backend) {
		if prefix != "" {
			b.prefix = prefix
		}
	}
}

// WithClock sets the clock that record expiry is judged by. Default: the
// clock of the Maker the backend is given to (time.Now unless
// session.WithClock), or time.Now for a backend used without a Maker.
func WithClock(now func() time.Time) Option {
	return func(b *Backend) {
		if now != nil {
			b.now, b.ownClock = now, true
		}
	}
}

// New returns a backend storing sessions in r, for session.Config's
// Backend:
//
//	maker, err := session.New(session.Config{Backend: dogpile.New(r), ...})
//
// r must be configured when the Maker is (Attach checks it, so New itself
// cannot fail and fits in a Config literal).
func New(r *region.Region, opts ...Option) *Backend {
	b := &Backend{r: r, prefix: DefaultKeyPrefix, now: time.Now}
	for _, o := range opts {
		o(b)
	}
	return b
}

// Name returns "dogpile", the name the backend registers under.
func (b *Backend) Name() string { return Name }

// Attach implements session.Attacher: it checks that the region is
// configured, warns when the region's driver keeps items for less time
// than the sessions live or detects concurrent saves only within this
// process, and returns a copy of b on the Maker's clock
// when b was given none.
func (b *Backend) Attach(env session.BackendEnv) (session.Backend, error) {
	if err := b.check(); err != nil {
		return nil, err
	}
	warnShortStore(env, b.r)
	warnInProcess(env, b.r)
	bound := *b
	if !bound.ownClock && env.Now != nil {
		bound.now = env.Now
	}
	return &bound, nil
}

// check reports a missing or unconfigured region.
func (b *Backend) check() error {
	if b.r == nil || !b.r.IsConfigured() {
		name := "<nil>"
		if b.r != nil {
			name = b.r.Name()
		}
		return fmt.Errorf("%w: backend %q setting %q: region %q is not configured (configure it before the Maker)",
			session.ErrInvalidSetting, Name, "region", name)
	}
	return nil
}

// Shared implements session.Sharer: the sessions are shared when the
// region's driver keeps its items where other processes reach them
// (region.Reach: memcached, redis, files), not when they live in this
// process's memory.
func (b *Backend) Shared() bool { return b.r.Reach() != region.ReachProcess }

// warnInProcess warns when the region's driver has neither compare-and-set
// nor a distributed lock: saves are then compare-and-set under an
// in-process lock, so concurrent writers of one session in two processes
// sharing the store are not detected.
func warnInProcess(env session.BackendEnv, r *region.Region) {
	if r.Atomicity() != region.AtomicInProcess || env.Logger == nil {
		return
	}
	env.Logger.Warn("session: the region's driver has neither compare-and-set nor a distributed lock, so concurrent saves of one session are detected only within this process; processes sharing the store can overwrite each other's changes",
		"region", r.Name(), "driver", r.DriverName(), "atomicity", r.Atomicity().String())
}

// warnShortStore warns when sessions are configured to live longer than
// the region's driver keeps items (the memory driver's life window): they
// would end early, after that time idle. Sessions without a max_age or
// lifetime have no server-side end, and the store's eviction is theirs.
func warnShortStore(env session.BackendEnv, r *region.Region) {
	limit := r.MaxTTL()
	live := max(env.Config.MaxAge, 0)
	if live == 0 || (env.Config.Lifetime > 0 && env.Config.Lifetime < live) {
		live = env.Config.Lifetime
	}
	if limit == 0 || live <= limit || env.Logger == nil {
		return
	}
	env.Logger.Warn("session: the region's driver keeps items at most "+limit.String()+
		", so sessions idle that long are lost before they expire; raise the driver's limit (memory: arguments.life_window) to at least "+live.String(),
		"region", r.Name(), "max_age", env.Config.MaxAge, "lifetime", env.Config.Lifetime)
}

// Region returns the region the sessions are stored in.
func (b *Backend) Region() *region.Region { return b.r }

// KeyPrefix returns the prefix of the region keys of the sessions.
func (b *Backend) KeyPrefix() string { return b.prefix }

// Key returns the region key of session id.
func (b *Backend) Key(id string) string { return b.prefix + id }

// Load implements session.Backend with one read of the region
// (region.GetForUpdate, with region.IgnoreExpiration): the record, and in
// rec.Token the region.Version it was read at, for the compare-and-set of
// the next Save or Delete.
func (b *Backend) Load(ctx context.Context, id string) (session.Record, error) {
	var rec session.Record
	raw, ver, err := region.GetForUpdate[[]byte](ctx, b.r, b.Key(id), region.IgnoreExpiration())
	switch {
	case errors.Is(err, region.ErrNotFound):
		return rec, session.ErrNotFound
	case err != nil:
		return rec, err
	}
	if err := rec.UnmarshalBinary(raw); err != nil {
		// Bytes under our key that are not a record: nothing to load.
		return rec, fmt.Errorf("%w: %w", session.ErrNotFound, err)
	}
	if rec.ExpiredAt(b.now()) {
		return rec, session.ErrNotFound
	}
	rec.Token = ver
	return rec, nil
}

// Save implements session.Backend with one region.CompareAndSet: of the
// region.Version that Load read (base.Token), or the zero Version (add if
// absent) for a new id. A base without a token (a record that this
// backend's Save wrote, saved again by the same Session) costs one read
// more, to find the version that holds base's record.
func (b *Backend) Save(ctx context.Context, id string, rec session.Record, base *session.Record, ttl time.Duration) error {
	raw, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	ver, err := b.versionOf(ctx, id, base)
	if err != nil {
		return err
	}
	return b.write(ctx, id, ver, raw, ttl)
}

// Delete implements session.Backend. The record is not deleted but
// replaced, with compare-and-set, by a tombstone: an expired record that
// Load reports as absent and that the driver evicts after a second. So a
// delete is atomic with concurrent saves on every driver, those whose
// compare-and-set is done under the key's lock included. With base it
// costs one round trip on memcached and redis; without, two (a read, then
// the compare-and-set; repeated while concurrent saves win).
func (b *Backend) Delete(ctx context.Context, id string, base *session.Record) error {
	if base != nil {
		ver, err := b.versionOf(ctx, id, base)
		if err != nil {
			return err
		}
		return b.write(ctx, id, ver, tombstone, tombstoneTTL)
	}
	_, err := region.Update(ctx, b.r, b.Key(id), func([]byte, bool) ([]byte, error) { return tombstone, nil },
		region.IgnoreExpiration(), region.WithExpiration(tombstoneTTL))
	return err
}

// tombstone is what Delete leaves: a record that expired long ago, so
// Load and Exists report the id as absent; its version (0) is no saved
// record's.
var tombstone = func() []byte {
	b, _ := session.Record{Expires: time.Unix(0, 1)}.MarshalBinary()
	return b
}()

// tombstoneTTL is how long a tombstone may stay (plus the region's stale
// window; the memory driver keeps it for its life window). Once it is
// evicted nothing is stored, which every stale write finds a conflict
// too.
const tombstoneTTL = time.Second

// versionOf returns the region.Version a write based on base must find:
// the zero Version (nothing stored) when base is nil, the one its Load
// read, or, for a base without a token, the version read now if the
// stored record is still base's version.
func (b *Backend) versionOf(ctx context.Context, id string, base *session.Record) (region.Version, error) {
	if base == nil {
		return region.Version{}, nil
	}
	if v, ok := base.Token.(region.Version); ok && v.Exists() {
		return v, nil
	}
	raw, ver, err := region.GetForUpdate[[]byte](ctx, b.r, b.Key(id), region.IgnoreExpiration())
	if errors.Is(err, region.ErrNotFound) {
		return ver, fmt.Errorf("%w (based on version %d, none stored)", session.ErrConflict, base.Version)
	}
	if err != nil {
		return ver, err
	}
	var cur session.Record
	if err := cur.UnmarshalBinary(raw); err != nil || cur.Version != base.Version || cur.ExpiredAt(b.now()) {
		return ver, fmt.Errorf("%w (based on version %d, stored %d)", session.ErrConflict, base.Version, cur.Version)
	}
	return ver, nil
}

// write stores raw under id's key if the stored version is still ver.
func (b *Backend) write(ctx context.Context, id string, ver region.Version, raw []byte, ttl time.Duration) error {
	err := region.CompareAndSet(ctx, b.r, b.Key(id), ver, raw, region.WithExpiration(ttl))
	if errors.Is(err, region.ErrConflict) {
		return fmt.Errorf("%w: %w", session.ErrConflict, err)
	}
	return err
}

// Exists implements session.Backend.
func (b *Backend) Exists(ctx context.Context, id string) (bool, error) {
	_, err := b.Load(ctx, id)
	return session.ExistsFromLoad(err)
}

// Ping implements session.Pinger: it pings the region's driver (see
// (*region.Region).Ping), so a health check of the sessions checks the
// cache server they live on.
func (b *Backend) Ping(ctx context.Context) error { return b.r.Ping(ctx) }
