package memcached

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// ErrCASDisabled is returned (wrapped) by GetCAS when the server hands out
// no compare-and-set ids because it runs with CAS disabled (memcached -C):
// compare-and-set, and with it region.CompareAndSet, region.Update and the
// dogpile session backend's saves, cannot work against such a server.
var ErrCASDisabled = errors.New("memcached: the server runs without CAS (memcached -C); compare-and-set needs it")

var _ driver.CASDriver = (*Driver)(nil)

// GetCAS implements driver.CASDriver with one "gets" round trip: the value
// and the item's CAS id, which memcached changes on every write of the
// item (set, add, cas, append: any store command). The token is that id in
// decimal. A miss is region.ErrNotFound.
func (d *Driver) GetCAS(ctx context.Context, key string) ([]byte, driver.CASToken, error) {
	done, err := d.begin(ctx, "gets")
	if err != nil {
		return nil, "", err
	}
	defer done()
	sk := storeKey(key)
	it, err := d.client.Get(sk) // gomemcache's Get sends "gets"
	if err != nil {
		return nil, "", opError("gets", sk, 0, err)
	}
	if it.CasID == 0 {
		return nil, "", fmt.Errorf("memcached: gets %q: %w", sk, ErrCASDisabled)
	}
	return it.Value, driver.CASToken(strconv.FormatUint(it.CasID, 10)), nil
}

// CompareAndSet implements driver.CASDriver with one round trip: "cas"
// with the id GetCAS returned, or "add" for the empty token. memcached
// answers EXISTS (the item changed), NOT_FOUND (it was deleted, evicted or
// expired) or NOT_STORED (add of a present key); each is an error
// wrapping region.ErrConflict. The TTL is converted as by Set.
func (d *Driver) CompareAndSet(ctx context.Context, key string, token driver.CASToken, value []byte, ttl time.Duration) error {
	exp, err := d.expiry(ttl)
	if err != nil {
		return err
	}
	var casID uint64
	if token != "" {
		if casID, err = strconv.ParseUint(string(token), 10, 64); err != nil || casID == 0 {
			return fmt.Errorf("%w: memcached: compare and set %q: token %q is not a CAS id from GetCAS", region.ErrInvalidArgument, key, token)
		}
	}
	done, err := d.begin(ctx, "cas")
	if err != nil {
		return err
	}
	defer done()
	sk := storeKey(key)
	it := &memcache.Item{Key: sk, Value: value, Expiration: exp, CasID: casID}
	op := "cas"
	if token == "" {
		op = "add"
		err = d.client.Add(it)
	} else {
		err = d.client.CompareAndSwap(it)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrNotStored), errors.Is(err, memcache.ErrCacheMiss):
		return fmt.Errorf("memcached: %s %q: %w (%v)", op, sk, region.ErrConflict, err)
	}
	return opError(op, sk, len(value), err)
}
