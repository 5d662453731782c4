package memory

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

var _ driver.CASDriver = (*Driver)(nil)

// writeLocks serializes the writes of one key (Set, Delete and
// CompareAndSet) so that a compare-and-set's check and write are atomic
// with respect to every other write in the process; reads take no lock.
type writeLocks struct {
	once  sync.Once
	seed  maphash.Seed
	locks [256]sync.Mutex
}

func (w *writeLocks) of(key string) *sync.Mutex {
	w.once.Do(func() { w.seed = maphash.MakeSeed() })
	return &w.locks[maphash.String(w.seed, key)%uint64(len(w.locks))]
}

// token names the bytes stored under a key: their 64-bit maphash with a
// per-process seed. Two different values written in turn under one key
// have the same token with a chance of 2^-64; the region's envelope also
// stamps each write with its creation time in nanoseconds.
func (w *writeLocks) token(value []byte) driver.CASToken {
	w.once.Do(func() { w.seed = maphash.MakeSeed() })
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], maphash.Bytes(w.seed, value))
	return driver.CASToken(b[:])
}

// GetCAS implements driver.CASDriver: Get, plus a token naming the bytes
// read.
func (d *Driver) GetCAS(ctx context.Context, key string) ([]byte, driver.CASToken, error) {
	v, err := d.Get(ctx, key)
	if err != nil {
		return nil, "", err
	}
	return v, d.writes.token(v), nil
}

// CompareAndSet implements driver.CASDriver in the process: under the
// key's write lock it reads what is stored and writes value only if its
// token is still token (or, for the empty token, if nothing is stored).
// ttl is ignored, as by Set.
func (d *Driver) CompareAndSet(_ context.Context, key string, token driver.CASToken, value []byte, _ time.Duration) error {
	c := d.cache.Load()
	if c == nil {
		return ErrClosed
	}
	mu := d.writes.of(key)
	mu.Lock()
	defer mu.Unlock()
	cur := driver.CASToken("")
	if v, err := c.Get(key); err == nil {
		cur = d.writes.token(v)
	} else if err = getErr(key, err); err != region.ErrNotFound {
		return err
	}
	if cur != token {
		return fmt.Errorf("memory driver: key %q: %w", key, region.ErrConflict)
	}
	return d.setLocked(c, key, value)
}
