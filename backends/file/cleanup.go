package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gosess/gosess/session"
)

// This file is the backend's walk of its directory: listing the ids
// (session.Lister) and removing what has expired (session.Cleaner).

// IDs implements session.Lister: the ids of all session files, expired or
// not, in directory order.
func (b *Backend) IDs(ctx context.Context) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		for name, err := range b.names(ctx) {
			if err != nil {
				yield("", err)
				return
			}
			if id, ok := strings.CutSuffix(name, fileSuffix); ok && session.ValidID(id) {
				if !yield(id, nil) {
					return
				}
			}
		}
	}
}

// names yields the directory's entry names in batches, so huge directories
// are not read into memory at once.
func (b *Backend) names(ctx context.Context) iter.Seq2[string, error] {
	return namesIn(ctx, b.dir)
}

// namesIn yields the entry names of dir in batches.
func namesIn(ctx context.Context, dir string) iter.Seq2[string, error] {
	return func(yield func(string, error) bool) {
		d, err := os.Open(dir)
		if err != nil {
			yield("", fmt.Errorf("file session backend: %w", err))
			return
		}
		defer d.Close()
		for {
			if err := ctx.Err(); err != nil {
				yield("", err)
				return
			}
			names, err := d.Readdirnames(512)
			for _, n := range names {
				if !yield(n, nil) {
					return
				}
			}
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				yield("", fmt.Errorf("file session backend: %w", err))
				return
			}
		}
	}
}

// Cleanup implements session.Cleaner: it removes every expired session
// file (and temporary files a crashed writer left behind over an hour
// ago, and the per-user records whose time has passed) and reports how
// many sessions it removed.
func (b *Backend) Cleanup(ctx context.Context) (int, error) {
	return b.CleanupProgress(ctx, nil)
}

// CleanupProgress is Cleanup calling progress(scanned, removed) after each
// session file it looks at (progress may be nil), for command-line tools.
// It stops with ctx.Err() when ctx is done, reporting what it removed so
// far.
func (b *Backend) CleanupProgress(ctx context.Context, progress func(scanned, removed int)) (int, error) {
	scanned, removed := 0, 0
	now := b.now()
	for name, err := range b.names(ctx) {
		if err != nil {
			return removed, err
		}
		if strings.HasPrefix(name, tempPrefix) {
			b.removeStaleTemp(name)
			continue
		}
		id, ok := strings.CutSuffix(name, fileSuffix)
		if !ok || !session.ValidID(id) {
			continue
		}
		scanned++
		gone, err := b.removeIfExpired(ctx, id, now)
		if err != nil {
			return removed, err
		}
		if gone {
			removed++
		}
		if progress != nil {
			progress(scanned, removed)
		}
	}
	return removed, b.cleanupUsers(ctx, now)
}

func (b *Backend) removeStaleTemp(name string) {
	p := filepath.Join(b.dir, name)
	if fi, err := os.Lstat(p); err == nil && fi.Mode().IsRegular() && b.now().Sub(fi.ModTime()) > staleTemp {
		os.Remove(p)
	}
}

// removeIfExpired removes the file of id when its record has expired or
// the file holds no record (it is corrupt: it loads as no session),
// judging it again under the id's lock (a concurrent Save may have just
// renewed it).
func (b *Backend) removeIfExpired(ctx context.Context, id string, now time.Time) (bool, error) {
	return b.removeExpired(ctx, id, filepath.Join(b.dir, id+fileSuffix), now)
}

// removeExpired removes the record file p when it is removable, judging
// it again under the lock taken by name.
func (b *Backend) removeExpired(ctx context.Context, name, p string, now time.Time) (bool, error) {
	if !removable(p, now) {
		return false, nil
	}
	unlock, err := b.lock(ctx, name)
	if err != nil {
		return false, err
	}
	defer unlock()
	if !removable(p, now) {
		return false, nil
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("file session backend: %w", err)
	}
	return true, nil
}

// removable reports whether the session file p has expired at now or is
// too damaged to hold a record. A file that cannot be opened (gone
// meanwhile) or never expires is not removable.
func removable(p string, now time.Time) bool {
	exp, err := peekExpiry(p)
	switch {
	case errors.Is(err, session.ErrBadRecord), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	case err != nil:
		return false
	}
	return !exp.IsZero() && !exp.After(now)
}

func peekExpiry(p string) (time.Time, error) {
	f, err := os.Open(p)
	if err != nil {
		return time.Time{}, err
	}
	defer f.Close()
	head := make([]byte, session.RecordHeaderSize)
	if _, err := io.ReadFull(f, head); err != nil {
		return time.Time{}, err
	}
	return session.PeekExpiry(head)
}
