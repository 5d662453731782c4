package dogpile

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/gosess/gosess/internal/backoff"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// UserKey returns the region key of user's record (session.UserStore):
// the key prefix, "user:" and the SHA-256 of the user id, so that user
// ids (emails, names) are not written to the store in the clear and any
// length fits. It cannot collide with a session's key: ids have no ":".
func (b *Backend) UserKey(user string) string {
	sum := sha256.Sum256([]byte(user))
	return b.prefix + "user:" + hex.EncodeToString(sum[:])
}

// LoadUser implements session.UserStore with one read of the region.
func (b *Backend) LoadUser(ctx context.Context, user string) ([]byte, error) {
	raw, err := region.Get[[]byte](ctx, b.r, b.UserKey(user), region.IgnoreExpiration())
	if errors.Is(err, region.ErrNotFound) {
		return nil, session.ErrNotFound
	}
	return raw, err
}

// maxUserAttempts bounds how many times UpdateUser reads and writes a
// record that other writers keep changing.
const maxUserAttempts = region.MaxUpdateAttempts

// userWait spaces UpdateUser's attempts after a conflict.
var userWait = backoff.Policy{First: 100 * time.Microsecond, Max: 20 * time.Millisecond}

// UpdateUser implements session.UserStore with the region's
// compare-and-set: region.GetForUpdate, fn, region.CompareAndSet of the
// version read (with fn's TTL), again after a conflict. So the update
// is atomic across processes wherever the region's compare-and-set is
// (memcached and redis with their default arguments, the file driver on
// one host; see the package documentation); a read and a write, one round
// trip each, on memcached and redis.
func (b *Backend) UpdateUser(ctx context.Context, user string, fn func(cur []byte, found bool) ([]byte, time.Duration, error)) error {
	key := b.UserKey(user)
	attempts := 0
	err := userWait.Poll(ctx, func(ctx context.Context) (bool, error) {
		attempts++
		cur, ver, err := region.GetForUpdate[[]byte](ctx, b.r, key, region.IgnoreExpiration())
		found := err == nil
		if err != nil && !errors.Is(err, region.ErrNotFound) {
			return false, err
		}
		next, ttl, err := fn(cur, found)
		if err != nil {
			return false, err
		}
		err = region.CompareAndSet(ctx, b.r, key, ver, next, region.WithExpiration(ttl))
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, region.ErrConflict) && attempts < maxUserAttempts:
			return false, nil
		}
		return false, err
	})
	if err != nil {
		return fmt.Errorf("user record: %w", err)
	}
	return nil
}
