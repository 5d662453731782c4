package region_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/drivers/objects"
)

// dogpile.cache's test_no_double_get_on_expired: the caller that wins the
// lock on a stale value regenerates it without reading it again.
func TestStaleRegenerationReadsOnce(t *testing.T) {
	ctx := t.Context()
	// A long stale window keeps the stale value in the driver however late
	// the sleep ends on a loaded machine.
	r, d := newRegion(t, region.Config{Expiration: 30 * time.Millisecond, StaleWindow: time.Hour})
	if err := region.Set(ctx, r, "k", "old"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30*time.Millisecond + 2*region.ClockGranularity)
	gets, sets := d.gets.Load(), d.sets.Load()
	v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (string, error) { return "new", nil })
	if err != nil || v != "new" {
		t.Fatalf("GetOrCreate = %q, %v", v, err)
	}
	if g, s := d.gets.Load()-gets, d.sets.Load()-sets; g != 1 || s != 1 {
		t.Fatalf("stale regeneration made %d reads and %d writes; want 1 and 1", g, s)
	}
}

// A missing value is read again once its lock is held (someone may have
// created it meanwhile): two reads, one write.
func TestMissingValueIsReadAgainUnderTheLock(t *testing.T) {
	ctx := t.Context()
	r, d := newRegion(t, region.Config{})
	v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Fatalf("GetOrCreate = %d, %v", v, err)
	}
	if g, s := d.gets.Load(), d.sets.Load(); g != 2 || s != 1 {
		t.Fatalf("cold creation made %d reads and %d writes; want 2 and 1", g, s)
	}
}

// storeLockDriver keeps its locks as items of the same map as the data,
// taken with add semantics, as memcached and redis do: a caller key that
// equals a lock key would hold the lock forever.
type storeLockDriver struct {
	*mapDriver
	lockKeys sync.Map
}

func (d *storeLockDriver) Mutex(key string) region.Mutex {
	d.lockKeys.Store(key, true)
	return &storeMutex{d: d.mapDriver, key: key}
}

type storeMutex struct {
	d   *mapDriver
	key string
}

func (m *storeMutex) TryLock(context.Context) (bool, error) {
	m.d.mu.Lock()
	defer m.d.mu.Unlock()
	if _, taken := m.d.items[m.key]; taken {
		return false, nil
	}
	m.d.items[m.key] = mapItem{v: []byte("locked")}
	return true, nil
}

