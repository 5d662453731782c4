package file

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"log/slog"
	"maps"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gosess/gosess/internal/atomicfile"
	"github.com/gosess/gosess/internal/flock"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// Defaults of Config and of the driver arguments.
const (
	// DefaultCleanupInterval is how often the background cleanup runs when
	// Config.CleanupInterval is 0 (argument cleanup_interval absent).
	DefaultCleanupInterval = 10 * time.Minute
	// DefaultFileMode is the permission of entry and lock files when
	// Config.FileMode is 0.
	DefaultFileMode fs.FileMode = 0o600
	// DefaultDirMode is the permission of the directories the driver
	// creates when Config.DirMode is 0.
	DefaultDirMode fs.FileMode = 0o700
	// DefaultLockSleep is the longest wait between two attempts to take a
	// busy lock when Config.LockSleep is 0. Locks are local to the host,
	// so polling them often is cheap.
	DefaultLockSleep = 10 * time.Millisecond
)

// ErrLockTimeout is returned (wrapped) by Mutex.Lock when Config.LockTimeout
// elapsed before the lock was free. It also matches
// context.DeadlineExceeded with errors.Is.
var ErrLockTimeout = fmt.Errorf("file: lock_timeout elapsed waiting for the lock: %w", context.DeadlineExceeded)

// Config configures a Driver. The zero value of every field except Dir
// means its documented default. The driver arguments (see the package
// documentation) map onto these fields.
type Config struct {
	// Dir is the cache directory. Required. It is created, with its
	// parents, with DirMode when absent. Every process that uses the same
	// Dir shares the entries, the locks and the cleanup. Argument "dir".
	Dir string

	// CleanupInterval is how often a background goroutine runs Cleanup.
	// 0 means DefaultCleanupInterval (10 minutes); a negative value turns
	// the background cleanup off (Cleanup can still be called). The
	// goroutine stops on Close. Argument "cleanup_interval" (seconds or a
	// Go duration; "0" turns it off).
	CleanupInterval time.Duration

	// DisableDistributedLock makes Mutex return a lock that only excludes
	// callers in this process (per Driver). By default (false) Mutex locks
	// a per-key file under Dir/locks with flock(2), which excludes every
	// process on the host that uses Dir. Argument "distributed_lock"
	// (default true; false sets this field).
	DisableDistributedLock bool

	// LockTimeout bounds how long Mutex.Lock waits for another holder;
	// after it Lock fails with ErrLockTimeout. 0 (the default) waits as
	// long as the context allows. A holder that dies never needs it: the
	// kernel drops its flock at once. Argument "lock_timeout".
	LockTimeout time.Duration

	// LockSleep is the longest wait between two attempts of Mutex.Lock to
	// take a busy lock, and so the longest a waiter can be late in noticing
	// a release. The first wait is LockSleep/16; waits double up to
	// LockSleep, jittered (internal/backoff.ForLockSleep, the same meaning
	// in every driver). 0 means DefaultLockSleep (10ms). Argument
	// "lock_sleep".
	LockSleep time.Duration

	// FileMode is the permission of entry and lock files. 0 means
	// DefaultFileMode (0600). Only permission bits are allowed, and the
	// owner must keep read and write. Argument "file_mode" (an integer, or
	// an octal string such as "0640").
	FileMode fs.FileMode

	// DirMode is the permission of directories the driver creates
	// (Dir itself when absent, data/, locks/ and the fan-out directories).
	// 0 means DefaultDirMode (0700). The owner must keep rwx. Argument
	// "dir_mode" (an integer, or an octal string such as "0750").
	DirMode fs.FileMode

	// NoSync skips fsync. By default (false) a write fsyncs the new file
	// before renaming it into place and fsyncs the directory after, so a
	// value that Set returned for survives a power loss. Without fsync a
	// killed process still never leaves a torn value (rename is atomic),
	// and a torn file after a power loss is caught by the checksum and
	// read as a miss. Argument "sync" (default true; false sets this).
	NoSync bool

	// Logger receives the errors of the background cleanup (at warn
	// level) and, at debug level, corrupt files found by reads. nil means
	// slog.Default(). Argument "logger" (a *slog.Logger).
	Logger *slog.Logger
}

