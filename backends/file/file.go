// Package file is the session backend that keeps one file per session in
// a directory on local disk, for single-server deployments that want
// sessions to survive restarts without a cache server.
//
// Importing the package registers the backend as "file":
//
//	import _ "github.com/gosess/gosess/backends/file"
//
//	err := maker.Configure(session.Settings{"backend": "file", "dir": "/var/lib/app/sessions", ...})
//
// Settings of this backend:
//
//	dir         string, required: the directory of the session files.
//	            It is created with mode 0700 when missing; an existing
//	            directory that its group or others can access is refused
//	            (chmod 700 it).
//	sync        bool, default true: fsync each new file (and the
//	            directory) before and after the rename, so a save that
//	            returned survives a crash or power loss. It costs a disk
//	            flush per save (about 2 ms on ext4); false keeps writes
//	            atomic but lets a crash lose the latest saves.
//	lock_sleep  duration, default 20ms: the longest wait between two
//	            attempts to take a session's lock that another process
//	            holds (the waits start at lock_sleep/16 and double,
//	            jittered), as the drivers' lock_sleep
//
// Files are named after the session id (ids are checked to be base64url,
// so no id can name a path outside the directory) and created with mode
// 0600. Every write goes to a temporary file that is synced and then
// renamed over the old one, so a reader sees the old or the new session,
// never half of one, and a crash leaves no torn file. Saves and deletes
// of an id hold an exclusive flock(2) on one of 256 lock files (chosen by
// the id), so processes sharing the directory (several workers, `gosess
// sessions gc`) detect concurrent writers too; on platforms without
// flock only goroutines of one process are serialized.
//
// Files are not evicted on their own: an expired file is ignored by Load
// and removed by Cleanup (Maker.Cleanup, `gosess sessions gc`), which
// should run periodically.
//
// The backend is a session.UserStore: the session layer's record of each
// user (for Session.SetUser, Maker.UserSessions and Maker.RevokeUser) is
// a file in the .users subdirectory, named after the SHA-256 of the user
// id, changed under the same flock as the sessions (so processes sharing
// the directory lose no update), and removed by Cleanup once the
// sessions it indexes have all ended.
package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gosess/gosess/internal/atomicfile"
	"github.com/gosess/gosess/internal/backoff"
	"github.com/gosess/gosess/internal/dirprobe"
	"github.com/gosess/gosess/internal/flock"
	"github.com/gosess/gosess/session"
)

// Name is the name the backend registers under.
const Name = "file"

const (
	fileSuffix = ".session"
	tempPrefix = ".tmp-"
	lockDir    = ".locks"
	usersDir   = ".users"
	lockShards = 256
	// staleTemp is the age after which Cleanup removes temporary files
	// left behind by a crashed writer.
	staleTemp = time.Hour
)

// ErrDirPerm is returned by Open for a directory that its group or others
// can access.
var ErrDirPerm = errors.New("file session backend: directory permissions too open")

// ErrInvalidID is returned for a session id that is not base64url (it
// could otherwise name a path outside the directory).
var ErrInvalidID = errors.New("file session backend: invalid session id")

func init() { session.RegisterBackend(Name, factory) }

func factory(cfg session.BackendConfig) (session.Backend, error) {
	dir := cfg.Args.String("dir", "")
	if dir == "" {
		cfg.Args.Fail("dir", "required: the directory for session files")
	}
	noSync := !cfg.Args.Bool("sync", true)
	lockSleep := cfg.Args.Duration("lock_sleep", DefaultLockSleep)
	if lockSleep <= 0 {
		cfg.Args.Fail("lock_sleep", "must be positive, got %v", lockSleep)
	}
	if err := cfg.Args.Err(); err != nil {
		return nil, err
	}
	return Open(dir, Options{Now: cfg.Now, NoSync: noSync, LockSleep: lockSleep})
}

// Options tunes Open. The zero value is the default.
type Options struct {
	// Now is the clock that expiry is judged by. Default: the clock of
	// the Maker the backend is given to (time.Now unless
	// session.WithClock), or time.Now for a backend used without one.
	Now func() time.Time
	// NoSync skips the fsync calls of each save (the "sync" setting set
	// to false): writes stay atomic, but a crash may lose the latest
	// saves. Default false (sync).
	NoSync bool
	// LockSleep is the longest wait between two attempts to take the lock
	// of a session that another process holds (the "lock_sleep"
	// setting), as for the region drivers' lock_sleep: the first wait is
	// LockSleep/16 and each one doubles, jittered, up to it, so it bounds
	// how late a waiter notices that the lock is free.
	// Waiting goroutines of one process queue in memory and do not poll.
	// Default DefaultLockSleep (20ms).
	LockSleep time.Duration
}

// DefaultLockSleep is the default of Options.LockSleep.
const DefaultLockSleep = 20 * time.Millisecond

// Backend keeps sessions in files. It implements session.Backend,
// session.Cleaner, session.Lister, session.Pinger, session.Attacher and
// session.Sharer.
type Backend struct {
	dir      string
	now      func() time.Time
	ownClock bool // Options.Now was given
	noSync   bool
	lockWait backoff.Policy
	local    *[lockShards]chan struct{} // in-process side of the shard locks
}

