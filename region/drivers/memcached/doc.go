// Package memcached is the region driver for memcached servers, registered
// as "memcached". It is the driver to use when several processes or hosts
// should share one cache: they see each other's values, and with
// distributed_lock on, one process in the whole fleet regenerates a
// missing value while the others wait for it.
//
// Import it for its side effect to make the name available to
// (*region.Region).Configure and ConfigureFromConfig:
//
//	import _ "github.com/gosess/gosess/region/drivers/memcached"
//
//	err := r.Configure("memcached", region.Config{
//		Expiration: 5 * time.Minute,
//		Arguments: map[string]any{
//			"url":              "10.0.0.1:11211,10.0.0.2:11211",
//			"distributed_lock": true,
//		},
//	})
//
// or build one with New (and Locking) and hand it to
// (*region.Region).ConfigureDriver. The client is
// github.com/bradfitz/gomemcache, speaking memcached's text protocol.
//
// # Arguments
//
// The names are those of dogpile.cache's memcached backends where dogpile
// has one. Values may be Go values or strings from a config file;
// durations are seconds ("30", "0.5") or Go durations ("250ms"). Unknown
// arguments are an error. Config documents the struct form of each.
//
//	url                    memcached address(es): "host:port", a Unix socket
//	                       path, a comma-separated list or a list; several
//	                       servers share the keys by a hash of the key.
//	                       Required.
//	distributed_lock       share the region's dogpile lock through memcached,
//	                       so one process of all regenerates a value
//	                       (default false: each process locks on its own)
//	lock_timeout           how long a lock outlives a holder that never
//	                       releases it, whole seconds, plus up to one second
//	                       (default 30s; 0, dogpile's "never", is refused)
//	lock_sleep             longest wait between two attempts to take a busy
//	                       lock; the first is lock_sleep/16, and waits
//	                       double (default 100ms)
//	memcached_expire_time  memcached expiry of every item, replacing the TTL
//	                       the region asks for (default 0: the region's TTL,
//	                       its expiration plus its stale window)
//	timeout                bound on connecting, and on the exchange once
//	                       connected (default 500ms)
//	max_idle_conns         idle connections kept per server (default 16)
//	multi_concurrency      round trips a SetMulti or DeleteMulti runs at
//	                       once (default 8)
//
// # Keys
//
// memcached keys are at most 250 bytes without spaces or control
// characters. The driver implements driver.KeyLimiter so a region rewrites
// other keys with its mangler, and it also rewrites them itself (see
// Driver.StoreKey): "~gs:h:", a readable head of the key and its SHA-256.
// So no key is ever refused, and a key is never silently shortened into
// another key's name. Keys starting with "~gs:" are the region's own
// (locks, hashed keys): a region hashes caller keys that start with it.
//
// # Expiry
//
// The TTL the region passes becomes memcached's per-item expiry. memcached
// counts whole seconds and expires items at the ticks of its one-second
// clock, so an expiry of n seconds can end almost a second early; the
// driver sends the TTL rounded up to whole seconds plus one, so an item
// lives at least its TTL and at most a second more (and a sub-second TTL
// never becomes 0, which would mean "never"). memcached reads an expiry
// above 30 days as an absolute Unix time; the driver converts longer TTLs
// with the client's clock, so client and server clocks should agree.
//
// # Multi operations
//
// GetMulti sends one "gets" per server for all its keys, the servers in
// parallel. memcached's text protocol has no multi-set or multi-delete, so
// SetMulti and DeleteMulti send one command per item, several at once
// (multi_concurrency), and join the distinct errors.
//
// # Distributed lock
//
// With distributed_lock the factory returns a *LockingDriver, which
// implements driver.Locker; without it the driver does not, and the region
// uses its in-process lock. The lock speaks memcached's meta commands
// (memcached 1.6 or later) on connections of its own, one round trip to
// take it and one to release it: "ms <lock key> <n> T<lock_timeout> ME c"
// adds the lock item (atomic: one client wins) holding a random token and
// returns its CAS id, and "md <lock key> C<id>" deletes it only if it still
// has that id, so a slow holder whose lock expired cannot release the lock
// of the next holder; its Unlock reports region.ErrLockLost instead. A
// holder that dies frees its key after lock_timeout. TryLock of a held
// lock (by anyone, this mutex included) is false, nil. Waiters poll with a
// jittered backoff whose longest wait is lock_sleep (the first is
// lock_sleep/16) and stop when their context is done. A release runs even
// when its caller's context is done, bounded by driver.UnlockContext (the
// caller's deadline plus driver.UnlockGrace), so a hung server does not
// hold the caller for the driver's timeouts.
//
// # Compare-and-set
//
// Driver (and LockingDriver) implements driver.CASDriver, so
// region.CompareAndSet, region.Update and the dogpile session backend's
// saves are checked by memcached itself, for every process using the
// servers: GetCAS is one "gets" round trip, which returns the value and the
// item's CAS id (memcached gives an item a new one at every write);
// CompareAndSet is one "cas" round trip with that id, or one "add" for a
// key that was read as absent. A write, delete, eviction or expiry in
// between makes it fail with an error wrapping region.ErrConflict. A server
// started with -C (CAS disabled) cannot do this: GetCAS then fails with
// ErrCASDisabled.
//
// # Failures
//
// An operation on an unreachable or hung server fails with an error
// wrapping the network error after about timeout, twice it at most
// (connection refused fails at once); it never hangs or panics, and the
// driver reconnects by itself when the server is back. A value over the server's item size
// limit (memcached -I, 1 MiB by default) fails with an error wrapping
// region.ErrValueTooLarge. gomemcache takes no context, so the context of
// an operation is checked before each round trip, and a round trip that
// has started is bounded by timeout instead.
package memcached
