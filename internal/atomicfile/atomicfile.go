// Package atomicfile replaces files atomically: the new content is
// written to a temporary file in the target's directory and renamed over
// the target, so that a reader in any process sees the old content or the
// new one, never a part, and a writer killed at any point leaves at worst
// a temporary file behind. The region's file driver and the file session
// backend both write this way.
package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gosess/gosess/internal/flock"
)

// Options says how Write writes. The zero value writes a 0600 file without
// fsync.
type Options struct {
	// TempDir is where the temporary file is created: "" means the
	// target's directory. It must be on the target's file system.
	TempDir string
	// TempPrefix starts the name of the temporary file, so that a cleaner
	// can recognise abandoned ones.
	TempPrefix string
	// Mode is the new file's permission bits; 0 means 0600.
	Mode fs.FileMode
	// Sync fsyncs the file before renaming it into place, so that its
	// content survives a power loss once the directory is synced too (see
	// SyncDir; batches of writes share that sync, so Write leaves it to
	// the caller).
	Sync bool
	// Lock flocks the temporary file while it exists (where flock(2) is
	// supported), so that a cleaner that takes the lock before removing a
	// temporary file never removes a live writer's.
	Lock bool
	// MakeDir, when set, is called when the directory of the temporary
	// file does not exist; the write is then tried again.
	MakeDir func(dir string) error
}

// Write replaces the file at path with the concatenation of parts. On
// error the target is unchanged and the temporary file is removed.
func Write(path string, o Options, parts ...[]byte) (err error) {
	dir := o.TempDir
	if dir == "" {
		dir = filepath.Dir(path)
	}
	f, err := os.CreateTemp(dir, o.TempPrefix+"*") // mode 0600
	if errors.Is(err, fs.ErrNotExist) && o.MakeDir != nil {
		if err = o.MakeDir(dir); err == nil {
			f, err = os.CreateTemp(dir, o.TempPrefix+"*")
		}
	}
	if err != nil {
		return err
	}
	tmp, open := f.Name(), true
	defer func() {
		if err != nil {
			if open {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()
	locked := o.Lock && flock.Supported
	if locked {
		if _, err := flock.TryLock(f); err != nil {
			return err
		}
	}
	if o.Mode != 0 && o.Mode != 0o600 {
		if err := f.Chmod(o.Mode); err != nil {
			return err
		}
	}
	for _, p := range parts {
		if _, err := f.Write(p); err != nil {
			return err
		}
	}
	if o.Sync {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if !locked {
		// Closed before the rename where nothing needs the descriptor:
		// some systems cannot rename an open file.
		open = false
		if err := f.Close(); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if locked {
		// Closed (and so unlocked) only once the file has its final name.
		open = false
		return f.Close()
	}
	return nil
}

// SyncDir fsyncs the directory dir, which makes the renames done in it
// durable.
func SyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
