package regiontest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// DriverOptions describes what a driver does not do, so that RunDriverWith
// checks the rest. The zero value expects a driver that stores values,
// honours per-item TTLs, and (if it implements driver.Locker) hands out
// mutexes that exclude.
type DriverOptions struct {
	// NoTTL: the driver does not evict items when the TTL given to Set
	// runs out (the memory driver: bigcache has one global life window).
	// The TTL subtest is skipped.
	NoTTL bool

	// NullStore: the driver stores nothing (the null driver). Every read
	// must miss and every write must succeed.
	NullStore bool

	// NullLock: the driver's driver.Locker locks nothing (the null
	// driver): acquiring always succeeds at once. Only that is checked.
	NullLock bool

	// TTL is the short TTL of the TTL subtest. Default 1s (the smallest
	// TTL memcached can express).
	TTL time.Duration

	// TTLSlack is how long after TTL an item may still be seen before the
	// TTL subtest fails (stores count expiry in whole seconds).
	// Default 2s.
	TTLSlack time.Duration

	// LargeValueSize is the size of the large-value subtest. Default 100 kB.
	LargeValueSize int

	// Goroutines is the number of goroutines of the concurrency subtests.
	// Default 16.
	Goroutines int
}

func (o DriverOptions) withDefaults() DriverOptions {
	if o.TTL <= 0 {
		o.TTL = time.Second
	}
	if o.TTLSlack <= 0 {
		o.TTLSlack = 2 * time.Second
	}
	if o.LargeValueSize <= 0 {
		o.LargeValueSize = 100 << 10
	}
	if o.Goroutines <= 0 {
		o.Goroutines = 16
	}
	return o
}

// RunDriver runs the raw driver conformance suite with the zero
// DriverOptions: a driver that stores, honours TTLs and, if it is a
// driver.Locker, excludes. See RunDriverWith.
func RunDriver(t *testing.T, newDriver func(t *testing.T) driver.Driver) {
	t.Helper()
	RunDriverWith(t, DriverOptions{}, newDriver)
}

// RunDriverWith runs the raw driver.Driver contract against drivers built
// by newDriver, one per subtest: misses are region.ErrNotFound, set, get,
// overwrite, delete (present and absent), multi operations with empty and
// missing keys, per-item TTL, that returned and given slices are not
// shared with the store, that argument maps and slices are not modified,
// binary, empty and large values, concurrent use, and the driver.Locker
// and driver.CASDriver contracts when the driver implements them (see
// RunLockerPair and RunCASPair for the same checks with two clients of
// one store).
//
// newDriver must return a driver that is usable at once; it may share a
// store with earlier drivers (each subtest uses keys of its own). When the
// driver implements io.Closer the suite closes it at the end of its
// subtest and fails on an error.
func RunDriverWith(t *testing.T, opts DriverOptions, newDriver func(t *testing.T) driver.Driver) {
	t.Helper()
	opts = opts.withDefaults()
	run := func(name string, f func(t *testing.T, h *driverHarness)) {
		t.Run(name, func(t *testing.T) {
			d := newDriver(t)
			if d == nil {
				t.Fatal("newDriver returned nil")
			}
			if c, ok := d.(io.Closer); ok {
				t.Cleanup(func() {
					if err := c.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				})
			}
			f(t, &driverHarness{t: t, d: d, opts: opts, prefix: uniquePrefix(name)})
		})
	}

	run("GetNothing", testGetNothing)
	run("DeleteNothing", testDeleteNothing)
	run("SetGet", testSetGet)
	run("Overwrite", testOverwrite)
	run("Delete", testDelete)
	run("GetMultiEmpty", testGetMultiEmpty)
	run("GetMultiMissing", testGetMultiMissing)
	run("GetMultiDuplicateKeys", testGetMultiDuplicateKeys)
	run("SetMultiGetMulti", testSetMultiGetMulti)
	run("SetMultiEmpty", testSetMultiEmpty)
	run("DeleteMulti", testDeleteMulti)
	run("TTL", testTTL)
	run("NoTTLKeeps", testNoTTLKeeps)
	run("ReturnedSliceNotAliased", testReturnedNotAliased)
	run("GivenSliceNotAliased", testGivenNotAliased)
	run("ArgumentsNotModified", testArgumentsNotModified)
	run("BinaryValue", testBinaryValue)
	run("EmptyValue", testEmptyValue)
	run("LargeValue", testLargeValue)
	run("ConcurrentDistinctKeys", testConcurrentDistinct)
	run("ConcurrentSameKey", testConcurrentSame)
	run("Locker", testLocker)
	run("CAS", testCAS)
}