// Driver is the file driver: one file per key in a directory that several
// processes on one host may share. It implements driver.Driver,
// driver.Locker and io.Closer, and offers Cleanup and Keys. Create it with
// New or through the region registry as "file".
type Driver struct {
	dir       string
	dataDir   string
	lockDir   string
	fileMode  fs.FileMode
	dirMode   fs.FileMode
	sync      bool
	distLock  bool
	lockWait  time.Duration
	lockSleep time.Duration
	log       *slog.Logger
	now       func() time.Time

	local localLocks

	closeOnce sync.Once
	stop      context.CancelFunc
	done      chan struct{}
}

func init() {
	region.RegisterDriver("file", factory)
}

// factory builds a Driver from region driver arguments.
func factory(info driver.Info, args *driver.Arguments) (driver.Driver, error) {
	var c Config
	c.Logger = info.Logger // the region's, unless the "logger" argument says otherwise
	c.Dir = args.String("dir", "")
	if args.Has("cleanup_interval") {
		if c.CleanupInterval = args.Duration("cleanup_interval", DefaultCleanupInterval); c.CleanupInterval == 0 {
			c.CleanupInterval = -1
		}
	}
	c.DisableDistributedLock = !args.Bool("distributed_lock", true)
	c.LockTimeout = args.Duration("lock_timeout", 0)
	c.LockSleep = args.Duration("lock_sleep", 0)
	c.FileMode = modeArg(args, "file_mode")
	c.DirMode = modeArg(args, "dir_mode")
	c.NoSync = !args.Bool("sync", true)
	if v, ok := args.Any("logger"); ok {
		if l, isLogger := v.(*slog.Logger); isLogger {
			c.Logger = l
		} else {
			args.Fail("logger", "cannot use %T, want a *slog.Logger", v)
		}
	}
	if err := args.Err(); err != nil {
		return nil, err
	}
	if c.Dir == "" {
		return nil, fmt.Errorf("%w: driver \"file\" needs argument \"dir\" (the cache directory)", region.ErrInvalidArgument)
	}
	return New(c)
}

// modeArg reads a permission argument: an integer or fs.FileMode as is, a
// string as octal ("0640", "640", "0o640").
func modeArg(args *driver.Arguments, name string) fs.FileMode {
	v, ok := args.Any(name)
	if !ok {
		return 0
	}
	switch x := v.(type) {
	case fs.FileMode:
		return x
	case int:
		if x >= 0 && x <= math.MaxUint32 {
			return fs.FileMode(x)
		}
	case int64:
		if x >= 0 && x <= math.MaxUint32 {
			return fs.FileMode(x)
		}
	case uint32:
		return fs.FileMode(x)
	case string:
		s := strings.TrimPrefix(strings.TrimPrefix(strings.TrimSpace(x), "0o"), "0O")
		if n, err := strconv.ParseUint(s, 8, 32); err == nil {
			return fs.FileMode(n)
		}
	}
	args.Fail(name, "cannot use %#v as a permission (an integer, or an octal string such as \"0600\")", v)
	return 0
}

// New opens (creating when absent) the cache directory c.Dir and returns
// its driver. It fails with region.ErrInvalidArgument for a bad Config and
// with the file system's error when the directories cannot be created.
// Close the driver to stop its background cleanup.
func New(c Config) (*Driver, error) {
	return newDriver(c, time.Now)
}

