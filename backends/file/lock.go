package file

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"

	"github.com/gosess/gosess/internal/flock"
	"github.com/gosess/gosess/session"
)

// This file is the per-id lock that makes saves and deletes conditional
// across the processes sharing the directory: 256 lock files, each taken
// with flock(2), and a channel per shard for the goroutines of this
// process.

// locked runs f with the path of id while holding the id's lock.
func (b *Backend) locked(ctx context.Context, id string, f func(path string) error) error {
	p, err := b.path(id)
	if err != nil {
		return err
	}
	unlock, err := b.lock(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	return f(p)
}

// lock takes the lock shard of id: first the in-process side (a channel,
// so waiting honours ctx), then the flock on the shard's file, polled with
// internal/backoff (from lock_sleep/16, doubling, jittered, at most
// lock_sleep apart) until ctx is done. Failures of the lock files wrap
// session.ErrLock.
func (b *Backend) lock(ctx context.Context, id string) (func(), error) {
	h := fnv.New32a()
	h.Write([]byte(id))
	shard := h.Sum32() % lockShards
	local := b.local[shard]
	select {
	case local <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("file session backend: waiting for the session lock: %w", ctx.Err())
	}
	release := func() { <-local }
	if !flock.Supported {
		return release, nil
	}
	f, err := os.OpenFile(filepath.Join(b.dir, lockDir, fmt.Sprintf("%02x.lock", shard)), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		release()
		return nil, fmt.Errorf("file session backend: lock file: %w: %w", session.ErrLock, err)
	}
	err = b.lockWait.Poll(ctx, func(context.Context) (bool, error) {
		ok, err := flock.TryLock(f)
		if err != nil {
			return false, fmt.Errorf("file session backend: flock: %w: %w", session.ErrLock, err)
		}
		return ok, nil
	})
	if err != nil {
		f.Close()
		release()
		if !errors.Is(err, session.ErrLock) {
			err = fmt.Errorf("file session backend: waiting for the session lock: %w", err)
		}
		return nil, err
	}
	return func() {
		f.Close() // closing the last descriptor releases the flock
		release()
	}, nil
}