var prefixSeq atomic.Uint64

// uniquePrefix makes keys of one subtest distinct from any other run
// against a shared store. Keys use only characters every store accepts.
func uniquePrefix(name string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("rt_%x_%d_%s_", b, prefixSeq.Add(1), name)
}

type driverHarness struct {
	t      *testing.T
	d      driver.Driver
	opts   DriverOptions
	prefix string
}

func (h *driverHarness) key(name string) string { return h.prefix + name }

func (h *driverHarness) keys(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = h.key(n)
	}
	return out
}

func (h *driverHarness) set(key string, v []byte) {
	h.t.Helper()
	if err := h.d.Set(h.t.Context(), key, v, 0); err != nil {
		h.t.Fatalf("Set(%q, %d bytes): %v", key, len(v), err)
	}
}

func (h *driverHarness) setMulti(items map[string][]byte) {
	h.t.Helper()
	if err := driver.SetMulti(h.t.Context(), h.d, items, 0); err != nil {
		h.t.Fatalf("SetMulti(%d items): %v", len(items), err)
	}
}

func (h *driverHarness) del(key string) {
	h.t.Helper()
	if err := h.d.Delete(h.t.Context(), key); err != nil {
		h.t.Fatalf("Delete(%q): %v", key, err)
	}
}

func (h *driverHarness) getMulti(keys []string) map[string][]byte {
	h.t.Helper()
	m, err := driver.GetMulti(h.t.Context(), h.d, keys)
	if err != nil {
		h.t.Fatalf("GetMulti(%q): %v", keys, err)
	}
	if m == nil {
		h.t.Fatalf("GetMulti(%q) returned a nil map; want an empty map", keys)
	}
	return m
}

// wantMiss checks that key is absent.
func (h *driverHarness) wantMiss(key string) {
	h.t.Helper()
	v, err := h.d.Get(h.t.Context(), key)
	if !errors.Is(err, region.ErrNotFound) {
		h.t.Fatalf("Get(%q) = %s, %v; want region.ErrNotFound", key, short(v), err)
	}
	if len(v) != 0 {
		h.t.Fatalf("Get(%q) returned %s with ErrNotFound; want no value", key, short(v))
	}
}

// wantValue checks that key holds want (or, for a NullStore driver, that
// it is absent).
func (h *driverHarness) wantValue(key string, want []byte) {
	h.t.Helper()
	if h.opts.NullStore {
		h.wantMiss(key)
		return
	}
	got, err := h.d.Get(h.t.Context(), key)
	if err != nil {
		h.t.Fatalf("Get(%q): %v; want %s", key, err, short(want))
	}
	if !bytes.Equal(got, want) {
		h.t.Fatalf("Get(%q) = %s; want %s", key, short(got), short(want))
	}
}

// wantMulti checks that GetMulti(keys) returns exactly want (nothing for
// a NullStore driver).
func (h *driverHarness) wantMulti(keys []string, want map[string][]byte) {
	h.t.Helper()
	got := h.getMulti(keys)
	if h.opts.NullStore {
		want = map[string][]byte{}
	}
	if !maps.EqualFunc(got, want, bytes.Equal) {
		h.t.Fatalf("GetMulti(%q) = %s; want %s", keys, shortMap(got), shortMap(want))
	}
}

func short(v []byte) string {
	if v == nil {
		return "nil"
	}
	if len(v) > 32 {
		return fmt.Sprintf("%q... (%d bytes)", v[:32], len(v))
	}
	return fmt.Sprintf("%q", v)
}

func shortMap(m map[string][]byte) string {
	var b bytes.Buffer
	b.WriteString("{")
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s: %s", k, short(m[k]))
	}
	b.WriteString("}")
	return b.String()
}

func testGetNothing(t *testing.T, h *driverHarness) {
	h.wantMiss(h.key("some_key"))
}

func testDeleteNothing(t *testing.T, h *driverHarness) {
	h.del(h.key("some_key"))
	h.wantMiss(h.key("some_key"))
}

func testSetGet(t *testing.T, h *driverHarness) {
	k := h.key("some_key")
	h.set(k, []byte("some value"))
	h.wantValue(k, []byte("some value"))
	h.wantMiss(h.key("other_key"))
}

func testOverwrite(t *testing.T, h *driverHarness) {
	k := h.key("some_key")
	h.set(k, []byte("first value, rather long to leave room"))
	h.set(k, []byte("second"))
	h.wantValue(k, []byte("second"))
	h.set(k, []byte("third value, longer than the second one"))
	h.wantValue(k, []byte("third value, longer than the second one"))
}

