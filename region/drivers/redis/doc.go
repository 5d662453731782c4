// Package redis is the "redis" region driver, on github.com/redis/go-redis/v9.
// Importing it (with _ if need be) registers the driver:
//
//	import _ "github.com/gosess/gosess/region/drivers/redis"
//
//	err := r.Configure("redis", region.Config{
//		Expiration: 5 * time.Minute,
//		Arguments: map[string]any{
//			"url":              "redis://cache.internal:6379/2",
//			"distributed_lock": true,
//		},
//	})
//
// # Why redis
//
// The in-process default dies with the process and is not shared. A redis
// server (or a sentinel-managed master, or a cluster) is shared by every
// process of a fleet: a value created by one is served to all, the dogpile
// lock can be taken in redis so one process in the fleet regenerates a
// value (distributed_lock), and region invalidation can be stored there
// too (region.SharedInvalidation). Moving a program from "memory" to
// "redis" is a configuration change only.
//
// # What the driver does on the wire
//
//   - Get is GET; a nil reply is region.ErrNotFound.
//   - GetMulti is one MGET on one server. On a cluster the keys are grouped
//     by hash slot and one MGET per slot goes out in one pipeline, which
//     go-redis sends to the owning nodes concurrently. Other client types
//     (a *redis.Ring given as client) get pipelined GETs.
//   - Set is SET key value PX ttl; SetMulti is one pipeline of those. TTLs
//     are in milliseconds, a fraction of a millisecond rounded up; a TTL of
//     0 stores the item without expiry.
//   - Delete is DEL; DeleteMulti is one DEL (one per slot on a cluster).
//   - With distributed_lock, the driver is a driver.Locker: a lock is
//     SET key_prefix + lockkey token NX PX lock_timeout with a random token,
//     where lockkey is the region's name for the lock ("~gs:lock:" + key,
//     in a namespace no caller key reaches), released
//     by a Lua script that deletes the key only if it still holds the token,
//     so a holder whose lock expired cannot release the next holder's lock.
//     A holder that dies leaves a lock that expires after lock_timeout.
//     Waiters poll with a growing, jittered sleep bounded by lock_sleep and
//     honour their context's deadline. TryLock of a held lock is false, nil;
//     the release of a lock that expired meanwhile is region.ErrLockLost;
//     a release on a hung server gives up driver.UnlockGrace after the
//     caller's deadline. A lock cycle (take and release) is two round
//     trips. This is redis-py's Lock, which dogpile.cache uses: a region of
//     region.FormatDogpile names the lock as dogpile does ("_lock" + key),
//     so Go and Python processes exclude each other.
//
// Connection failures are errors returned within the configured timeouts
// (dial_timeout, read_timeout, max_retries, and the context's deadline,
// which go-redis honours); the client reconnects by itself when the server
// is back, so a driver outlives a server restart.
//
// # Compare-and-set
//
// Driver (and LockingDriver) implements driver.CASDriver, so
// region.CompareAndSet, region.Update and the dogpile session backend's
// saves are checked by redis itself, for every client of the server. GetCAS
// is one GET, and its token the SHA-1 of the bytes read, in hex, computed by
// the client. CompareAndSet is one round trip: a Lua script (EVALSHA) that
// reads the key, compares the SHA-1 of what is stored (redis.sha1hex) with
// the token, or checks that the key is absent for the empty token, and only
// then SETs it with PX ttl. redis runs a script without interleaving other
// commands, so the check and the write are atomic. The script touches one
// key, so a cluster runs it on that key's node. The first call after the
// server lost its script cache costs one more round trip (NOSCRIPT, then
// EVAL).
//
// Why a script and a digest: WATCH/MULTI/EXEC would need a connection held
// from the read to the write and three round trips (WATCH and GET,
// MULTI/SET/EXEC, and the release of the watch); the script is one, after
// the read that GetCAS already did. A version counter beside the value
// would change what is stored (a hash, or a second key), which other
// clients of the key, Python dogpile.cache among them, would then have to
// know; the digest compares the value itself. A digest rather than the
// bytes keeps the token at 40 bytes instead of sending the value back a
// second time. Two versions with identical bytes share a token, which is
// harmless: the region stamps every write with its creation time, and
// identical bytes are an identical value. SHA-1's known collisions need
// someone who chooses both colliding values, which a reader of the key does
// not get to do.
//
// # Arguments
//
// Arguments of region.Config.Arguments (or "arguments.*" keys of a flat
// config). Durations are a time.Duration, a number of seconds, or a Go
// duration string ("250ms"). Unknown arguments are an error.
//
// Where the server is (one of url, addrs, host/port or client):
//
//	url                    string  redis://[user:password@]host[:port][/db][?go-redis options],
//	                               rediss:// for TLS, unix:///path.sock. One server.
//	                               Default: none (addrs).
//	addrs                  list    host:port list or comma-separated string. One address: one
//	                               server; several: a cluster's seed nodes; with master_name:
//	                               the sentinels. Default 127.0.0.1:6379
//	                               (127.0.0.1:26379 with master_name).
//	host, port             string, int  dogpile's way to name one server. Defaults
//	                               "localhost", 6379.
//	cluster                bool    cluster mode with one seed address. Default false.
//	master_name            string  sentinel master name: a failover client. Default none.
//	sentinel_username      string  user for the sentinels. Default none.
//	sentinel_password      string  password for the sentinels. Default none.
//	client                 redis.UniversalClient  a client you built; the driver does not
//	                               close it and no connection argument may be given with it.
//
// Connection settings (not with client; db, username, password and tls not
// with url, which carries them):
//
//	db                     int       database number; 0 on a cluster. Default 0.
//	username, password     string    AUTH credentials. Default none.
//	tls                    bool      TLS with system roots, TLS 1.2+. Default false.
//	tls_config             *tls.Config  TLS settings (private CA, client certs); implies
//	                                 tls. With url, only with rediss://. Default none.
//	dial_timeout           duration  per connection attempt. Default 2s.
//	read_timeout           duration  per reply. Default 2s.
//	write_timeout          duration  per command write. Default read_timeout.
//	socket_timeout         duration  dogpile's name: default of read_timeout and
//	                                 write_timeout.
//	pool_size              int       connections per server. Default 10 × GOMAXPROCS.
//	max_retries            int       retries of a command failed on the network;
//	                                 negative: none. Default 1.
//
// Keys, TTL and locking:
//
//	key_prefix             string    prepended to every key (data and lock). Default "".
//	                                 Refused under region.FormatDogpile (use a key mangler).
//	redis_expiration_time  duration  TTL of every stored item, replacing the region's
//	                                 (expiration + stale window). Default: the region's.
//	distributed_lock       bool      the dogpile lock is taken in redis (the driver is a
//	                                 driver.Locker). Default false.
//	lock_timeout           duration  lifetime of a lock key; a dead holder blocks
//	                                 others at most this long. Default 30s.
//	lock_sleep             duration  longest wait between two attempts to take a busy
//	                                 lock; the first is lock_sleep/16, doubling, with
//	                                 jitter. At least 1ms. Default 100ms.
//	lock_prefix            string    lock key of NewMutex(key) used directly:
//	                                 key_prefix + lock_prefix + key. Default
//	                                 "_lock:". A region names its own lock keys.
//
// The same settings are fields of Config for New, which builds a driver
// directly; RegionDriver then hands a region the driver with or without the
// lock.
package redis
