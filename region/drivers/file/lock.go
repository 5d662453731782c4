package file

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/gosess/gosess/internal/backoff"
	"github.com/gosess/gosess/internal/flock"
	"github.com/gosess/gosess/region/driver"
)

// Mutex returns an unlocked mutex for key (driver.Locker). With the
// distributed lock on (the default) it is a flock(2) on the file
// Dir/locks/<sha256 of key>, which excludes every holder on the host: other
// processes and other Mutex values of this process alike, since each
// acquisition opens the file anew. A holder that exits or is killed loses
// the lock at once (the kernel drops flocks with the last open descriptor).
// The lock file is removed by Unlock and, when a holder died, by Cleanup.
//
// With Config.DisableDistributedLock the mutex excludes only the callers
// that use this Driver.
func (d *Driver) Mutex(key string) driver.Mutex {
	if d.distLock {
		return &fileMutex{d: d, key: key, path: filepath.Join(d.lockDir, name(key))}
	}
	return &localMutex{d: d, key: key}
}

// waitLock polls try until it succeeds, fails, or ctx (bounded by the
// driver's lock timeout) is done, waiting between attempts as every lock
// waiter does (internal/backoff.ForLockSleep): lock_sleep is the longest
// wait, the first is a sixteenth of it.
func (d *Driver) waitLock(ctx context.Context, key string, try func(context.Context) (bool, error)) error {
	parent := ctx
	if d.lockWait > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, d.lockWait, ErrLockTimeout)
		defer cancel()
	}
	err := backoff.ForLockSleep(d.lockSleep).Poll(ctx, try)
	if err == nil || ctx.Err() == nil {
		return err
	}
	if perr := parent.Err(); perr != nil {
		return fmt.Errorf("file driver: waiting for the lock on key %q: %w", key, perr)
	}
	return fmt.Errorf("file driver: waiting for the lock on key %q after %v: %w", key, d.lockWait, ErrLockTimeout)
}

// fileMutex is the flock-based driver.Mutex.
type fileMutex struct {
	d    *Driver
	key  string
	path string

	mu   sync.Mutex
	held *os.File // the locked lock file, nil when not held
}

// TryLock takes the lock if no one holds it. A lock held by anyone, this
// mutex included, is not free: TryLock then returns false, nil.
func (m *fileMutex) TryLock(ctx context.Context) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held != nil {
		return false, nil // held, by this mutex: not free
	}
	f, err := m.d.lockFile(m.path)
	if err != nil || f == nil {
		return false, err
	}
	m.held = f
	return true, nil
}

// Lock waits for the lock, polling with a bounded backoff, until it is
// acquired, ctx is done or the driver's lock timeout elapses.
func (m *fileMutex) Lock(ctx context.Context) error {
	return m.d.waitLock(ctx, m.key, m.TryLock)
}

// Unlock removes the lock file and releases the flock. A flock does not
// expire (it ends only with its holder's descriptor), so Unlock never
// reports region.ErrLockLost. Removing the file while still holding the
// flock is safe: a waiter that opened the old file checks,
// once it has the flock, that the path still names that file, and retries
// otherwise.
func (m *fileMutex) Unlock(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held == nil {
		return fmt.Errorf("file driver: Unlock on key %q: the lock is not held", m.key)
	}
	f := m.held
	m.held = nil
	rerr := os.Remove(m.path)
	if errors.Is(rerr, fs.ErrNotExist) {
		rerr = nil
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("file driver: unlock %q: %w", m.key, err)
	}
	if rerr != nil {
		return fmt.Errorf("file driver: unlock %q: %w", m.key, rerr)
	}
	return nil
}

// Locked reports whether some holder (in any process) has the lock; the
// region's KeyIsLocked asks it. It probes the lock file with a
// non-blocking flock, so a TryLock racing with the probe may see the lock
// busy for that instant.
func (m *fileMutex) Locked(context.Context) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held != nil {
		return true, nil
	}
	f, err := os.Open(m.path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("file driver: lock state: %w", err)
	}
	defer f.Close()
	free, err := flock.TryLock(f)
	if err != nil {
		return false, fmt.Errorf("file driver: lock state: %w", err)
	}
	return !free, nil
}