func testDelete(t *testing.T, h *driverHarness) {
	k, other := h.key("some_key"), h.key("other_key")
	h.set(k, []byte("some value"))
	h.set(other, []byte("other value"))
	h.del(k)
	h.wantMiss(k)
	h.del(k) // deleting again is not an error
	h.wantMiss(k)
	h.wantValue(other, []byte("other value"))
	h.set(k, []byte("back again"))
	h.wantValue(k, []byte("back again"))
}

func testGetMultiEmpty(t *testing.T, h *driverHarness) {
	if m := h.getMulti(nil); len(m) != 0 {
		t.Fatalf("GetMulti(nil) = %s; want empty", shortMap(m))
	}
	if m := h.getMulti([]string{}); len(m) != 0 {
		t.Fatalf("GetMulti([]) = %s; want empty", shortMap(m))
	}
}

func testGetMultiMissing(t *testing.T, h *driverHarness) {
	all := h.keys("key1", "key2", "key3", "key4", "key5", "key6")
	if err := driver.DeleteMulti(t.Context(), h.d, all); err != nil {
		t.Fatalf("DeleteMulti: %v", err)
	}
	h.wantMulti(all, map[string][]byte{})
	items := map[string][]byte{
		all[0]: []byte("value1"),
		all[2]: []byte("value3"),
		all[4]: []byte("value5"),
	}
	h.setMulti(items)
	h.wantMulti(all, items)
	h.wantMulti(h.keys("key2", "key4"), map[string][]byte{})
}

func testGetMultiDuplicateKeys(t *testing.T, h *driverHarness) {
	k := h.key("dup")
	h.set(k, []byte("v"))
	h.wantMulti([]string{k, k, h.key("missing"), h.key("missing")}, map[string][]byte{k: []byte("v")})
}

func testSetMultiGetMulti(t *testing.T, h *driverHarness) {
	items := map[string][]byte{}
	for i := range 20 {
		items[h.key("key"+strconv.Itoa(i))] = []byte("value " + strconv.Itoa(i))
	}
	h.setMulti(items)
	h.wantMulti(slices.Collect(maps.Keys(items)), items)
	for k, v := range items {
		h.wantValue(k, v)
	}
	// SetMulti overwrites what Set stored, and the other way round.
	k0, k1 := h.key("key0"), h.key("key1")
	h.set(k0, []byte("set"))
	h.setMulti(map[string][]byte{k0: []byte("multi 0"), k1: []byte("multi 1")})
	h.wantValue(k0, []byte("multi 0"))
	h.set(k1, []byte("single"))
	h.wantValue(k1, []byte("single"))
}

func testSetMultiEmpty(t *testing.T, h *driverHarness) {
	h.setMulti(nil)
	h.setMulti(map[string][]byte{})
	if err := driver.DeleteMulti(t.Context(), h.d, nil); err != nil {
		t.Fatalf("DeleteMulti(nil): %v", err)
	}
	if err := driver.DeleteMulti(t.Context(), h.d, []string{}); err != nil {
		t.Fatalf("DeleteMulti([]): %v", err)
	}
}

func testDeleteMulti(t *testing.T, h *driverHarness) {
	k1, k2, k3, k10 := h.key("key1"), h.key("key2"), h.key("key3"), h.key("key10")
	h.setMulti(map[string][]byte{k1: []byte("value1"), k2: []byte("value2"), k3: []byte("value3")})
	if err := driver.DeleteMulti(t.Context(), h.d, []string{k2, k10}); err != nil {
		t.Fatalf("DeleteMulti with an absent key: %v", err)
	}
	h.wantValue(k1, []byte("value1"))
	h.wantMiss(k2)
	h.wantValue(k3, []byte("value3"))
	h.wantMiss(k10)
	if err := driver.DeleteMulti(t.Context(), h.d, []string{k1, k3}); err != nil {
		t.Fatalf("DeleteMulti: %v", err)
	}
	h.wantMulti([]string{k1, k2, k3}, map[string][]byte{})
}

