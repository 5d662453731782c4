package region

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosess/gosess/region/driver"
)

// Region is a named cache region: a driver configured once, plus the
// expiry, invalidation, key mangling and dogpile locking that every value
// stored through it gets. A Region is safe for concurrent use. Build one
// with New, configure it once with Configure, ConfigureDriver or
// ConfigureFromConfig, and hand it to everything that caches: app data,
// memoized functions and the dogpile session backend can share it.
type Region struct {
	name           string
	mangler        func(string) string
	codec          Codec
	async          func(task func())
	logger         *slog.Logger
	driverLogger   *slog.Logger // the WithLogger logger, nil without one
	errorsAsMisses bool
	prefixStats    *prefixCounters // WithPrefixStats; nil: no counting

	locks *keyLocks
	stats stats

	configMu sync.Mutex
	state    atomic.Pointer[state]
	closed   atomic.Bool
	asyncMu  sync.Mutex // orders tasks.Add before Close's tasks.Wait
	tasks    sync.WaitGroup
}

// state is what Configure sets; it is swapped atomically.
type state struct {
	driver     Driver
	actual     Driver
	expiration time.Duration
	stale      time.Duration
	inval      Invalidation
	invalNanos func(context.Context) (hard, soft int64, err error) // inval's state, fast
	localInval *localInvalidation                                  // inval when it is the default: read inline
	locker     driver.Locker
	cas        driver.CASDriver   // nil: compare-and-set under the key's mutex
	values     driver.ValueDriver // the outermost driver holds Go values; nil: bytes
	lockFree   bool
	mangle     func(string) string // the caller's key mangler; nil: none
	limiter    driver.KeyLimiter   // nil: the driver holds any key
	driverName string
	dogpile    bool // the region's Format is FormatDogpile (else FormatGosess)

	dogpileLocker driver.DogpileLocker // the driver's dogpile lock protocol, under FormatDogpile
}

