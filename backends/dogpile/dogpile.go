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
// Save checks the record's version under r.Mutex(key): the driver's
// distributed lock where it has one (memcached, redis, file), so
// concurrent writers are detected across processes; an in-process lock
// otherwise (memory).
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
	b, err := New(r, prefix, cfg.Now)
	if err == nil {
		warnShortStore(cfg, r)
	}
	return b, err
}

// warnShortStore warns when sessions are configured to live longer than
// the region's driver keeps items (the memory driver's life window): they
// would end early, after that time idle. Sessions without a max_age or
// lifetime have no server-side end, and the store's eviction is theirs.
func warnShortStore(cfg session.BackendConfig, r *region.Region) {
	limit := r.MaxTTL()
	live := cfg.Config.MaxAge
	if live == 0 || (cfg.Config.Lifetime > 0 && cfg.Config.Lifetime < live) {
		live = cfg.Config.Lifetime
	}
	if limit == 0 || live <= limit || cfg.Logger == nil {
		return
	}
	cfg.Logger.Warn("session: the region's driver keeps items at most "+limit.String()+
		", so sessions idle that long are lost before they expire; raise the driver's limit (memory: arguments.life_window) to at least "+live.String(),
		"region", r.Name(), "max_age", cfg.Config.MaxAge, "lifetime", cfg.Config.Lifetime)
}

// Backend stores sessions in a region. It implements session.Backend.
type Backend struct {
	r      *region.Region
	prefix string
	now    func() time.Time
}

// New returns a backend storing sessions in r under prefix (empty means
// DefaultKeyPrefix); now is the clock that record expiry is judged by
// (nil means time.Now). r must be configured.
func New(r *region.Region, prefix string, now func() time.Time) (*Backend, error) {
	if r == nil || !r.IsConfigured() {
		name := "<nil>"
		if r != nil {
			name = r.Name()
		}
		return nil, fmt.Errorf("%w: backend %q setting %q: region %q is not configured (configure it before the Maker)",
			session.ErrInvalidSetting, Name, "region", name)
	}
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	if now == nil {
		now = time.Now
	}
	return &Backend{r: r, prefix: prefix, now: now}, nil
}

// Region returns the region the sessions are stored in.
func (b *Backend) Region() *region.Region { return b.r }

// Key returns the region key of session id.
func (b *Backend) Key(id string) string { return b.prefix + id }

// Load implements session.Backend.
func (b *Backend) Load(ctx context.Context, id string) (session.Record, error) {
	var rec session.Record
	raw, err := region.Get[[]byte](ctx, b.r, b.Key(id), region.IgnoreExpiration())
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
	return rec, nil
}

// Save implements session.Backend: the version check and the write happen
// under the region's mutex for the key.
func (b *Backend) Save(ctx context.Context, id string, rec session.Record, expected uint64, ttl time.Duration) (err error) {
	raw, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx, id)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, unlock()) }()
	cur, loadErr := b.Load(ctx, id)
	if err := session.CheckVersion(cur, loadErr, expected); err != nil {
		return err
	}
	return region.Set(ctx, b.r, b.Key(id), raw, region.WithExpiration(ttl))
}

// Delete implements session.Backend (under the key's mutex, so that it
// cannot interleave with a Save's check and write).
func (b *Backend) Delete(ctx context.Context, id string) (err error) {
	unlock, err := b.lock(ctx, id)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, unlock()) }()
	return b.r.Delete(ctx, b.Key(id))
}

// Exists implements session.Backend.
func (b *Backend) Exists(ctx context.Context, id string) (bool, error) {
	_, err := b.Load(ctx, id)
	return session.Found(err)
}

func (b *Backend) lock(ctx context.Context, id string) (func() error, error) {
	mu := b.r.Mutex(b.Key(id))
	if err := mu.Lock(ctx); err != nil {
		return nil, fmt.Errorf("lock session %.8s…: %w", id, err)
	}
	return func() error {
		if err := mu.Unlock(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("unlock session %.8s…: %w", id, err)
		}
		return nil
	}, nil
}