func testTTL(t *testing.T, h *driverHarness) {
	if h.opts.NoTTL {
		t.Skip("driver declares NoTTL: it keeps items past the TTL given to Set")
	}
	ctx := t.Context()
	short1, short2, forever := h.key("short1"), h.key("short2"), h.key("forever")
	if err := h.d.Set(ctx, short1, []byte("a"), h.opts.TTL); err != nil {
		t.Fatalf("Set with TTL %s: %v", h.opts.TTL, err)
	}
	if err := driver.SetMulti(ctx, h.d, map[string][]byte{short2: []byte("b")}, h.opts.TTL); err != nil {
		t.Fatalf("SetMulti with TTL %s: %v", h.opts.TTL, err)
	}
	h.set(forever, []byte("c"))
	start := time.Now()
	// Right after Set the items are there (a TTL is not "expire now").
	h.wantValue(short1, []byte("a"))
	h.wantValue(short2, []byte("b"))
	if h.opts.NullStore {
		return
	}
	deadline := start.Add(h.opts.TTL + h.opts.TTLSlack)
	for {
		m := h.getMulti([]string{short1, short2})
		if len(m) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s after Set with TTL %s, still present: %s", time.Since(start).Round(time.Millisecond), h.opts.TTL, shortMap(m))
		}
		time.Sleep(50 * time.Millisecond)
	}
	h.wantMiss(short1)
	h.wantMiss(short2)
	h.wantValue(forever, []byte("c"))
}

// testNoTTLKeeps checks that ttl 0 means "no expiry", not "expire now",
// and that a long TTL keeps the item.
func testNoTTLKeeps(t *testing.T, h *driverHarness) {
	ctx := t.Context()
	k1, k2 := h.key("zero"), h.key("long")
	if err := h.d.Set(ctx, k1, []byte("a"), 0); err != nil {
		t.Fatal(err)
	}
	if err := h.d.Set(ctx, k2, []byte("b"), time.Hour); err != nil {
		t.Fatal(err)
	}
	h.wantValue(k1, []byte("a"))
	h.wantValue(k2, []byte("b"))
}

func testReturnedNotAliased(t *testing.T, h *driverHarness) {
	k := h.key("some_key")
	h.set(k, []byte("original"))
	if h.opts.NullStore {
		h.wantMiss(k)
		return
	}
	got, err := h.d.Get(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	clear(got)
	h.wantValue(k, []byte("original"))
	m := h.getMulti([]string{k})
	clear(m[k])
	h.wantValue(k, []byte("original"))
	// Appending to a returned slice must not write into the store either.
	got, err = h.d.Get(t.Context(), k)
	if err != nil {
		t.Fatal(err)
	}
	_ = append(got[:2], "XXXXXX"...)
	h.wantValue(k, []byte("original"))
}

func testGivenNotAliased(t *testing.T, h *driverHarness) {
	k1, k2 := h.key("single"), h.key("multi")
	v := []byte("original")
	h.set(k1, v)
	clear(v)
	h.wantValue(k1, []byte("original"))

	mv := []byte("original")
	h.setMulti(map[string][]byte{k2: mv})
	clear(mv)
	h.wantValue(k2, []byte("original"))
}

func testArgumentsNotModified(t *testing.T, h *driverHarness) {
	ctx := t.Context()
	items := map[string][]byte{h.key("a"): []byte("1"), h.key("b"): []byte("2")}
	itemsCopy := maps.Clone(items)
	if err := driver.SetMulti(ctx, h.d, items, 0); err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(items, itemsCopy, bytes.Equal) {
		t.Fatalf("SetMulti modified its items: %s; was %s", shortMap(items), shortMap(itemsCopy))
	}
	keys := h.keys("b", "missing", "a")
	keysCopy := slices.Clone(keys)
	if _, err := driver.GetMulti(ctx, h.d, keys); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, keysCopy) {
		t.Fatalf("GetMulti modified its keys: %q; was %q", keys, keysCopy)
	}
	if err := driver.DeleteMulti(ctx, h.d, keys); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, keysCopy) {
		t.Fatalf("DeleteMulti modified its keys: %q; was %q", keys, keysCopy)
	}
}

func testBinaryValue(t *testing.T, h *driverHarness) {
	v := make([]byte, 0, 512)
	for i := range 256 {
		v = append(v, byte(i))
	}
	for i := range 256 {
		v = append(v, byte(255-i))
	}
	k1, k2 := h.key("bin"), h.key("bin_multi")
	h.set(k1, v)
	h.wantValue(k1, v)
	h.setMulti(map[string][]byte{k2: v})
	h.wantMulti([]string{k1, k2}, map[string][]byte{k1: v, k2: v})
	for _, special := range [][]byte{{0}, {'\r', '\n'}, []byte("END\r\n"), {0xff, 0xfe}} {
		h.set(k1, special)
		h.wantValue(k1, special)
	}
}