// New returns an unconfigured region called name. The name appears in
// errors, logs and metrics, and keys the shared invalidation record.
func New(name string, opts ...Option) *Region {
	r := &Region{
		name:   name,
		codec:  FastJSONCodec{},
		logger: slog.New(slog.DiscardHandler),
		locks:  newKeyLocks(),
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Name returns the region's name.
func (r *Region) Name() string { return r.name }

// IsConfigured reports whether a driver has been configured.
func (r *Region) IsConfigured() bool { return r.state.Load() != nil }

// Driver returns the configured driver, outermost proxy first; nil when
// the region is not configured.
func (r *Region) Driver() Driver {
	if st := r.state.Load(); st != nil {
		return st.driver
	}
	return nil
}

// ActualDriver returns the driver under all proxies (dogpile's
// actual_backend); nil when the region is not configured.
func (r *Region) ActualDriver() Driver {
	if st := r.state.Load(); st != nil {
		return st.actual
	}
	return nil
}

// DriverName returns the registered name of the configured driver ("" for
// a driver given to ConfigureDriver or an unconfigured region).
func (r *Region) DriverName() string {
	if st := r.state.Load(); st != nil {
		return st.driverName
	}
	return ""
}

// Expiration returns the configured expiration (0 = never).
func (r *Region) Expiration() time.Duration {
	if st := r.state.Load(); st != nil {
		return st.expiration
	}
	return 0
}

// MaxTTL returns the longest time the driver keeps any item, whatever TTL
// it is given (see driver.TTLLimiter); 0 means no limit or an unconfigured
// region.
func (r *Region) MaxTTL() time.Duration {
	st := r.state.Load()
	if st == nil {
		return 0
	}
	if l, ok := driver.Capability[driver.TTLLimiter](st.driver); ok {
		return l.MaxTTL()
	}
	return 0
}

// Configure builds the named driver from cfg.Arguments and makes it the
// region's store. It fails with ErrAlreadyConfigured on a configured region
// unless cfg.ReplaceExisting, with ErrUnknownDriver for a name no imported
// package registered, and with ErrInvalidArgument for bad settings or
// driver arguments.
func (r *Region) Configure(name string, cfg Config) error {
	if err := r.checkConfig(cfg); err != nil {
		return err
	}
	f, err := lookupDriver(name)
	if err != nil {
		return fmt.Errorf("region %q: %w", r.name, err)
	}
	r.configMu.Lock()
	defer r.configMu.Unlock()
	if r.state.Load() != nil && !cfg.ReplaceExisting {
		return fmt.Errorf("region %q: %w (set Config.ReplaceExisting to replace the driver)", r.name, ErrAlreadyConfigured)
	}
	args := driver.NewArguments(name, cfg.Arguments)
	info := driver.Info{Region: r.name, Expiration: cfg.Expiration, Logger: r.driverLogger}
	format, _ := ParseFormat(string(cfg.Format)) // checked by checkConfig
	info.Format = string(format)
	if cfg.Expiration > 0 {
		info.StaleWindow = cmp.Or(cfg.StaleWindow, cfg.Expiration)
	}
	d, err := f(info, args)
	if err == nil {
		err = args.Err()
		if err != nil && d != nil {
			closeDriver(d)
		}
	}
	if err != nil {
		return fmt.Errorf("region %q: configure driver %q: %w", r.name, name, err)
	}
	if d == nil {
		return fmt.Errorf("region %q: driver %q factory returned no driver", r.name, name)
	}
	if err := r.checkFormatFits(d, cfg, name); err != nil {
		closeDriver(d)
		return err
	}
	if err := r.checkReachable(d, cfg, name); err != nil {
		closeDriver(d)
		return err
	}
	r.install(d, cfg, name)
	return nil
}

// ConfigureDriver makes d the region's store: a driver the caller built
// (a pre-configured client, a test driver). cfg.Arguments must be empty.
// The region owns d from then on: Close and a replacing Configure close it
// when it implements io.Closer.
func (r *Region) ConfigureDriver(d Driver, cfg Config) error {
	if d == nil {
		return fmt.Errorf("region %q: %w: nil driver", r.name, ErrInvalidArgument)
	}
	if len(cfg.Arguments) > 0 {
		return fmt.Errorf("region %q: %w: Arguments are for Configure; ConfigureDriver takes a built driver", r.name, ErrInvalidArgument)
	}
	if err := r.checkConfig(cfg); err != nil {
		return err
	}
	r.configMu.Lock()
	defer r.configMu.Unlock()
	if r.state.Load() != nil && !cfg.ReplaceExisting {
		return fmt.Errorf("region %q: %w (set Config.ReplaceExisting to replace the driver)", r.name, ErrAlreadyConfigured)
	}
	if err := r.checkFormatFits(d, cfg, ""); err != nil {
		return err
	}
	if err := r.checkReachable(d, cfg, ""); err != nil {
		return err
	}
	r.install(d, cfg, "")
	return nil
}

func (r *Region) checkConfig(cfg Config) error {
	if r.closed.Load() {
		return fmt.Errorf("region %q: %w", r.name, ErrClosed)
	}
	if cfg.Expiration < 0 {
		return fmt.Errorf("region %q: %w: negative Expiration %v", r.name, ErrInvalidArgument, cfg.Expiration)
	}
	if cfg.StaleWindow < 0 {
		return fmt.Errorf("region %q: %w: negative StaleWindow %v", r.name, ErrInvalidArgument, cfg.StaleWindow)
	}
	if _, err := ParseFormat(string(cfg.Format)); err != nil {
		return fmt.Errorf("region %q: %w", r.name, err)
	}
	for i, p := range cfg.Wrap {
		if p == nil {
			return fmt.Errorf("region %q: %w: Wrap[%d] is nil", r.name, ErrInvalidArgument, i)
		}
	}
	return nil
}

// install wraps d in the proxies, finds its capabilities and swaps the
// state in. Called with configMu held.
func (r *Region) install(d Driver, cfg Config, name string) {
	actual := d
	for i := len(cfg.Wrap) - 1; i >= 0; i-- {
		d = cfg.Wrap[i](d)
	}
	if r.prefixStats != nil {
		d = newCountingDriver(d, r.prefixStats)
	}
	st := &state{driver: d, actual: actual, expiration: cfg.Expiration, driverName: name}
	format, _ := ParseFormat(string(cfg.Format)) // checked by checkConfig
	st.dogpile = format == FormatDogpile
	if cfg.Expiration > 0 {
		st.stale = cmp.Or(cfg.StaleWindow, cfg.Expiration)
	}
	st.locker, _ = driver.Capability[driver.Locker](d)
	st.dogpileLocker, _ = driver.Capability[driver.DogpileLocker](d)
	st.cas, _ = driver.Capability[driver.CASDriver](d)
	// Only the outermost driver counts: a proxy that does not handle
	// values keeps the region on the byte path, so that it sees every
	// call.
	st.values, _ = d.(driver.ValueDriver)
	if n, ok := driver.Capability[driver.EvictionNotifier](d); ok {
		n.NotifyEvictions(r.evicted)
	}
	if ls, ok := driver.Capability[driver.LockSkipper](d); ok && ls.SkipLocks() {
		st.lockFree = true
	} else if lf, ok := driver.Capability[LockFree](d); ok && lf.LockFree() {
		st.lockFree = true // the deprecated form of LockSkipper
	}
	st.mangle = r.mangler
	st.limiter, _ = driver.Capability[driver.KeyLimiter](d)
	strategy := cfg.Invalidation
	if strategy == nil {
		strategy = LocalInvalidation
	}
	st.inval = strategy(r.name, d, st.ownKey)
	st.invalNanos = stateNanosOf(st.inval)
	st.localInval, _ = st.inval.(*localInvalidation)
	old := r.state.Swap(st)
	if old != nil {
		closeDriver(old.driver)
	}
}

func closeDriver(d Driver) {
	if c, ok := driver.Capability[io.Closer](d); ok {
		_ = c.Close()
	}
}

// Close waits for async regenerations in flight, then closes the driver
// when it implements io.Closer. Operations after Close fail with
// ErrClosed. Close is idempotent.
func (r *Region) Close() error {
	r.asyncMu.Lock()
	already := r.closed.Swap(true)
	r.asyncMu.Unlock()
	if already {
		return nil
	}
	r.tasks.Wait()
	r.configMu.Lock()
	defer r.configMu.Unlock()
	if st := r.state.Load(); st != nil {
		if c, ok := driver.Capability[io.Closer](st.driver); ok {
			return c.Close()
		}
	}
	return nil
}

// current returns the state for an operation, or ErrNotConfigured /
// ErrClosed.
func (r *Region) current() (*state, error) {
	st := r.state.Load()
	if st == nil {
		return nil, fmt.Errorf("region %q: %w", r.name, ErrNotConfigured)
	}
	if r.closed.Load() {
		return nil, fmt.Errorf("region %q: %w", r.name, ErrClosed)
	}
	return st, nil
}

func (r *Region) checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("region %q: %w: empty key", r.name, ErrInvalidArgument)
	}
	return nil
}

