package region

import (
	"context"
	"log/slog"
	"time"
)

// Driver is the storage contract under a Region: a byte-oriented key/value
// store. The Region does all encoding, expiry bookkeeping, key mangling and
// locking; a driver only moves bytes.
//
// Every method must be safe for concurrent use. Keys given to a driver have
// already been mapped by the region (its key mangler, MangleKey for keys the
// driver cannot hold; see KeyLimiter) and are never empty. Keys that start
// with "~gs:" are the region's own (locks, records, hashed keys).
// A driver must not keep or modify the byte slices it is given after the
// call returns, and the slices it returns belong to the caller.
type Driver interface {
	// Get returns the value stored under key. A key that is absent (never
	// set, deleted, evicted or past its TTL) returns ErrNotFound, matched
	// with errors.Is; any other error means the driver failed.
	Get(ctx context.Context, key string) ([]byte, error)

	// GetMulti returns the values of the keys that are present. Missing
	// keys are simply absent from the map; a nil or empty keys slice
	// returns an empty map. An error means the driver failed.
	GetMulti(ctx context.Context, keys []string) (map[string][]byte, error)

	// Set stores value under key. ttl > 0 asks the driver to evict the
	// item after ttl; ttl == 0 means no expiry. A driver without per-item
	// TTLs may keep the item longer: the Region checks freshness itself.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// SetMulti stores every item with the same ttl (as Set). It is not
	// required to be atomic; on error some items may have been stored.
	SetMulti(ctx context.Context, items map[string][]byte, ttl time.Duration) error

	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error

	// DeleteMulti removes every key. Absent keys are not an error.
	DeleteMulti(ctx context.Context, keys []string) error
}

// Mutex is a lock on one key, used by the dogpile lock so that one caller
// regenerates a value. A Mutex is obtained from Locker.Mutex or
// (*Region).Mutex; one value is used by one caller at a time.
type Mutex interface {
	// TryLock acquires the lock if it is free and reports whether it did.
	// It never waits for another holder. A lock held by anyone, this Mutex
	// value included, is not free: TryLock then returns false, nil. An
	// error means the lock service failed (the caller then holds nothing).
	TryLock(ctx context.Context) (bool, error)

	// Lock waits until the lock is acquired, or until ctx is done, in
	// which case it returns ctx.Err() (wrapped) and holds nothing.
	Lock(ctx context.Context) error

	// Unlock releases a lock acquired by TryLock or Lock on this value.
	// It releases even when ctx is already done, within the bound of
	// UnlockContext (ctx's deadline plus UnlockGrace). Releasing a lock
	// that expired must not release another holder's lock, and returns an
	// error wrapping ErrLockLost. Unlock of a Mutex that holds nothing is
	// an error.
	Unlock(ctx context.Context) error
}

// Locker is an optional driver capability: a mutex per key shared by every
// process that uses the same store (memcached add, redis SET NX, file
// locks). Drivers without it get an in-process mutex from the Region. When
// the driver has one, the region still takes its in-process mutex first, so
// that within one process a single goroutine per key contends for the
// store's lock and the others wait in memory.
type Locker interface {
	// Mutex returns a new, unlocked mutex whose lock lives under key. The
	// region chooses key, in its reserved namespace ("~gs:lock:" + the
	// store key it guards), so that it is never a key data is stored
	// under; a driver uses it as given (mapping it only as it maps any key
	// it cannot hold). Mutex does not touch the store; acquiring does.
	Mutex(key string) Mutex
}

// DogpileLocker is an optional driver capability, beside Locker: Python
// dogpile.cache's own distributed lock protocol on the driver's store
// (memcached: add and delete; redis: redis-py's Lock). A region of
// FormatDogpile whose driver is a Locker takes its locks with
// DogpileMutex, so that Go and Python processes exclude each other; other
// regions never call it.
type DogpileLocker interface {
	// DogpileMutex returns a new, unlocked mutex whose lock lives under
	// key, taken and released as dogpile.cache does on this store. The
	// region chooses key (dogpile's "_lock" + the store key); the driver
	// uses it as given. It does not touch the store; acquiring does.
	DogpileMutex(key string) Mutex
}

