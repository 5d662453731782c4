package region_test

import (
	"context"
	"errors"
	"maps"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// mapDriver is a small in-memory driver with per-item TTLs and fault
// injection, used to test the region core without depending on the
// driver packages (which import this package). It has no multi
// capability: the region reads and writes many keys through its Get, Set
// and Delete (driver.GetMulti and its siblings).
type mapDriver struct {
	mu    sync.Mutex
	items map[string]mapItem
	fail  atomic.Bool // every call fails
	gets  atomic.Int64
	sets  atomic.Int64
}

type mapItem struct {
	v   []byte
	exp time.Time
}

var errDown = errors.New("mapdriver: down")

func newMapDriver() *mapDriver { return &mapDriver{items: map[string]mapItem{}} }

func init() {
	region.RegisterDriver("testmap", func(info driver.Info, args *driver.Arguments) (region.Driver, error) {
		_ = args.Int("size", 0)
		return newMapDriver(), args.Err()
	})
}

func (d *mapDriver) Get(ctx context.Context, key string) ([]byte, error) {
	d.gets.Add(1)
	if d.fail.Load() {
		return nil, errDown
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	it, ok := d.items[key]
	if !ok || (!it.exp.IsZero() && time.Now().After(it.exp)) {
		return nil, region.ErrNotFound
	}
	return append([]byte(nil), it.v...), nil
}

func (d *mapDriver) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	d.sets.Add(1)
	if d.fail.Load() {
		return errDown
	}
	it := mapItem{v: append([]byte(nil), v...)}
	if ttl > 0 {
		it.exp = time.Now().Add(ttl)
	}
	d.mu.Lock()
	d.items[key] = it
	d.mu.Unlock()
	return nil
}

func (d *mapDriver) Delete(ctx context.Context, key string) error {
	if d.fail.Load() {
		return errDown
	}
	d.mu.Lock()
	delete(d.items, key)
	d.mu.Unlock()
	return nil
}

func (d *mapDriver) keys() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return mapsKeys(d.items)
}

func (d *mapDriver) raw(key string) mapItem {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.items[key]
}

func (d *mapDriver) put(key string, v []byte) {
	d.mu.Lock()
	d.items[key] = mapItem{v: v}
	d.mu.Unlock()
}

func mapsKeys(m map[string]mapItem) []string {
	var out []string
	for k := range maps.Keys(m) {
		out = append(out, k)
	}
	return out
}

// limitedDriver only holds keys of up to 16 bytes (a KeyLimiter).
type limitedDriver struct{ *mapDriver }

func (limitedDriver) ValidKey(k string) bool { return len(k) <= 16 }

// recordingProxy records the order in which proxies see a call.
type recordingProxy struct {
	region.Driver
	name string
	log  *[]string
	mu   *sync.Mutex
}

func (p recordingProxy) Get(ctx context.Context, key string) ([]byte, error) {
	p.mu.Lock()
	*p.log = append(*p.log, p.name)
	p.mu.Unlock()
	return p.Driver.Get(ctx, key)
}

func (p recordingProxy) Unwrap() driver.Driver { return p.Driver }

// countingProxy counts the reads that pass through it.
type countingProxy struct {
	driver.Driver
	gets atomic.Int32
}

func (p *countingProxy) Get(ctx context.Context, key string) ([]byte, error) {
	p.gets.Add(1)
	return p.Driver.Get(ctx, key)
}

func (p *countingProxy) GetMulti(ctx context.Context, keys []string) (map[string][]byte, error) {
	p.gets.Add(int32(len(keys)))
	return driver.GetMulti(ctx, p.Driver, keys)
}

func (p *countingProxy) Unwrap() driver.Driver { return p.Driver }

// lockingDriver is a mapDriver with a distributed lock that can fail.
type lockingDriver struct {
	*mapDriver
	lockDown atomic.Bool
}

func (d *lockingDriver) Mutex(key string) driver.Mutex { return &failingMutex{d: d} }

type failingMutex struct{ d *lockingDriver }

func (m *failingMutex) TryLock(context.Context) (bool, error) {
	if m.d.lockDown.Load() {
		return false, errDown
	}
	return true, nil
}

func (m *failingMutex) Lock(ctx context.Context) error {
	_, err := m.TryLock(ctx)
	return err
}

func (m *failingMutex) Unlock(context.Context) error { return nil }