func (m *storeMutex) Lock(ctx context.Context) error {
	for {
		if ok, _ := m.TryLock(ctx); ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

func (m *storeMutex) Unlock(context.Context) error {
	m.d.mu.Lock()
	delete(m.d.items, m.key)
	m.d.mu.Unlock()
	return nil
}

// Caller keys cannot reach the region's own items: a key equal to the lock
// key of another key (today's, and the older and dogpile spellings) does
// not block GetOrCreate of that key, and a key equal to the shared
// invalidation record's key does not overwrite it.
func TestCallerKeysCannotReachLockKeys(t *testing.T) {
	ctx := t.Context()
	d := &storeLockDriver{mapDriver: newMapDriver()}
	r := region.New("ns")
	if err := r.ConfigureDriver(d, region.Config{Invalidation: region.SharedInvalidation(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := region.GetOrCreate(ctx, r, "report", func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	var lockKeys []string
	d.lockKeys.Range(func(k, _ any) bool { lockKeys = append(lockKeys, k.(string)); return true })
	if len(lockKeys) != 1 || !strings.HasPrefix(lockKeys[0], "~gs:") {
		t.Fatalf("lock keys %q; want one in the reserved namespace", lockKeys)
	}
	if err := r.Delete(ctx, "report"); err != nil {
		t.Fatal(err)
	}
	for _, k := range append(lockKeys, "_lock:report", "_lockreport", "~gs:own:invalidation:ns") {
		if err := region.Set(ctx, r, k, "squatter"); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	for _, k := range lockKeys {
		if err := region.Set(ctx, r, k, "squatter"); err != nil {
			t.Fatal(err)
		}
	}
	wait, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	v, err := region.GetOrCreate(wait, r, "report", func(context.Context) (int, error) { return 2, nil })
	if err != nil || v != 2 {
		t.Fatalf("GetOrCreate behind a caller key named like its lock = %d, %v", v, err)
	}
	// The invalidation record survived the squatter: values from before
	// the invalidation are still misses in a fresh region on the store.
	r2 := region.New("ns")
	if err := r2.ConfigureDriver(d, region.Config{Invalidation: region.SharedInvalidation(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[string](ctx, r2, "_lock:report"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("a value from before the invalidation: %v; want ErrNotFound", err)
	}
}

// A caller key equal to the mangled form of another key is a key of its
// own, not an alias of the other.
func TestMangledKeysCannotAliasCallerKeys(t *testing.T) {
	ctx := t.Context()
	base := limitedDriver{newMapDriver()}
	r := region.New("alias")
	if err := r.ConfigureDriver(base, region.Config{}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	long := strings.Repeat("k", 40)
	if err := region.Set(ctx, r, long, "long"); err != nil {
		t.Fatal(err)
	}
	if err := region.Set(ctx, r, region.MangleKey(long), "squatter"); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[string](ctx, r, long); err != nil || v != "long" {
		t.Fatalf("Get(long) = %q, %v; the caller's MangleKey(long) aliased it", v, err)
	}
	for _, k := range base.keys() {
		if !strings.HasPrefix(k, "~gs:h:") {
			t.Errorf("key %q reached the driver outside the reserved namespace", k)
		}
	}
}

func TestCompareAndSet(t *testing.T) {
	for _, tc := range casDrivers() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			r := region.New("cas")
			if err := r.ConfigureDriver(tc.d(t), region.Config{Expiration: time.Hour}); err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Atomicity() != tc.atomicity {
				t.Errorf("Atomicity = %v; want %v", r.Atomicity(), tc.atomicity)
			}

			// Add: the zero Version stores only when nothing is there.
			_, ver, err := region.GetForUpdate[int](ctx, r, "n")
			if !errors.Is(err, region.ErrNotFound) || ver.Exists() {
				t.Fatalf("GetForUpdate of an absent key = %v, exists=%v", err, ver.Exists())
			}
			if err := region.CompareAndSet(ctx, r, "n", ver, 1); err != nil {
				t.Fatal(err)
			}
			if err := region.CompareAndSet(ctx, r, "n", region.Version{}, 100); !errors.Is(err, region.ErrConflict) {
				t.Fatalf("add over a stored value = %v; want ErrConflict", err)
			}

			// Compare-and-set against what was read.
			v, ver, err := region.GetForUpdate[int](ctx, r, "n")
			if err != nil || v != 1 || !ver.Exists() {
				t.Fatalf("GetForUpdate = %d, %v", v, err)
			}
			if err := region.Set(ctx, r, "n", 5); err != nil { // another writer
				t.Fatal(err)
			}
			if err := region.CompareAndSet(ctx, r, "n", ver, 2); !errors.Is(err, region.ErrConflict) {
				t.Fatalf("compare-and-set after another write = %v; want ErrConflict", err)
			}
			if v, _ := region.Get[int](ctx, r, "n"); v != 5 {
				t.Fatalf("the other writer's value was overwritten: %d", v)
			}
			_, ver, _ = region.GetForUpdate[int](ctx, r, "n")
			if err := region.CompareAndSet(ctx, r, "n", ver, 6); err != nil {
				t.Fatal(err)
			}
			if err := r.Delete(ctx, "n"); err != nil {
				t.Fatal(err)
			}
			if err := region.CompareAndSet(ctx, r, "n", ver, 7); !errors.Is(err, region.ErrConflict) {
				t.Fatalf("compare-and-set after a delete = %v; want ErrConflict", err)
			}

			// A stored value that does not decode is a miss whose version
			// still lets the caller replace it.
			if err := region.Set(ctx, r, "s", "not a number"); err != nil {
				t.Fatal(err)
			}
			_, ver, err = region.GetForUpdate[int](ctx, r, "s")
			if !errors.Is(err, region.ErrNotFound) || !ver.Exists() {
				t.Fatalf("GetForUpdate of an undecodable value = %v, exists=%v", err, ver.Exists())
			}
			if err := region.CompareAndSet(ctx, r, "s", ver, 3); err != nil {
				t.Fatal(err)
			}
			if st := r.Stats(); st.Conflicts != 3 {
				t.Errorf("Stats.Conflicts = %d; want 3", st.Conflicts)
			}
		})
	}
}

// Concurrent Updates lose nothing.
func TestUpdateLosesNoIncrement(t *testing.T) {
	for _, tc := range casDrivers() {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			r := region.New("upd")
			if err := r.ConfigureDriver(tc.d(t), region.Config{}); err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			const workers, each = 8, 50
			var wg sync.WaitGroup
			errs := make(chan error, workers)
			for range workers {
				wg.Go(func() {
					for range each {
						if _, err := region.Update(ctx, r, "counter", func(n int, _ bool) (int, error) { return n + 1, nil }); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if n, err := region.Get[int](ctx, r, "counter"); err != nil || n != workers*each {
				t.Fatalf("counter = %d, %v; want %d", n, err, workers*each)
			}
		})
	}
}

func TestUpdateStopsOnFunctionError(t *testing.T) {
	r, _ := newRegion(t, region.Config{})
	boom := errors.New("boom")
	_, err := region.Update(t.Context(), r, "k", func(int, bool) (int, error) { return 0, boom })
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v; want boom", err)
	}
	if _, err := region.Get[int](t.Context(), r, "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Update stored something after its function failed: %v", err)
	}
	if _, err := region.Update[int](t.Context(), r, "k", nil); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("Update(nil) = %v; want ErrInvalidArgument", err)
	}
}

type casCase struct {
	name      string
	d         func(t *testing.T) region.Driver
	atomicity region.Atomicity
}

func casDrivers() []casCase {
	return []casCase{
		{"locked fallback", func(*testing.T) region.Driver { return newMapDriver() }, region.AtomicInProcess},
		{"CASDriver", func(*testing.T) region.Driver { return &casMapDriver{mapDriver: newMapDriver()} }, region.AtomicShared},
		// The objects driver: compare-and-set of stored values
		// (driver.ValueDriver's CompareAndSetValue), no bytes.
		{"ValueDriver", func(t *testing.T) region.Driver {
			d, err := objects.New(objects.Config{})
			if err != nil {
				t.Fatal(err)
			}
			return d
		}, region.AtomicShared},
	}
}

// casMapDriver is a mapDriver with compare-and-set done by the driver,
// tokens being the stored bytes' sequence number.
type casMapDriver struct {
	*mapDriver
	seq     int64
	version map[string]int64
}

func (d *casMapDriver) GetCAS(ctx context.Context, key string) ([]byte, driver.CASToken, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	it, ok := d.items[key]
	if !ok {
		return nil, "", region.ErrNotFound
	}
	return append([]byte(nil), it.v...), driver.CASToken(strconv.FormatInt(d.version[key], 10)), nil
}

func (d *casMapDriver) CompareAndSet(ctx context.Context, key string, tok driver.CASToken, v []byte, ttl time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	cur := driver.CASToken("")
	if _, ok := d.items[key]; ok {
		cur = driver.CASToken(strconv.FormatInt(d.version[key], 10))
	}
	if cur != tok {
		return fmt.Errorf("casmap: %w", region.ErrConflict)
	}
	d.store(key, v)
	return nil
}

func (d *casMapDriver) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.store(key, v)
	return nil
}

// store writes v under key as a new version; d.mu is held.
func (d *casMapDriver) store(key string, v []byte) {
	d.seq++
	if d.version == nil {
		d.version = map[string]int64{}
	}
	d.version[key] = d.seq
	d.items[key] = mapItem{v: append([]byte(nil), v...)}
}
