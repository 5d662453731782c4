package file

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gosess/gosess/session"
)

// Per-user records (session.UserStore) are files in the directory's
// .users subdirectory (made at the first record), named after the SHA-256 of the user id (so that
// any id fits in a file name and none is written in the clear), in the
// session records' format: their expiry is what UpdateUser's ttl says,
// Load ignores them once it has passed and Cleanup removes them.

const userSuffix = ".user"

// userName returns the file name of user's record, which is also the name
// its lock is taken by.
func userName(user string) string {
	sum := sha256.Sum256([]byte(user))
	return hex.EncodeToString(sum[:]) + userSuffix
}

func (b *Backend) userPath(name string) string { return filepath.Join(b.dir, usersDir, name) }

// LoadUser implements session.UserStore.
func (b *Backend) LoadUser(ctx context.Context, user string) ([]byte, error) {
	rec, err := b.readRecord(b.userPath(userName(user)))
	if err != nil {
		return nil, err
	}
	return rec.Data, nil
}

// UpdateUser implements session.UserStore: the read, fn and the atomic
// write (a temporary file renamed over the record) happen under the lock
// that Save takes for a session (an flock(2) shared by the processes of
// this host), so no update is lost between processes.
func (b *Backend) UpdateUser(ctx context.Context, user string, fn func(cur []byte, found bool) ([]byte, time.Duration, error)) error {
	name := userName(user)
	unlock, err := b.lock(ctx, name)
	if err != nil {
		return err
	}
	defer unlock()
	p := b.userPath(name)
	cur, err := b.readRecord(p)
	found := err == nil
	if err != nil && !errors.Is(err, session.ErrNotFound) {
		return err
	}
	next, ttl, err := fn(cur.Data, found)
	if err != nil {
		return err
	}
	rec := session.Record{Data: next}
	if ttl > 0 {
		rec.Expires = b.now().Add(ttl)
	}
	raw, err := rec.MarshalBinary()
	if err != nil {
		return err
	}
	if err := os.Mkdir(filepath.Dir(p), 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("file session backend: %w", err)
	}
	return b.writeAtomic(p, raw)
}

// cleanupUsers removes the user records whose time has passed (judged
// again under their lock).
func (b *Backend) cleanupUsers(ctx context.Context, now time.Time) error {
	for name, err := range namesIn(ctx, filepath.Join(b.dir, usersDir)) {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a directory from before per-user records
		}
		if err != nil {
			return err
		}
		if !strings.HasSuffix(name, userSuffix) {
			continue
		}
		if _, err := b.removeExpired(ctx, name, b.userPath(name), now); err != nil {
			return err
		}
	}
	return nil
}