// CASDriver is an optional driver capability: compare-and-set done by the
// store itself, atomic for every process that shares it (memcached gets/cas/
// add, a redis script, the file driver's flock, an in-process lock for the
// memory drivers). The region uses it for CompareAndSet and Update, and the
// dogpile session backend for its saves; drivers without it get the same
// guarantee from the key's mutex (a lock, a read and a write: more round
// trips, and only within one process unless the driver is also a Locker;
// see (*Region).Atomicity).
type CASDriver interface {
	// GetCAS returns the value stored under key and a token naming the
	// version read. An absent key returns ErrNotFound. The token is
	// never empty for a present key.
	GetCAS(ctx context.Context, key string) (value []byte, token CASToken, err error)

	// CompareAndSet stores value under key (with ttl, as Set) only if
	// the version stored is still the one token names; an empty token
	// means "only if key is absent" (add). When the condition does not
	// hold it stores nothing and returns an error wrapping ErrConflict;
	// any other error means the store failed (and nothing may have been
	// stored).
	CompareAndSet(ctx context.Context, key string, token CASToken, value []byte, ttl time.Duration) error
}

// CASToken names one stored version of an item, as read by
// CASDriver.GetCAS (a memcached cas id, a digest of the stored bytes, ...).
// It is opaque to everyone but the driver that made it; the empty token
// means "absent".
type CASToken string

// LockFree is an optional driver capability for drivers that store nothing
// (the null driver): when LockFree reports true the region takes no lock at
// all in GetOrCreate and every caller runs its creator, as dogpile's
// NullLock does, so switching caching off never serializes callers.
type LockFree interface {
	// LockFree reports whether the region should skip locking entirely.
	LockFree() bool
}

// TTLLimiter is an optional driver capability for stores that keep every
// item for at most a fixed time whatever TTL Set is given (the memory
// driver's bigcache life window). Layers that store long-lived items in a
// region (the dogpile session backend) use it, through
// (*Region).MaxTTL, to warn when their items would be evicted early.
type TTLLimiter interface {
	// MaxTTL returns the longest time an item can stay in the store;
	// 0 means no limit.
	MaxTTL() time.Duration
}

// Unwrapper is implemented by proxies (see Proxy): Unwrap returns the
// driver the proxy wraps. Capabilities (Locker, io.Closer, ...) are looked
// up on the outermost driver first and then down the chain.
type Unwrapper interface {
	// Unwrap returns the wrapped driver; never nil.
	Unwrap() Driver
}

// KeyLimiter is an optional driver capability for stores that cannot hold
// every key (memcached: 250 bytes, no spaces or control characters). A
// region whose driver implements KeyLimiter rewrites the keys the driver
// cannot hold with MangleKey (after its own key mangler, if any).
type KeyLimiter interface {
	// ValidKey reports whether the driver can store key unchanged.
	ValidKey(key string) bool
}

// Factory builds a driver from its arguments. Factories read every
// argument they know through args and must finish with args.Err() (or
// return the first error) so that unknown or ill-typed arguments fail.
type Factory func(info DriverInfo, args *Arguments) (Driver, error)

// DriverInfo tells a factory about the region it serves.
type DriverInfo struct {
	// Region is the region's name.
	Region string
	// Expiration is the region's configured expiration (0 = never); drivers
	// may derive defaults from it (the memory driver's life window does).
	Expiration time.Duration
	// StaleWindow is the region's effective stale window (0 when
	// Expiration is 0): the region's TTLs are Expiration + StaleWindow.
	StaleWindow time.Duration
	// Logger is the logger the region was given with WithLogger, for the
	// driver's own messages; nil when none was given (the driver picks
	// its default).
	Logger *slog.Logger
	// Format is the region's value format (FormatGosess or
	// FormatDogpile, never ""); a driver may refuse arguments that have
	// no meaning in it.
	Format Format
}