func testEmptyValue(t *testing.T, h *driverHarness) {
	k1, k2, k3 := h.key("empty"), h.key("nil"), h.key("empty_multi")
	h.set(k1, []byte{})
	h.set(k2, nil)
	h.setMulti(map[string][]byte{k3: {}})
	if h.opts.NullStore {
		h.wantMulti([]string{k1, k2, k3}, nil)
		return
	}
	for _, k := range []string{k1, k2, k3} {
		v, err := h.d.Get(t.Context(), k)
		if err != nil {
			t.Fatalf("Get(%q) of an empty value: %v; want an empty value and no error", k, err)
		}
		if len(v) != 0 {
			t.Fatalf("Get(%q) = %s; want an empty value", k, short(v))
		}
	}
	m := h.getMulti([]string{k1, k2, k3})
	for _, k := range []string{k1, k2, k3} {
		v, ok := m[k]
		if !ok || len(v) != 0 {
			t.Fatalf("GetMulti: empty value of %q missing or not empty: %s", k, shortMap(m))
		}
	}
}

func testLargeValue(t *testing.T, h *driverHarness) {
	v := make([]byte, h.opts.LargeValueSize)
	_, _ = rand.Read(v)
	k1, k2 := h.key("large"), h.key("large_multi")
	h.set(k1, v)
	h.wantValue(k1, v)
	v2 := slices.Clone(v)
	v2[0]++
	h.setMulti(map[string][]byte{k2: v2})
	h.wantMulti([]string{k1, k2}, map[string][]byte{k1: v, k2: v2})
	h.set(k1, []byte("small again"))
	h.wantValue(k1, []byte("small again"))
}

// concurrently runs f(0) ... f(n-1) on n goroutines released together
// and reports every error they return.
func concurrently(t *testing.T, n int, f func(g int) error) {
	t.Helper()
	if err := together(n, f); err != nil {
		t.Error(err)
	}
}

// together runs f(0) ... f(n-1) on n goroutines released together and
// returns their errors joined.
func together(n int, f func(g int) error) error {
	var wg sync.WaitGroup
	errs := make(chan error, n)
	start := make(chan struct{})
	for g := range n {
		wg.Go(func() {
			<-start
			if err := f(g); err != nil {
				errs <- err
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

func testConcurrentDistinct(t *testing.T, h *driverHarness) {
	const rounds = 50
	ctx := t.Context()
	concurrently(t, h.opts.Goroutines, func(g int) error {
		for i := range rounds {
			k := h.key(fmt.Sprintf("g%d_%d", g, i%5))
			v := fmt.Appendf(nil, "goroutine %d round %d", g, i)
			if err := h.d.Set(ctx, k, v, 0); err != nil {
				return fmt.Errorf("Set(%q): %w", k, err)
			}
			got, err := h.d.Get(ctx, k)
			switch {
			case h.opts.NullStore:
				if !errors.Is(err, region.ErrNotFound) {
					return fmt.Errorf("Get(%q) = %s, %v; want ErrNotFound", k, short(got), err)
				}
			case err != nil || !bytes.Equal(got, v):
				return fmt.Errorf("Get(%q) = %s, %v; want %q (only this goroutine writes it)", k, short(got), err, v)
			}
			if i%10 == 9 {
				if err := h.d.Delete(ctx, k); err != nil {
					return fmt.Errorf("Delete(%q): %w", k, err)
				}
			}
		}
		return nil
	})
}

func testConcurrentSame(t *testing.T, h *driverHarness) {
	const rounds = 50
	shared, other := h.key("shared"), h.key("shared_other")
	valid := map[string]bool{}
	for g := range h.opts.Goroutines {
		for i := range rounds {
			valid[fmt.Sprintf("goroutine %d round %d", g, i)] = true
		}
	}
	ctx := t.Context()
	concurrently(t, h.opts.Goroutines, func(g int) error {
		for i := range rounds {
			v := fmt.Appendf(nil, "goroutine %d round %d", g, i)
			var err error
			switch i % 4 {
			case 0:
				err = h.d.Set(ctx, shared, v, 0)
			case 1:
				err = driver.SetMulti(ctx, h.d, map[string][]byte{shared: v, other: v}, 0)
			case 2:
				var m map[string][]byte
				m, err = driver.GetMulti(ctx, h.d, []string{shared, other})
				for k, got := range m {
					if !valid[string(got)] {
						err = fmt.Errorf("GetMulti: %q holds %s, which nobody wrote", k, short(got))
					}
				}
			case 3:
				var got []byte
				got, err = h.d.Get(ctx, shared)
				if errors.Is(err, region.ErrNotFound) {
					err = nil // a concurrent Delete
				} else if err == nil && !valid[string(got)] {
					err = fmt.Errorf("Get: %q holds %s, which nobody wrote", shared, short(got))
				}
				if g%4 == 0 && err == nil {
					err = h.d.Delete(ctx, shared)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}