// newDriver is New with the clock that expiry uses (tests set a fake one).
func newDriver(c Config, now func() time.Time) (*Driver, error) {
	if c.Dir == "" {
		return nil, fmt.Errorf("%w: file driver: Config.Dir (argument \"dir\") is required", region.ErrInvalidArgument)
	}
	if c.FileMode == 0 {
		c.FileMode = DefaultFileMode
	}
	if c.DirMode == 0 {
		c.DirMode = DefaultDirMode
	}
	if c.FileMode&^fs.ModePerm != 0 || c.FileMode&0o600 != 0o600 {
		return nil, fmt.Errorf("%w: file driver: file mode %#o must be permission bits that include 0600", region.ErrInvalidArgument, uint32(c.FileMode))
	}
	if c.DirMode&^fs.ModePerm != 0 || c.DirMode&0o700 != 0o700 {
		return nil, fmt.Errorf("%w: file driver: dir mode %#o must be permission bits that include 0700", region.ErrInvalidArgument, uint32(c.DirMode))
	}
	if c.LockTimeout < 0 || c.LockSleep < 0 {
		return nil, fmt.Errorf("%w: file driver: negative lock timeout (%v) or lock sleep (%v)", region.ErrInvalidArgument, c.LockTimeout, c.LockSleep)
	}
	if c.LockSleep == 0 {
		c.LockSleep = DefaultLockSleep
	}
	if !c.DisableDistributedLock && !flock.Supported {
		return nil, fmt.Errorf("%w: file driver: distributed_lock needs flock(2), which %s lacks; set distributed_lock=false",
			region.ErrInvalidArgument, runtime.GOOS)
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, fmt.Errorf("file driver: dir %q: %w", c.Dir, err)
	}
	d := &Driver{
		dir:       dir,
		dataDir:   filepath.Join(dir, "data"),
		lockDir:   filepath.Join(dir, "locks"),
		fileMode:  c.FileMode,
		dirMode:   c.DirMode,
		sync:      !c.NoSync,
		distLock:  !c.DisableDistributedLock,
		lockWait:  c.LockTimeout,
		lockSleep: c.LockSleep,
		log:       c.Logger,
		now:       now,
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	for _, p := range []string{dir, d.dataDir, d.lockDir} {
		if err := d.mkdir(p); err != nil {
			return nil, err
		}
	}
	interval := c.CleanupInterval
	if interval == 0 {
		interval = DefaultCleanupInterval
	}
	if interval > 0 {
		ctx, cancel := context.WithCancel(context.Background())
		d.stop, d.done = cancel, make(chan struct{})
		go d.cleanupLoop(ctx, interval)
	}
	return d, nil
}

// mkdir creates p (and parents) with the driver's DirMode, applied exactly
// (the umask does not narrow it) to the directories it creates.
func (d *Driver) mkdir(p string) error {
	if fi, err := os.Stat(p); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("file driver: %s exists and is not a directory", p)
		}
		return nil
	}
	if err := os.MkdirAll(p, d.dirMode); err != nil {
		return fmt.Errorf("file driver: create directory: %w", err)
	}
	if err := os.Chmod(p, d.dirMode); err != nil {
		return fmt.Errorf("file driver: chmod directory: %w", err)
	}
	return nil
}

// Dir returns the absolute path of the cache directory.
func (d *Driver) Dir() string { return d.dir }

// Close stops the background cleanup and waits for a running pass to
// finish. It is idempotent and always returns nil. The driver still works
// after Close (every operation is a plain file operation); only the
// background work stops.
func (d *Driver) Close() error {
	d.closeOnce.Do(func() {
		if d.stop != nil {
			d.stop()
			<-d.done
		}
	})
	return nil
}

// name returns the hex SHA-256 of key: the entry and lock file name. No
// key, whatever bytes it holds, can name a path outside the directory.
func name(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// entryPath returns the fan-out directory and the file path of key's entry.
func (d *Driver) entryPath(key string) (dir, path string) {
	n := name(key)
	dir = filepath.Join(d.dataDir, n[:2])
	return dir, filepath.Join(dir, n)
}

func checkKey(key string) error {
	if uint64(len(key)) > math.MaxUint32 {
		return fmt.Errorf("%w: file driver: key of %d bytes is too long", region.ErrInvalidArgument, len(key))
	}
	return nil
}

// Get returns the value of key. An absent, expired, truncated or corrupt
// entry is region.ErrNotFound; only a failing file system is an error.
func (d *Driver) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, _, err := d.get(key)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, fmt.Errorf("file driver: key %q: %w", key, region.ErrNotFound)
	}
	return v, nil
}

// get returns the value of key and the whole entry file it was read from
// (header, key and value; the value is a part of it), or nil, nil, nil on
// a miss.
func (d *Driver) get(key string) (value, entry []byte, err error) {
	_, path := d.entryPath(key)
	f, err := openExisting(path)
	if f == nil {
		if err != nil {
			err = fmt.Errorf("file driver: get: %w", err)
		}
		return nil, nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("file driver: get: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("file driver: get: %s is not a regular file", path)
	}
	size := fi.Size()
	var hb [headerLen]byte
	if _, err := io.ReadFull(f, hb[:]); err != nil {
		return nil, nil, d.readErr(path, err)
	}
	h, ok := decodeHeader(hb[:])
	if !ok || h.version != formatVersion || h.size() != size {
		// Not a complete entry of this format version. The header is
		// checked before allocating, so a damaged length never makes us
		// allocate more than the file holds.
		d.corrupt(path, "bad header or size")
		return nil, nil, nil
	}
	if h.keyLen != uint64(len(key)) {
		return nil, nil, nil // another key with the same hash: not ours
	}
	if h.expired(d.now().UnixNano()) {
		return nil, nil, nil
	}
	b := make([]byte, size)
	copy(b, hb[:])
	if _, err := io.ReadFull(f, b[headerLen:]); err != nil {
		return nil, nil, d.readErr(path, err)
	}
	_, k, v, ok := decodeEntry(b)
	if !ok {
		d.corrupt(path, "checksum mismatch")
		return nil, nil, nil
	}
	if string(k) != key {
		return nil, nil, nil // another key with the same hash: not ours
	}
	return v, b, nil
}

// readErr turns a short read (a file shorter than its header says; entries
// are renamed into place whole, so only damage does that) into a miss and
// anything else into an error.
func (d *Driver) readErr(path string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		d.corrupt(path, "truncated")
		return nil
	}
	return fmt.Errorf("file driver: get: %w", err)
}

