package driver

import (
	"context"
	"time"

	"github.com/gosess/gosess/internal/enum"
)

// CASDriver is an optional driver capability: compare-and-set done by the
// store itself, atomic for every process that shares it (memcached gets/
// cas/add, a redis script, the file driver's flock, an in-process lock for
// the memory drivers). The region uses it for region.CompareAndSet and
// region.Update, and the dogpile session backend for its saves; drivers
// without it get the same guarantee from the key's mutex (a lock, a read
// and a write: more round trips, and only within one process unless the
// driver is also a Locker; see (*region.Region).Atomicity).
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

// KeyLimiter is an optional driver capability for stores that cannot hold
// every key (memcached: 250 bytes, no spaces or control characters). A
// region whose driver implements KeyLimiter rewrites the keys the driver
// cannot hold with region.MangleKey (after its own key mangler, if any).
type KeyLimiter interface {
	// ValidKey reports whether the driver can store key unchanged.
	ValidKey(key string) bool
}

// TTLLimiter is an optional driver capability for stores that keep every
// item for at most a fixed time whatever TTL Set is given (the memory
// driver's bigcache life window). Layers that store long-lived items in a
// region (the dogpile session backend) use it, through
// (*region.Region).MaxTTL, to warn when their items would be evicted
// early.
type TTLLimiter interface {
	// MaxTTL returns the longest time an item can stay in the store;
	// 0 means no limit.
	MaxTTL() time.Duration
}

// Pinger is an optional driver capability: a cheap round trip to the
// store (memcached's version command, redis PING, a file created in the
// driver's directory), used by (*region.Region).Ping and
// region.Config.PingOnConfigure.
type Pinger interface {
	// Ping returns nil when the store answered within ctx, or the error
	// that kept it from answering.
	Ping(ctx context.Context) error
}

// Reach says which processes see the items of a driver's store: the
// answer layers above a region need when every process must agree on
// something the store does not hold itself (the session layer's signing
// key: sessions stored where several processes reach them must be signed
// with a key they all have).
type Reach int

const (
	// ReachProcess: the store lives in this process's memory (memory, objects,
	// null); no other process sees its items, and they end with the
	// process.
	ReachProcess Reach = iota + 1
	// ReachHost: processes of this host share the store (the file
	// driver's directory).
	ReachHost
	// ReachNetwork: every process that can connect to the store's
	// servers shares it (memcached, redis, a remote gocache store). It is
	// the reach of drivers that do not say (see Reacher).
	ReachNetwork
)

// String returns "process", "host" or "network".
func (r Reach) String() string { return enum.Name(r, "Reach", "process", "host", "network") }

// Reacher is an optional driver capability: which processes share the
// driver's store. Drivers without it are taken as ReachNetwork, the
// cautious answer for a store the region knows nothing about.
type Reacher interface {
	// Reach returns the driver's reach; it does not touch the store.
	Reach() Reach
}

// EvictionNotifier is an optional driver capability of bounded stores
// that remove entries to make room (the memory and objects drivers). The
// region registers a function when it is configured; it counts the
// evictions in region.Stats.Evictions and logs them. Entries removed
// because they expired, were deleted or were overwritten are not
// evictions.
type EvictionNotifier interface {
	// NotifyEvictions makes the driver call f once for every entry it
	// evicts for space, with the entry's key, from any goroutine and
	// possibly while the store holds internal locks: f must be quick and
	// must not call the driver. A later call replaces f; nil stops the
	// calls.
	NotifyEvictions(f func(key string))
}
