package driver

import (
	"context"
	"time"
)

// Stored is a Go value as a ValueDriver holds it: the value itself and
// when the region created it.
type Stored struct {
	// Value is the value given to the region (Set, a creator's result),
	// as it is: not copied, not encoded.
	Value any
	// Created is when the region stored the value, in Unix nanoseconds;
	// the region judges freshness and invalidation from it.
	Created int64
	// Version names this write of the key for compare-and-set: the
	// driver sets it on every write (SetValue ignores the field), never
	// to 0, and never twice to the same number for one key.
	Version uint64
}

// ValueDriver is an optional driver capability for in-process stores that
// keep Go values as they are, with no codec and no byte envelope (the
// objects driver, like dogpile.cache.memory). When the region's outermost
// driver implements it, every value the region reads or writes goes
// through these methods; its byte methods (Driver) then serve only callers
// that use them directly (SharedInvalidation's record, tools, proxies).
// A proxy that does not implement ValueDriver itself therefore turns a
// region back to the byte path, so that the proxy sees every call; the
// region then stores envelopes through the codec, which a ValueDriver
// keeps as bytes.
//
// The two views are separate: GetValue finds only what SetValue (or
// SetValues) stored and Get only what Set (or SetMulti) stored; a write
// through one view replaces whatever the key held in the other, and
// Delete removes both.
//
// Values are shared, not copied: a pointer, map or slice handed to
// SetValue is what GetValue returns to every later reader, so mutating it
// mutates the cache.
type ValueDriver interface {
	Driver

	// GetValue returns what SetValue stored under key. A key that is
	// absent, evicted, past its TTL or holding bytes written by Set
	// returns ErrNotFound (errors.Is); any other error means the driver
	// failed. The *Stored may be the driver's own (no copy on the hit
	// path): the caller must not modify it.
	GetValue(ctx context.Context, key string) (*Stored, error)

	// GetValues returns the stored values of the keys that hold one;
	// other keys are absent from the map. A nil or empty keys slice
	// returns an empty map. The caller must not modify the *Stored.
	GetValues(ctx context.Context, keys []string) (map[string]*Stored, error)

	// SetValue stores v under key, as Set does for bytes (ttl > 0: evict
	// after ttl; 0: no expiry). The driver keeps v.Value itself.
	SetValue(ctx context.Context, key string, v Stored, ttl time.Duration) error

	// SetValues stores every item with the same ttl. It is not required
	// to be atomic.
	SetValues(ctx context.Context, items map[string]Stored, ttl time.Duration) error

	// CompareAndSetValue stores v under key (as SetValue) only if the
	// value stored there is still the one GetValue returned with
	// version; version 0 means "only if no value is stored". When the
	// condition does not hold it stores nothing and returns an error
	// wrapping ErrConflict. The region's CompareAndSet and Update use it.
	CompareAndSetValue(ctx context.Context, key string, version uint64, v Stored, ttl time.Duration) error
}
