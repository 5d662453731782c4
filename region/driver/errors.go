package driver

import "errors"

// Sentinel errors of the contract, matched with errors.Is. The region
// package exports the same values under the same names.
var (
	// ErrNotFound is a miss: the key is absent, evicted or past its TTL.
	// It is the only error a read may return for a missing key.
	ErrNotFound = errors.New("region: not found")

	// ErrInvalidArgument is bad input: an unknown or ill-typed driver
	// argument, a negative TTL.
	ErrInvalidArgument = errors.New("region: invalid argument")

	// ErrValueTooLarge is returned when a value exceeds what the store can
	// hold (memcached's item size, the memory driver's shard).
	ErrValueTooLarge = errors.New("region: value too large")

	// ErrConflict is returned by a compare-and-set (CASDriver,
	// ValueDriver.CompareAndSetValue) whose condition no longer holds:
	// another writer changed, added or removed the item. Nothing was
	// stored.
	ErrConflict = errors.New("region: conflict: the stored value changed since it was read")

	// ErrLockLost is returned (wrapped) by a Mutex's Unlock when the lock
	// was no longer held: it expired while the holder worked and may have
	// been taken by another caller, whose lock is left alone.
	ErrLockLost = errors.New("region: lock expired before it was released")

	// ErrClosed is returned (wrapped) by every operation on a driver, or a
	// region, after Close.
	ErrClosed = errors.New("region: closed")
)