// Open returns a backend for dir, creating it with mode 0700 when missing.
// It fails with ErrDirPerm when dir can be accessed by group or others.
// A program that only cleans up (`gosess sessions gc`) can Open the
// directory and call Cleanup without a Maker.
func Open(dir string, opts Options) (*Backend, error) {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("file session backend: %w", err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("file session backend: %w", err)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("file session backend: %s is not a directory", dir)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 && flock.Supported {
		return nil, fmt.Errorf("%w: %s has mode %#o; sessions are credentials, use mode 0700 (chmod 700 %s)", ErrDirPerm, dir, perm, dir)
	}
	if err := os.Mkdir(filepath.Join(dir, lockDir), 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("file session backend: %w", err)
	}
	sleep := opts.LockSleep
	if sleep <= 0 {
		sleep = DefaultLockSleep
	}
	b := &Backend{dir: dir, now: now, ownClock: opts.Now != nil, noSync: opts.NoSync,
		lockWait: backoff.ForLockSleep(sleep), local: new([lockShards]chan struct{})}
	for i := range b.local {
		b.local[i] = make(chan struct{}, 1)
	}
	return b, nil
}

// Name returns "file", the name the backend registers under.
func (b *Backend) Name() string { return Name }

// Attach implements session.Attacher: a backend opened without a clock
// of its own is returned as a copy on the Maker's clock (sharing the
// directory and the locks).
func (b *Backend) Attach(env session.BackendEnv) (session.Backend, error) {
	if b.ownClock || env.Now == nil {
		return b, nil
	}
	bound := *b
	bound.now = env.Now
	return &bound, nil
}

// Shared implements session.Sharer: true, processes of this host that
// open the same directory share the sessions.
func (b *Backend) Shared() bool { return true }

// Synced reports whether saves are fsynced (the "sync" setting).
func (b *Backend) Synced() bool { return !b.noSync }

// Dir returns the directory of the session files.
func (b *Backend) Dir() string { return b.dir }

func (b *Backend) path(id string) (string, error) {
	if !session.ValidID(id) {
		return "", fmt.Errorf("%w: %q", ErrInvalidID, trunc(id))
	}
	return filepath.Join(b.dir, id+fileSuffix), nil
}

func trunc(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// Load implements session.Backend. A file whose record has expired is
// reported as ErrNotFound (Cleanup removes it); so is a file that does not
// hold a record (truncated or damaged on disk), with an error that also
// wraps session.ErrBadRecord and names the file: the Maker starts a new
// session and logs why, and Cleanup removes the file.
func (b *Backend) Load(ctx context.Context, id string) (session.Record, error) {
	p, err := b.path(id)
	if err != nil {
		return session.Record{}, err
	}
	return b.readRecord(p)
}

// readRecord reads the record file p (a session's or a user's):
// session.ErrNotFound when there is none or it has expired, and also
// (wrapping session.ErrBadRecord, naming the file) when it is damaged.
func (b *Backend) readRecord(p string) (session.Record, error) {
	var rec session.Record
	raw, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return rec, session.ErrNotFound
	}
	if err != nil {
		return rec, fmt.Errorf("file session backend: %w", err)
	}
	if err := rec.UnmarshalBinary(raw); err != nil {
		return rec, fmt.Errorf("%w: file session backend: %s: %w", session.ErrNotFound, p, err)
	}
	if rec.ExpiredAt(b.now()) {
		return rec, session.ErrNotFound
	}
	return rec, nil
}

// Save implements session.Backend: under the id's lock, it compares the
// Version of the stored record with base's (session.CheckBase) and
// replaces the file. ttl is not used: the record's Expires is kept in the
// file and judged by Load and Cleanup.
func (b *Backend) Save(ctx context.Context, id string, rec session.Record, base *session.Record, _ time.Duration) error {
	raw, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	return b.locked(ctx, id, func(p string) error {
		cur, loadErr := b.Load(ctx, id)
		if err := session.CheckBase(cur, loadErr, base); err != nil {
			return err
		}
		return b.writeAtomic(p, raw)
	})
}

// writeAtomic replaces p with data (atomicfile.Write, through a temporary
// file in the backend's directory, where Cleanup finds those a crashed
// writer left; fsynced unless NoSync), then syncs the directory, as a best
// effort that makes the rename durable where the system supports it.
func (b *Backend) writeAtomic(p string, data []byte) error {
	if err := atomicfile.Write(p, atomicfile.Options{TempDir: b.dir, TempPrefix: tempPrefix, Sync: !b.noSync}, data); err != nil {
		return fmt.Errorf("file session backend: %w", err)
	}
	if !b.noSync {
		_ = atomicfile.SyncDir(b.dir) // best effort
	}
	return nil
}

// Delete implements session.Backend: under the id's lock, after comparing
// the stored record's Version with base's when base is given.
func (b *Backend) Delete(ctx context.Context, id string, base *session.Record) error {
	return b.locked(ctx, id, func(p string) error {
		if base != nil {
			cur, loadErr := b.Load(ctx, id)
			if err := session.CheckBase(cur, loadErr, base); err != nil {
				return err
			}
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("file session backend: %w", err)
		}
		return nil
	})
}

// Ping implements session.Pinger: it creates and removes a temporary file
// in the directory, which fails when the directory is gone, read-only or
// not writable by this process.
func (b *Backend) Ping(ctx context.Context) error {
	if err := dirprobe.Writable(ctx, b.dir, tempPrefix+"ping-*"); err != nil {
		return fmt.Errorf("file session backend: %w", err)
	}
	return nil
}

// Exists implements session.Backend (an expired file does not count).
func (b *Backend) Exists(ctx context.Context, id string) (bool, error) {
	_, err := b.Load(ctx, id)
	return session.ExistsFromLoad(err)
}