func (r *Region) callConfig(st *state, opts []CallOption) (callConfig, error) {
	var c callConfig
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.hasExpiration && c.expiration < 0 && !st.dogpile {
		return c, fmt.Errorf("region %q: %w: negative expiration %v", r.name, ErrInvalidArgument, c.expiration)
	}
	return c, nil
}

// expiration is the freshness limit of a read or write (0 = never).
func (st *state) expirationFor(c *callConfig) time.Duration {
	if c.hasExpiration {
		return c.expiration
	}
	return st.expiration
}

// ttl is the driver TTL of a write: expiration plus the stale window (the
// configured one, or the expiration itself when the region has none).
func (st *state) ttl(c *callConfig) time.Duration {
	exp := st.expirationFor(c)
	if exp <= 0 || st.dogpile {
		return 0
	}
	stale := st.stale
	if stale == 0 {
		stale = exp
	}
	return exp + stale
}

// freshness classifies a stored entry.
type freshness int

const (
	missing freshness = iota
	stale
	fresh
)

// judge classifies e at now against expiration and invalidation. ignore
// accepts expired and soft-invalidated values.
func (r *Region) judge(ctx context.Context, st *state, created int64, c *callConfig, now int64) freshness {
	var hard, soft int64
	if l := st.localInval; l != nil {
		hard, soft = l.hard.Load(), l.soft.Load()
	} else {
		var err error
		if hard, soft, err = st.invalNanos(ctx); err != nil {
			r.stats.driverErrors.Add(1)
			logInvalidationError(r.logger, r.name, err)
		}
	}
	if st.dogpile {
		return st.judgeDogpile(c, created, hard, soft, now)
	}
	if hard != 0 && created <= hard {
		return missing
	}
	if c.ignore {
		return fresh
	}
	if soft != 0 && created <= soft {
		return stale
	}
	if exp := st.expirationFor(c); exp > 0 && now-created > int64(exp) {
		return stale
	}
	return fresh
}

