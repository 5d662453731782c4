package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gosess/gosess/internal/flock"
)

// tempPrefix starts the name of every temporary file; entry files are 64
// hex digits, so the two never collide.
const tempPrefix = ".tmp-"

// staleTempAge is how old (by modification time) an unlocked temporary
// file must be before Cleanup removes it. A live writer also holds a flock
// on its temporary file, so this is a second guard, for the instant between
// creating the file and locking it.
var staleTempAge = time.Minute

// cleanupLoop runs Cleanup every interval until ctx is cancelled.
func (d *Driver) cleanupLoop(ctx context.Context, interval time.Duration) {
	defer close(d.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := d.Cleanup(ctx); err != nil && ctx.Err() == nil {
				d.log.Warn("file driver: background cleanup failed", "dir", d.dir, "err", err)
			}
		}
	}
}

// Cleanup makes one pass over the directory and removes: entries past
// their expiry, entries that are not intact (truncated, or a size that
// disagrees with their header), temporary files left by writers that died
// (unlocked and older than a minute), and lock files whose holder died. It
// returns how many files it removed. Files written by a newer format
// version are left alone. It is safe to run while other processes read,
// write and lock, and from several processes at once.
//
// An entry is removed only if its path still names the file that was
// examined, so a value replaced during the pass normally survives; a value
// replaced in the microseconds between that check and the removal can be
// lost, which a reader sees as a miss.
//
// It stops early with ctx's error when ctx is done.
func (d *Driver) Cleanup(ctx context.Context) (removed int, err error) {
	now := d.now()
	fans, err := readDirNames(d.dataDir)
	if err != nil {
		return 0, fmt.Errorf("file driver: cleanup: %w", err)
	}
	var errs []error
	for _, fan := range fans {
		dir := filepath.Join(d.dataDir, fan)
		names, err := readDirNames(dir)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return removed, err
			}
			path := filepath.Join(dir, n)
			var ok bool
			var err error
			if strings.HasPrefix(n, tempPrefix) {
				// Modification times come from the real clock.
				ok, err = removeStaleTemp(path, time.Now())
			} else if isEntryName(n) {
				ok, err = d.removeIfDead(path, now.UnixNano())
			}
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				removed++
			}
		}
	}
	if d.distLock {
		names, err := readDirNames(d.lockDir)
		if err != nil {
			errs = append(errs, err)
		}
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return removed, err
			}
			if !isEntryName(n) {
				continue
			}
			ok, err := removeOrphanLock(filepath.Join(d.lockDir, n))
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				removed++
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("file driver: cleanup: %w", err)
	}
	return removed, nil
}

// openExisting opens path for reading; a file (or directory) that does not
// exist is no error: it returns nil, nil.
func openExisting(path string) (*os.File, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return f, err
}

// readDirNames lists a directory; a missing one is empty.
func readDirNames(dir string) ([]string, error) {
	f, err := openExisting(dir)
	if f == nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	return names, nil
}

// isEntryName reports whether n is 64 lower-case hex digits.
func isEntryName(n string) bool {
	if len(n) != 64 {
		return false
	}
	for i := range len(n) {
		c := n[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// removeIfDead removes the entry at path when it is expired at now or not
// intact. It reads only the header.
func (d *Driver) removeIfDead(path string, now int64) (bool, error) {
	f, err := openExisting(path)
	if f == nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	var hb [headerLen]byte
	_, err = io.ReadFull(f, hb[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return false, err
	}
	h, ok := decodeHeader(hb[:])
	dead := err != nil || !ok // short, or not our format
	if !dead && h.version == formatVersion {
		dead = h.size() != fi.Size() || h.expired(now)
	}
	if !dead || !sameFile(f, path) {
		return false, nil
	}
	return removeFile(path)
}

// removeStaleTemp removes a temporary file whose writer is gone.
func removeStaleTemp(path string, now time.Time) (bool, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, err
	}
	if now.Sub(fi.ModTime()) < staleTempAge {
		return false, nil
	}
	// Temporary names are never reused, and a renamed file no longer has
	// this name, so removing by name cannot hit an entry; where flock(2)
	// exists, a live writer holds the flock of its temporary file.
	if !flock.Supported {
		return removeFile(path)
	}
	return removeUnlocked(path, func(*os.File) bool { return true })
}

// removeOrphanLock removes a lock file nobody holds, as Unlock does: while
// holding its flock, and only if path still names the file locked.
func removeOrphanLock(path string) (bool, error) {
	return removeUnlocked(path, func(f *os.File) bool { return sameFile(f, path) })
}

// removeUnlocked removes path if its flock is free, while holding it, and
// if still(the locked file) holds. A file already gone is not an error.
func removeUnlocked(path string, still func(*os.File) bool) (bool, error) {
	f, err := openExisting(path)
	if f == nil {
		return false, err
	}
	defer f.Close()
	ok, err := flock.TryLock(f)
	if err != nil || !ok || !still(f) {
		return false, err
	}
	return removeFile(path)
}

func removeFile(path string) (bool, error) {
	err := os.Remove(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, err
}

// Keys returns the keys of the entries that are present and not expired,
// sorted. It reads each file's header and key but not its value, so an
// entry whose value is damaged may be listed and still read as a miss.
// It is a snapshot: other processes may change the directory meanwhile.
func (d *Driver) Keys(ctx context.Context) ([]string, error) {
	now := d.now().UnixNano()
	fans, err := readDirNames(d.dataDir)
	if err != nil {
		return nil, fmt.Errorf("file driver: keys: %w", err)
	}
	var keys []string
	for _, fan := range fans {
		dir := filepath.Join(d.dataDir, fan)
		names, err := readDirNames(dir)
		if err != nil {
			return nil, fmt.Errorf("file driver: keys: %w", err)
		}
		for _, n := range names {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			if !isEntryName(n) {
				continue
			}
			k, ok, err := readKey(filepath.Join(dir, n), now)
			if err != nil {
				return nil, fmt.Errorf("file driver: keys: %w", err)
			}
			if ok {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// readKey returns the key stored in the entry at path, and false when the
// entry is gone, expired or not intact.
func readKey(path string, now int64) (string, bool, error) {
	f, err := openExisting(path)
	if f == nil {
		return "", false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", false, err
	}
	var hb [headerLen]byte
	if _, err := io.ReadFull(f, hb[:]); err != nil {
		return "", false, nil
	}
	h, ok := decodeHeader(hb[:])
	if !ok || h.version != formatVersion || h.size() != fi.Size() || h.expired(now) {
		return "", false, nil
	}
	k := make([]byte, h.keyLen)
	if _, err := io.ReadFull(f, k); err != nil {
		return "", false, nil
	}
	if name(string(k)) != filepath.Base(path) {
		return "", false, nil // the file does not belong at this name
	}
	return string(k), true, nil
}
