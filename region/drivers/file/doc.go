// Package file is the "file" region driver: a cache kept in a directory on
// local disk, one file per key, that several processes on one host can
// share. It is dogpile.cache's dbm backend done so that sharing is safe:
// writes are atomic, readers never see a torn value, and the dogpile lock
// is a lock per key across processes instead of one lock for the store.
//
// Importing the package registers the driver as "file":
//
//	import _ "github.com/gosess/gosess/region/drivers/file"
//
//	err := r.Configure("file", region.Config{
//		Expiration: 10 * time.Minute,
//		Arguments:  map[string]any{"dir": "/var/cache/myapp"},
//	})
//
// or build one with New(Config{Dir: ...}) and hand it to
// (*region.Region).ConfigureDriver.
//
// # Arguments
//
// Each argument maps onto a Config field, where its default is documented:
//
//	dir               required. The cache directory; created (with parents,
//	                  dir_mode) when absent.
//	cleanup_interval  default 600 (10 minutes). How often a background
//	                  goroutine removes expired entries, stale temporary files
//	                  and abandoned lock files; 0 turns it off. Seconds or a
//	                  Go duration ("30s").
//	distributed_lock  default true. The dogpile lock is a flock(2) on a
//	                  per-key lock file, shared by every process using dir.
//	                  false: the lock only excludes callers in this process.
//	lock_timeout      default 0 (no limit beyond the context). The longest a
//	                  waiter waits for the lock; then it fails with
//	                  ErrLockTimeout.
//	lock_sleep        default 10ms. The longest wait between two attempts to
//	                  take a busy lock; the first is lock_sleep/16, doubling,
//	                  jittered (the same meaning in every driver).
//	file_mode         default 0600. Permission of entry and lock files (an
//	                  integer, or an octal string such as "0640").
//	dir_mode          default 0700. Permission of directories created.
//	sync              default true. fsync each new file before renaming it
//	                  into place, and its directory after.
//	logger            default: the region's logger (region.WithLogger), else
//	                  slog.Default(). A *slog.Logger for background
//	                  cleanup failures (warn) and corrupt files (debug).
//
// An unknown argument is an error, as with every driver.
//
// # Layout and file format
//
//	dir/data/ab/ab12…(64 hex digits)   one entry: the hex SHA-256 of its key,
//	                                    under a fan-out directory named after
//	                                    the first two digits
//	dir/data/ab/.tmp-…                 a write in progress
//	dir/locks/ab12…                     the lock file of a key while locked
//	dir/locks/write-ab                  the write lock of the keys in data/ab
//
// File names come only from the key's hash, so no key, whatever bytes it
// holds ("../../etc/passwd", slashes, NUL, megabytes), can name a path
// outside dir. The key itself is kept inside the file, which lets Keys
// list entries and lets a read tell a hash collision from a hit.
//
// An entry file is a 32-byte header, the key, then the value. The header
// holds the magic "GSFC", the format version (1), the expiry in Unix
// nanoseconds (0 = none), the key and value lengths and a CRC-32C of
// header, key and value. A file whose size, version or checksum does not
// match is read as a miss (region.ErrNotFound), never as an error and
// never as a partial value. Entries of a newer format version are treated
// as misses and left alone by Cleanup.
//
// # Crash safety
//
// Set writes a temporary file in the entry's own directory, fsyncs it,
// renames it over the entry and fsyncs the directory. Rename is atomic, so
// a reader in any process sees the old value or the new one; a writer
// killed at any point leaves the old value (or none) plus, at worst, a
// temporary file that Cleanup removes once its writer is gone. With
// sync=false a killed process is still harmless; only a power loss may then
// lose recent writes or leave a damaged file, which the checksum turns into
// a miss.
//
// # Expiry and cleanup
//
// The TTL the region passes to Set is stored as an absolute expiry in the
// header; a Get at or after it is a miss. Expired files stay on disk until
// Cleanup removes them: on demand (Driver.Cleanup) or every
// cleanup_interval in a goroutine that Close stops. Several processes may
// clean the same directory at once.
//
// # Locks
//
// Driver implements driver.Locker. With the distributed lock (the default)
// Mutex(key) is a flock on dir/locks/<hash of key>: TryLock asks the kernel
// without waiting (false, nil when held, by anyone), Lock polls with a
// backoff bounded by lock_sleep and honours its context and lock_timeout.
// A flock does not expire, so an Unlock never reports region.ErrLockLost. flock locks belong to an open file, so two
// Mutex values of one process exclude each other just as two processes do.
// The kernel releases the lock the moment its holder exits or is killed,
// so a crashed creator never blocks the others. Lock files are removed on
// Unlock, and by Cleanup when a holder died; both remove a file only while
// holding its lock, and lockers verify after locking that the file is still
// the one at the path, so removal never lets two holders in. flock is local
// to a host: do not share dir over NFS between hosts.
//
// # Compare-and-set
//
// Driver implements driver.CASDriver, for every process on the host that
// uses dir. GetCAS reads the entry as Get does (no lock: entries are
// replaced by rename, so a read sees one whole file) and names it by the
// SHA-256 of the entry file. CompareAndSet takes the key's write lock (a
// flock on dir/locks/write-XX, one of 256 files shared by the keys whose
// entries live in the fan-out directory XX, distinct from the dogpile
// locks), reads the entry again, and writes the new value as Set does only
// if the token still names it. Set and Delete take the same write lock, so
// no write falls between another writer's compare and its rename, and a
// deleted key is never brought back. A write lock is held for one file
// write; waiters poll it with a short backoff (50µs growing to 2ms) and
// honour their context. The 256 lock files are created on first use and
// kept. On a platform without flock(2) the write lock excludes the callers
// of one Driver only.
//
// # Sharing and invalidation
//
// Two Driver values (in one process or many) on the same dir see each
// other's writes at once. With region.SharedInvalidation the invalidation
// record is an entry like any other, so Invalidate in one process is seen
// by the others. Give each region its own dir (or key prefix): the driver
// does not separate regions.
package file
