package file

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gosess/gosess/internal/atomicfile"
	"github.com/gosess/gosess/internal/backoff"
	"github.com/gosess/gosess/internal/flock"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

var _ driver.CASDriver = (*Driver)(nil)

// writeStripes is the number of write locks: a key's write lock is the
// file Dir/locks/write-<first two hex digits of its entry name>, shared by
// the keys of one fan-out directory. The files are created once and kept:
// creating and removing a lock file per write would cost as much as the
// write itself, and a file per key would grow with the keys.
const writeLockPrefix = "write-"

// writeWait spaces the attempts to take a write lock. Write locks are
// held for one file write (an fsync at most), so a waiter retries soon.
var writeWait = backoff.Policy{First: 50 * time.Microsecond, Max: 2 * time.Millisecond}

// GetCAS implements driver.CASDriver: Get, plus a token naming the entry
// file read (the SHA-256 of its header, key and value, so that any write,
// even of the same value with another expiry, changes it). It takes no
// lock: entries are replaced by rename, so a read sees one whole file.
func (d *Driver) GetCAS(ctx context.Context, key string) ([]byte, driver.CASToken, error) {
	if err := ctx.Err(); err != nil {
		return nil, "", err
	}
	v, entry, err := d.get(key)
	if err != nil {
		return nil, "", err
	}
	if v == nil {
		return nil, "", fmt.Errorf("file driver: key %q: %w", key, region.ErrNotFound)
	}
	return v, entryToken(entry), nil
}

func entryToken(entry []byte) driver.CASToken {
	sum := sha256.Sum256(entry)
	return driver.CASToken(sum[:])
}

// CompareAndSet implements driver.CASDriver under the key's write lock, a
// flock(2) on a file under Dir/locks that every Set, Delete and
// CompareAndSet of the key takes, in every process using Dir (one of 256,
// chosen by the key's hash): it reads the
// entry, compares its token (an absent or expired entry matches only the
// empty token) and writes value as Set does (temporary file, rename). A
// mismatch is an error wrapping region.ErrConflict.
func (d *Driver) CompareAndSet(ctx context.Context, key string, token driver.CASToken, value []byte, ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("%w: file driver: negative ttl %v", region.ErrInvalidArgument, ttl)
	}
	if err := checkKey(key); err != nil {
		return err
	}
	unlock, err := d.lockWrites(ctx, key)
	if err != nil {
		return err
	}
	defer unlock()
	_, entry, err := d.get(key)
	if err != nil {
		return err
	}
	var cur driver.CASToken
	if entry != nil {
		cur = entryToken(entry)
	}
	if cur != token {
		return fmt.Errorf("file driver: compare and set %q: %w", key, region.ErrConflict)
	}
	dir, err := d.write(key, value, d.expiry(ttl))
	if err != nil {
		return err
	}
	if d.sync {
		if err := atomicfile.SyncDir(dir); err != nil {
			return fmt.Errorf("file driver: compare and set: %w", err)
		}
	}
	return nil
}

// lockWrites takes the write lock of key, waiting (as ctx allows) while
// another writer holds it, and returns its release. The lock is a flock on
// the key's stripe file (see writeLockPrefix), held for one file write;
// without flock(2) it is an in-process lock.
func (d *Driver) lockWrites(ctx context.Context, key string) (func(), error) {
	stripe := writeLockPrefix + name(key)[:2]
	if !flock.Supported {
		m := &localMutex{d: d, key: stripe}
		if err := m.Lock(ctx); err != nil {
			return nil, err
		}
		return func() { _ = m.Unlock(context.Background()) }, nil
	}
	path := filepath.Join(d.lockDir, stripe)
	var f *os.File
	err := writeWait.Poll(ctx, func(context.Context) (bool, error) {
		var err error
		f, err = d.lockFile(path)
		return f != nil, err
	})
	if err != nil {
		return nil, fmt.Errorf("file driver: write lock of key %q: %w", key, err)
	}
	return func() { _ = f.Close() }, nil
}