// lockFile opens (creating) the lock file at path and flocks it without
// waiting. It returns nil, nil when another holder has it. Once locked it
// checks that path still names the file it locked: Unlock and Cleanup
// remove lock files while holding their flock, and a file removed that way
// must not be mistaken for the lock.
func (d *Driver) lockFile(path string) (*os.File, error) {
	for range 16 {
		// Read-only is enough for flock, so processes of other users that
		// share the directory can lock a file one of them created.
		f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE, d.fileMode)
		if errors.Is(err, fs.ErrNotExist) {
			if err = d.mkdir(d.lockDir); err == nil {
				f, err = os.OpenFile(path, os.O_RDONLY|os.O_CREATE, d.fileMode)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("file driver: lock: %w", err)
		}
		ok, err := flock.TryLock(f)
		if err != nil || !ok {
			f.Close()
			if err != nil {
				return nil, fmt.Errorf("file driver: lock: %w", err)
			}
			return nil, nil
		}
		if sameFile(f, path) {
			return f, nil
		}
		f.Close() // removed by its previous holder: retry on the new file
	}
	return nil, fmt.Errorf("file driver: lock %s: the lock file keeps being replaced", path)
}

// sameFile reports whether path currently names the open file f.
func sameFile(f *os.File, path string) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	pi, err := os.Lstat(path)
	return err == nil && os.SameFile(fi, pi)
}

// localLocks is the per-key, in-process lock table used when the
// distributed lock is off. An entry lives while some mutex uses it.
type localLocks struct {
	mu sync.Mutex
	m  map[string]*localEntry
}

type localEntry struct {
	sem  chan struct{} // capacity 1: full when held
	refs int
}

func (l *localLocks) ref(key string) *localEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*localEntry{}
	}
	e := l.m[key]
	if e == nil {
		e = &localEntry{sem: make(chan struct{}, 1)}
		l.m[key] = e
	}
	e.refs++
	return e
}

func (l *localLocks) unref(key string, e *localEntry) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e.refs--; e.refs == 0 {
		delete(l.m, key)
	}
}

// localMutex is the in-process driver.Mutex used without the distributed
// lock.
type localMutex struct {
	d   *Driver
	key string

	mu   sync.Mutex
	held *localEntry
}

func (m *localMutex) acquire(ctx context.Context, wait bool) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held != nil {
		if wait {
			return false, fmt.Errorf("file driver: Lock on key %q: this mutex already holds the lock", m.key)
		}
		return false, nil // TryLock: held, by this mutex: not free
	}
	e := m.d.local.ref(m.key)
	if wait {
		select {
		case e.sem <- struct{}{}:
		case <-ctx.Done():
			m.d.local.unref(m.key, e)
			return false, nil
		}
	} else {
		select {
		case e.sem <- struct{}{}:
		default:
			m.d.local.unref(m.key, e)
			return false, nil
		}
	}
	m.held = e
	return true, nil
}

// TryLock takes the lock if no caller of this Driver holds it.
func (m *localMutex) TryLock(ctx context.Context) (bool, error) {
	return m.acquire(ctx, false)
}

// Lock waits for the lock until ctx is done or the lock timeout elapses.
func (m *localMutex) Lock(ctx context.Context) error {
	return m.d.waitLock(ctx, m.key, func(ctx context.Context) (bool, error) { return m.acquire(ctx, true) })
}

// Locked reports whether a caller of this Driver holds the lock.
func (m *localMutex) Locked(context.Context) (bool, error) {
	m.d.local.mu.Lock()
	defer m.d.local.mu.Unlock()
	e := m.d.local.m[m.key]
	return e != nil && len(e.sem) == 1, nil
}

// Unlock releases the lock.
func (m *localMutex) Unlock(context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.held == nil {
		return fmt.Errorf("file driver: Unlock on key %q: the lock is not held", m.key)
	}
	<-m.held.sem
	m.d.local.unref(m.key, m.held)
	m.held = nil
	return nil
}
