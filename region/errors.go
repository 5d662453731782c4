package region

import (
	"errors"

	"github.com/gosess/gosess/region/driver"
)

// Sentinel errors, matched with errors.Is. Errors returned by the package
// wrap these with the detail (key, driver name, argument) that caused them.
// Those that drivers return too are the driver package's values (they are
// the same errors under both names).
var (
	// ErrNotFound is a miss: the key is absent, expired past its TTL,
	// hard-invalidated, or its stored bytes could not be decoded. It is
	// dogpile's NO_VALUE; a miss never returns a zero value with a nil error.
	ErrNotFound = driver.ErrNotFound

	// ErrNotConfigured is returned by every operation on a region that has
	// not been configured yet.
	ErrNotConfigured = errors.New("region: not configured")

	// ErrAlreadyConfigured is returned by a second Configure without
	// Config.ReplaceExisting.
	ErrAlreadyConfigured = errors.New("region: already configured")

	// ErrClosed is returned by every operation on a region after Close,
	// and (wrapped) by drivers after theirs.
	ErrClosed = driver.ErrClosed

	// ErrUnknownDriver is returned by Configure for a driver name that no
	// imported package registered.
	ErrUnknownDriver = errors.New("region: unknown driver")

	// ErrInvalidArgument is returned for bad input from the caller: an
	// empty key, a nil creator, a negative duration, an unknown or
	// ill-typed driver argument or config key.
	ErrInvalidArgument = driver.ErrInvalidArgument

	// ErrEncode is returned by Set (and GetOrCreate) when the codec cannot
	// encode a value; nothing is stored.
	ErrEncode = errors.New("region: cannot encode value")

	// ErrValueTooLarge is returned by drivers when a value exceeds what the
	// store can hold (memcached's item size, the memory driver's shard).
	ErrValueTooLarge = driver.ErrValueTooLarge

	// ErrConflict is returned by CompareAndSet (and driver.CASDriver
	// implementations) when the stored value is no longer the version that
	// was read: another writer changed, added or removed it. Nothing was
	// stored; read again and retry (Update does).
	ErrConflict = driver.ErrConflict

	// ErrLockLost is returned (wrapped) by a Mutex's Unlock when the lock
	// was no longer held: it expired (the driver's lock_timeout ran out
	// while the holder worked) and may have been taken by another caller,
	// whose lock is left alone. Every driver with expiring locks reports it
	// this way; the region logs it and counts it in Stats.LocksLost. It
	// means two callers may have regenerated a value at once: raise the
	// driver's lock_timeout above the longest creator run.
	ErrLockLost = driver.ErrLockLost

	// ErrCreatorPanic wraps the value of a creator that panicked; the lock
	// is released and the panic is returned as an error to that caller.
	ErrCreatorPanic = errors.New("region: creator panicked")
)
