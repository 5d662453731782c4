package regiontest_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

// refDriver is a small reference driver used to test the suite itself: a
// map with per-item TTLs and an exclusive in-process Locker, so that the
// TTL and Locker subtests that the memory and null drivers skip are run.
type refDriver struct {
	mu    sync.Mutex
	items map[string]refItem
	locks *refLocks
}

type refItem struct {
	v   []byte
	exp time.Time
}

func newRefDriver(locks *refLocks) *refDriver {
	return &refDriver{items: map[string]refItem{}, locks: locks}
}

func (d *refDriver) Get(_ context.Context, key string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	it, ok := d.items[key]
	if !ok || (!it.exp.IsZero() && time.Now().After(it.exp)) {
		return nil, region.ErrNotFound
	}
	return append([]byte{}, it.v...), nil
}

func (d *refDriver) GetMulti(ctx context.Context, keys []string) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, k := range keys {
		if v, err := d.Get(ctx, k); err == nil {
			out[k] = v
		}
	}
	return out, nil
}

func (d *refDriver) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	it := refItem{v: append([]byte{}, value...)}
	if ttl > 0 {
		it.exp = time.Now().Add(ttl)
	}
	d.items[key] = it
	return nil
}

func (d *refDriver) SetMulti(ctx context.Context, items map[string][]byte, ttl time.Duration) error {
	for k, v := range items {
		_ = d.Set(ctx, k, v, ttl)
	}
	return nil
}

func (d *refDriver) Delete(_ context.Context, key string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.items, key)
	return nil
}

func (d *refDriver) DeleteMulti(ctx context.Context, keys []string) error {
	for _, k := range keys {
		_ = d.Delete(ctx, k)
	}
	return nil
}

func (d *refDriver) Mutex(key string) driver.Mutex { return &refMutex{l: d.locks, key: key} }

// refLocks is a set of held keys; a channel per key wakes waiters.
type refLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

type refMutex struct {
	l    *refLocks
	key  string
	held bool // by this value; guarded by l.mu
}

func (m *refMutex) TryLock(context.Context) (bool, error) {
	m.l.mu.Lock()
	defer m.l.mu.Unlock()
	if _, ok := m.l.held[m.key]; ok {
		return false, nil
	}
	m.l.held[m.key] = make(chan struct{})
	m.held = true
	return true, nil
}

func (m *refMutex) Lock(ctx context.Context) error {
	for {
		m.l.mu.Lock()
		ch, ok := m.l.held[m.key]
		if !ok {
			m.l.held[m.key] = make(chan struct{})
			m.held = true
			m.l.mu.Unlock()
			return nil
		}
		m.l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (m *refMutex) Unlock(context.Context) error {
	m.l.mu.Lock()
	defer m.l.mu.Unlock()
	if !m.held {
		return errors.New("refMutex: unlock of a lock this mutex does not hold")
	}
	m.held = false
	close(m.l.held[m.key])
	delete(m.l.held, m.key)
	return nil
}

func TestRunDriverOnReferenceDriver(t *testing.T) {
	regiontest.RunDriverWith(t, regiontest.DriverOptions{TTL: 200 * time.Millisecond, TTLSlack: time.Second},
		func(t *testing.T) driver.Driver {
			return newRefDriver(&refLocks{held: map[string]chan struct{}{}})
		})
}

// A store shared by every driver the factory returns (as a memcached
// server is) must pass too: the suite keeps keys apart per subtest.
func TestRunDriverOnSharedStore(t *testing.T) {
	shared := newRefDriver(&refLocks{held: map[string]chan struct{}{}})
	regiontest.RunDriverWith(t, regiontest.DriverOptions{NoTTL: true},
		func(t *testing.T) driver.Driver { return shared })
	shared.mu.Lock()
	defer shared.mu.Unlock()
	if n := len(shared.locks.held); n != 0 {
		t.Errorf("the Locker subtests left %d locks held: %v", n, maps.Keys(shared.locks.held))
	}
}

// refStore is one store shared by every "regiontest-ref" driver, as a
// memcached server is shared by its clients.
var refStore = newRefDriver(&refLocks{held: map[string]chan struct{}{}})

func init() {
	region.RegisterDriver("regiontest-ref", func(_ driver.Info, args *driver.Arguments) (driver.Driver, error) {
		if err := args.Err(); err != nil {
			return nil, err
		}
		return refStore, nil
	})
}

// The region suite on a driver with per-item TTLs and a Locker, whose
// separately configured instances share one store.
func TestRunRegionOnReferenceDriver(t *testing.T) {
	regiontest.RunRegionWith(t, regiontest.RegionOptions{SharedStore: true, Expiration: 300 * time.Millisecond},
		"regiontest-ref", nil)
	refStore.locks.mu.Lock()
	defer refStore.locks.mu.Unlock()
	if n := len(refStore.locks.held); n != 0 {
		t.Errorf("the region suite left %d driver locks held", n)
	}
}