// Mutex returns the dogpile mutex for key (mangled as the region mangles
// keys): the in-process mutex, layered over the driver's distributed one
// when the driver implements driver.Locker. Other layers (the session backends)
// use it to serialize their own read-modify-write cycles with the region's
// regenerations. It returns ErrNotConfigured's state as a mutex that
// fails.
func (r *Region) Mutex(key string) Mutex {
	st, err := r.current()
	if err != nil {
		return errMutex{err}
	}
	return r.mutexFor(st, st.storeKey(key))
}

func (r *Region) mutexFor(st *state, mk string) Mutex {
	if st.lockFree {
		return freeMutex{}
	}
	local := &localMutex{reg: r.locks, key: mk}
	if st.locker == nil {
		return local
	}
	return &layeredMutex{local: local, remote: st.remoteMutex(mk)}
}

type errMutex struct{ err error }

func (m errMutex) TryLock(context.Context) (bool, error) { return false, m.err }
func (m errMutex) Lock(context.Context) error            { return m.err }
func (m errMutex) Unlock(context.Context) error          { return m.err }

// KeyIsLocked reports whether a regeneration of key is under way in this
// process. Unlike dogpile's key_is_locked it applies the key mangler, so
// it is asked with the same key as Get. When nothing in this process holds
// the key and the driver's mutex can report its state (a method
// `Locked(ctx) (bool, error)`), the driver is asked too.
func (r *Region) KeyIsLocked(ctx context.Context, key string) (bool, error) {
	st, err := r.current()
	if err != nil {
		return false, err
	}
	mk := st.storeKey(key)
	if r.locks.locked(mk) {
		return true, nil
	}
	if st.locker != nil {
		if q, ok := st.remoteMutex(mk).(interface {
			Locked(context.Context) (bool, error)
		}); ok {
			return q.Locked(ctx)
		}
	}
	return false, nil
}

// Delete removes key. Deleting an absent key is not an error.
func (r *Region) Delete(ctx context.Context, key string) error {
	st, err := r.current()
	if err != nil {
		return err
	}
	if err := r.checkKey(key); err != nil {
		return err
	}
	if err := st.driver.Delete(ctx, st.storeKey(key)); err != nil {
		r.stats.driverErrors.Add(1)
		return fmt.Errorf("region %q: delete %q: %w", r.name, key, err)
	}
	return nil
}

// DeleteMulti removes every key.
func (r *Region) DeleteMulti(ctx context.Context, keys []string) error {
	st, err := r.current()
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	mks := make([]string, len(keys))
	for i, k := range keys {
		if err := r.checkKey(k); err != nil {
			return err
		}
		mks[i] = st.storeKey(k)
	}
	if err := driver.DeleteMulti(ctx, st.driver, mks); err != nil {
		r.stats.driverErrors.Add(1)
		return fmt.Errorf("region %q: delete multi: %w", r.name, err)
	}
	return nil
}

// Invalidate invalidates every value stored so far, in mode Hard or Soft,
// using context.Background (see InvalidateContext).
func (r *Region) Invalidate(mode Mode) error {
	return r.InvalidateContext(context.Background(), mode)
}

// InvalidateContext invalidates every value stored so far: Hard makes them
// misses, Soft makes them stale (served while one caller regenerates). Soft
// needs an expiration, as in dogpile. With SharedInvalidation the record is
// written to the driver, which is why a context is taken.
func (r *Region) InvalidateContext(ctx context.Context, mode Mode) error {
	st, err := r.current()
	if err != nil {
		return err
	}
	switch mode {
	case Hard:
	case Soft:
		if st.expiration == 0 && !st.dogpile {
			return fmt.Errorf("region %q: %w: soft invalidation needs an expiration (Config.Expiration > 0)", r.name, ErrInvalidArgument)
		}
	default:
		return fmt.Errorf("region %q: %w: invalidation mode %v", r.name, ErrInvalidArgument, mode)
	}
	if err := st.inval.Invalidate(ctx, mode, time.Now()); err != nil {
		return fmt.Errorf("region %q: invalidate: %w", r.name, err)
	}
	return nil
}