func (d *Driver) corrupt(path, why string) {
	d.log.Debug("file driver: unreadable entry treated as a miss", "path", path, "reason", why)
}

// Set stores value under key with the given ttl (0 = no expiry). The write
// is atomic: readers in any process see the old value or the new one. It
// is made under the key's write lock (see CompareAndSet), so it never
// falls between another writer's compare and its write.
func (d *Driver) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return d.SetMulti(ctx, map[string][]byte{key: value}, ttl)
}

// SetMulti stores every item with the same ttl. Each item is written
// atomically; the batch is not (on error some items may be stored). With
// sync on, the batch shares its directory fsyncs.
func (d *Driver) SetMulti(ctx context.Context, items map[string][]byte, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("%w: file driver: negative ttl %v", region.ErrInvalidArgument, ttl)
	}
	if len(items) == 0 {
		return ctx.Err()
	}
	expiry := d.expiry(ttl)
	return d.changeEach(ctx, maps.Keys(items), "set", func(k string) (string, error) {
		return d.write(k, items[k], expiry)
	})
}

// changeEach runs change on each key under the key's write lock, then,
// with sync on, fsyncs once each directory a change touched (change
// returns it; "" when it changed nothing): a batch shares its directory
// syncs.
func (d *Driver) changeEach(ctx context.Context, keys iter.Seq[string], op string, change func(key string) (dir string, err error)) error {
	dirs := map[string]bool{}
	for k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		unlock, err := d.lockWrites(ctx, k)
		if err != nil {
			return err
		}
		dir, err := change(k)
		unlock()
		if err != nil {
			return err
		}
		if dir != "" {
			dirs[dir] = true
		}
	}
	if d.sync {
		for dir := range dirs {
			if err := atomicfile.SyncDir(dir); err != nil {
				return fmt.Errorf("file driver: %s: %w", op, err)
			}
		}
	}
	return nil
}

// expiry returns the absolute expiry (Unix nanoseconds; 0 = none) of an
// entry written now with ttl.
func (d *Driver) expiry(ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	now := d.now().UnixNano()
	if int64(ttl) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(ttl)
}

// write puts one entry in place with atomicfile.Write: a temporary file
// in the entry's own directory, written, fsynced (with sync on), then
// renamed over the entry. The temporary file is flocked while it exists so
// Cleanup never removes a live writer's file. It returns the directory to
// fsync.
func (d *Driver) write(key string, value []byte, expiry int64) (string, error) {
	if err := checkKey(key); err != nil {
		return "", err
	}
	dir, path := d.entryPath(key)
	err := atomicfile.Write(path, atomicfile.Options{
		TempPrefix: tempPrefix, Mode: d.fileMode, Sync: d.sync, Lock: true, MakeDir: d.mkdir,
	}, encodeHeader(key, value, expiry), value)
	if err != nil {
		return "", fmt.Errorf("file driver: set %q: %w", key, err)
	}
	return dir, nil
}

// Delete removes key. An absent key is not an error.
func (d *Driver) Delete(ctx context.Context, key string) error {
	return d.DeleteMulti(ctx, []string{key})
}

// DeleteMulti removes every key; absent keys are not an error.
func (d *Driver) DeleteMulti(ctx context.Context, keys []string) error {
	return d.changeEach(ctx, slices.Values(keys), "delete", func(k string) (string, error) {
		dir, path := d.entryPath(k)
		err := os.Remove(path)
		if errors.Is(err, fs.ErrNotExist) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("file driver: delete: %w", err)
		}
		return dir, nil
	})
}

var (
	_ driver.Driver       = (*Driver)(nil)
	_ driver.MultiSetter  = (*Driver)(nil)
	_ driver.MultiDeleter = (*Driver)(nil)
	_ driver.Locker       = (*Driver)(nil)
	_ io.Closer           = (*Driver)(nil)
)
