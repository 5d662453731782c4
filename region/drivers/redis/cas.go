package redis

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// casScript stores ARGV[2] under KEYS[1] only if what is stored is still
// the version ARGV[1] names: the SHA-1 (hex) of the stored bytes, as
// GetCAS computed it, or "" for "nothing stored". ARGV[3] is the TTL in
// milliseconds (0: none). It returns 1 when it stored, 0 on a conflict.
// The script touches one key, so a cluster runs it on the key's node.
var casScript = goredis.NewScript(`
local cur = redis.call("GET", KEYS[1])
if ARGV[1] == "" then
	if cur then return 0 end
elseif not cur or redis.sha1hex(cur) ~= ARGV[1] then
	return 0
end
if ARGV[3] == "0" then
	redis.call("SET", KEYS[1], ARGV[2])
else
	redis.call("SET", KEYS[1], ARGV[2], "PX", ARGV[3])
end
return 1`)

var (
	_ driver.CASDriver = (*Driver)(nil)
	_ driver.CASDriver = LockingDriver{}
)

// GetCAS implements driver.CASDriver with one GET: the value and, as its
// token, the SHA-1 of the bytes in hex, computed here (the same digest the
// compare-and-set script computes with redis.sha1hex on the server). A
// miss is region.ErrNotFound.
func (d *Driver) GetCAS(ctx context.Context, key string) ([]byte, driver.CASToken, error) {
	b, err := d.Get(ctx, key)
	if err != nil {
		return nil, "", err
	}
	return b, digest(b), nil
}

// digest is the token of stored bytes: their SHA-1 in lower-case hex.
func digest(b []byte) driver.CASToken {
	sum := sha1.Sum(b)
	return driver.CASToken(hex.EncodeToString(sum[:]))
}

// CompareAndSet implements driver.CASDriver with one round trip: a Lua
// script (EVALSHA; go-redis sends the script itself once if the server
// does not have it yet) that reads the key, compares the SHA-1 of its
// bytes with token (or checks that it is absent, for the empty token) and
// only then SETs it with the TTL, atomically on the server. A failed
// comparison is an error wrapping region.ErrConflict.
func (d *Driver) CompareAndSet(ctx context.Context, key string, token driver.CASToken, value []byte, ttl time.Duration) error {
	px, err := d.pxMillis(ttl)
	if err != nil {
		return err
	}
	if token != "" && !isDigest(token) {
		return fmt.Errorf("%w: redis: compare and set %q: token %q is not a digest from GetCAS", region.ErrInvalidArgument, key, token)
	}
	n, err := casScript.Run(ctx, d.client, []string{d.prefix + key}, string(token), value, px).Int()
	if err != nil {
		return fmt.Errorf("redis: compare and set %q: %w", key, err)
	}
	if n == 0 {
		return fmt.Errorf("redis: compare and set %q: %w", key, region.ErrConflict)
	}
	return nil
}

// isDigest reports whether t has the form digest gives: 40 lower-case hex
// digits.
func isDigest(t driver.CASToken) bool {
	if len(t) != 2*sha1.Size {
		return false
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
