// Package driver is the contract between a region and the store under it,
// for people who write drivers and proxies. Code that only caches through
// a region does not need it: it names drivers (import _
// "github.com/gosess/gosess/region/drivers/memory") and configures them
// with arguments.
//
// A driver is small and byte-oriented: Driver moves bytes under keys, and
// the region does all encoding, expiry bookkeeping, key mangling and
// locking above it. Everything else a store can do is an optional
// capability, an interface the region finds by type assertion, on the
// outermost driver and down the chain of proxies that implement Unwrapper
// (see Capability):
//
//	MultiGetter, MultiSetter, MultiDeleter   batches (GetMulti, SetMulti and DeleteMulti fall back to loops)
//	Locker, DogpileLocker                    a lock per key shared by every process (the dogpile lock)
//	CASDriver                                compare-and-set done by the store
//	ValueDriver                              Go values kept as they are, no codec (in-process stores)
//	KeyLimiter, TTLLimiter                   limits of the store the region works around
//	LockSkipper                              no locking at all (a store that keeps nothing)
//	Pinger, Reacher, EvictionNotifier        health, reach and evictions, for checks and statistics
//	io.Closer                                Close, called by the region's Close
//
// A driver package registers a Factory under a name with
// region.RegisterDriver from its init function, so that importing the
// package is enough; the factory reads the driver's arguments through
// Arguments, which rejects unknown and ill-typed ones. The regiontest
// package runs the conformance suite every driver must pass.
//
// Drivers report misses and failures with the sentinel errors of this
// package; the region package exports the same values (region.ErrNotFound
// is ErrNotFound), so callers match either.
package driver
