package regiontest

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

// Reads and writes through a region: dogpile.cache's generic backend
// tests (get, set, delete and their multi versions), value types and
// metadata, what cannot be decoded or encoded, and key manglers.

// --- generic backend tests -------------------------------------------
func testRegionGetNothing(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	wantMissR[string](t, r, h.key("a"))
	wantMissR[string](t, r, h.key("a"), region.WithExpiration(10*time.Second))
	if err := r.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r, h.key("a"))
	wantMissR[[]byte](t, r, h.key("a"))
	wantMissR[map[string]int](t, r, h.key("a"))
}

func testRegionSetGet(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k := h.key("a")
	mustSet(t, r, k, "some value")
	wantGet(h, r, k, "some value")
	mustSet(t, r, k, "another value")
	wantGet(h, r, k, "another value")
}

// roundTrip sets v under the key name and reads it back as a T.
func roundTrip[T any](h *regionHarness, r *region.Region, name string, v T) {
	h.t.Helper()
	mustSet(h.t, r, h.key(name), v)
	wantGet(h, r, h.key(name), v)
}

type sample struct {
	Name  string
	N     int
	Tags  []string
	Attrs map[string]float64
	When  time.Time
}

func testRegionValueTypes(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	bin := make([]byte, 256)
	for i := range bin {
		bin[i] = byte(i)
	}
	s := sample{Name: "zoë", N: -7, Tags: []string{"a", "b"}, Attrs: map[string]float64{"x": 1.5},
		When: time.Date(2024, 2, 29, 12, 0, 0, 0, time.UTC)}
	roundTrip(h, r, "bytes", bin)
	roundTrip(h, r, "empty bytes", []byte{})
	roundTrip(h, r, "string", "héllo\x00wörld")
	roundTrip(h, r, "empty string", "")
	roundTrip(h, r, "int", 42)
	roundTrip(h, r, "struct", s)
	roundTrip(h, r, "pointer", &s)
	wantGet(h, r, h.key("bytes"), bin) // not overwritten by the others
	if err := region.SetMulti(t.Context(), r, map[string]sample{h.key("m1"): s, h.key("m2"): {Name: "two"}}); err != nil {
		t.Fatal(err)
	}
	wantMulti(h, r, h.keys("m1", "m2", "m3"), map[string]sample{h.key("m1"): s, h.key("m2"): {Name: "two"}})
}

func testRegionDelete(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k, other := h.key("a"), h.key("b")
	mustSet(t, r, k, "some value")
	mustSet(t, r, other, "other value")
	for range 2 { // deleting twice is not an error
		if err := r.Delete(t.Context(), k); err != nil {
			t.Fatalf("Delete: %v", err)
		}
	}
	wantMissR[string](t, r, k)
	wantGet(h, r, other, "other value")
}

func testRegionSetMultiGet(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	values := map[string]string{h.key("1"): "value1", h.key("2"): "value2", h.key("3"): "value3"}
	if err := region.SetMulti(t.Context(), r, values); err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		wantGet(h, r, k, v)
	}
	wantMulti(h, r, slices.Collect(maps.Keys(values)), values)
}

func testRegionGetMultiEmpty(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	ctx := t.Context()
	for _, keys := range [][]string{nil, {}} {
		wantMulti(h, r, keys, map[string]string{})
		if err := region.SetMulti(ctx, r, map[string]string{}); err != nil {
			t.Fatalf("SetMulti of nothing: %v", err)
		}
		if err := r.DeleteMulti(ctx, keys); err != nil {
			t.Fatalf("DeleteMulti of nothing: %v", err)
		}
		calls := 0
		m, err := region.GetOrCreateMulti(ctx, r, keys, func(context.Context, []string) (map[string]int, error) {
			calls++
			return nil, nil
		})
		if err != nil || len(m) != 0 || m == nil {
			t.Fatalf("GetOrCreateMulti of no keys = %v, %v; want an empty map", m, err)
		}
		if calls != 0 {
			t.Fatalf("GetOrCreateMulti of no keys called its creator")
		}
	}
}

func testRegionGetMultiMissing(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	all := h.keys("1", "2", "3", "4", "5", "6")
	if err := r.DeleteMulti(t.Context(), all[:5]); err != nil {
		t.Fatal(err)
	}
	values := map[string]string{all[0]: "value1", all[2]: "value3", all[4]: "value5"}
	if err := region.SetMulti(t.Context(), r, values); err != nil {
		t.Fatal(err)
	}
	wantMulti(h, r, all, values)
	// Duplicates are read once; order does not matter.
	wantMulti(h, r, []string{all[4], all[1], all[4], all[0]}, map[string]string{all[0]: "value1", all[4]: "value5"})
}

func testRegionDeleteMulti(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(0))
	k1, k2, k3, k10 := h.key("1"), h.key("2"), h.key("3"), h.key("10")
	if err := region.SetMulti(t.Context(), r, map[string]string{k1: "value1", k2: "value2", k3: "value3"}); err != nil {
		t.Fatal(err)
	}
	if err := r.DeleteMulti(t.Context(), []string{k2, k10}); err != nil {
		t.Fatal(err)
	}
	wantGet(h, r, k1, "value1")
	wantMissR[string](t, r, k2)
	wantGet(h, r, k3, "value3")
	wantMissR[string](t, r, k10)
}

func testMetadata(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	k := h.key("a")
	before := time.Now()
	mustSet(t, r, k, "v")
	after := time.Now()
	it, err := region.GetItem[string](t.Context(), r, k)
	if h.opts.NullStore {
		if !errors.Is(err, region.ErrNotFound) {
			t.Fatalf("GetItem on a null store: %v; want ErrNotFound", err)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if it.Value != "v" {
		t.Fatalf("GetItem value %q", it.Value)
	}
	if it.Created.Before(before.Add(-time.Millisecond)) || it.Created.After(after.Add(time.Millisecond)) {
		t.Fatalf("Created %s; want between %s and %s", it.Created, before, after)
	}
	if age := it.Age(); age < 0 || age > waitLong {
		t.Fatalf("Age %s", age)
	}
	time.Sleep(20 * time.Millisecond)
	it2, err := region.GetItem[string](t.Context(), r, k)
	if err != nil {
		t.Fatal(err)
	}
	if !it2.Created.Equal(it.Created) || it2.Age() < 20*time.Millisecond {
		t.Fatalf("second read: created %s (was %s), age %s; want the same creation time and a growing age", it2.Created, it.Created, it2.Age())
	}
	// GetOrCreate stamps its values too.
	if _, err := region.GetOrCreate(t.Context(), r, h.key("b"), func(context.Context) (int, error) { return 1, nil }); err != nil {
		t.Fatal(err)
	}
	it3, err := region.GetItem[int](t.Context(), r, h.key("b"))
	if err != nil || it3.Value != 1 || it3.Created.Before(after) {
		t.Fatalf("GetItem of a created value = %+v, %v", it3, err)
	}
}

// testUndecodable: bytes the region cannot decode (foreign, corrupt, or of
// another type) are misses that GetOrCreate regenerates, never a panic.
func testUndecodable(t *testing.T, h *regionHarness) {
	h.skipNull("nothing is kept to decode")
	prefix := strings.ReplaceAll(h.prefix, " ", "_")
	mangle := func(k string) string { return prefix + strings.ReplaceAll(k, " ", "_") }
	r := h.region(h.cfg(time.Minute), region.WithKeyMangler(mangle))
	ctx := t.Context()
	k := h.key("a")
	for _, junk := range [][]byte{nil, {}, {0}, []byte("not an envelope"), make([]byte, 64)} {
		if err := r.ActualDriver().Set(ctx, mangle(k), junk, 0); err != nil {
			t.Fatal(err)
		}
		wantMissR[string](t, r, k)
		wantMissR[[]byte](t, r, k)
		wantMissR[map[string]int](t, r, k)
	}
	if h.opts.ValueStore {
		// No bytes to corrupt: a value of another type is the miss.
		testOtherTypeIsMiss(t, h, r, k)
		return
	}
	// Corrupt a real value: truncate it.
	mustSet(t, r, k, map[string]int{"a": 1})
	b, err := r.ActualDriver().Get(ctx, mangle(k))
	if err != nil {
		t.Fatalf("the value is not in the driver under the mangled key: %v", err)
	}
	for n := range len(b) {
		if err := r.ActualDriver().Set(ctx, mangle(k), b[:n], 0); err != nil {
			t.Fatal(err)
		}
		if v, err := region.Get[map[string]int](ctx, r, k); err == nil && !reflect.DeepEqual(v, map[string]int{"a": 1}) {
			t.Fatalf("a value truncated to %d bytes decoded as %v", n, v)
		}
	}
	testOtherTypeIsMiss(t, h, r, k)
}

// testOtherTypeIsMiss: a value read as another type than it was stored
// with is a miss, and GetOrCreate replaces it.
func testOtherTypeIsMiss(t *testing.T, h *regionHarness, r *region.Region, k string) {
	ctx := t.Context()
	mustSet(t, r, k, map[string]int{"a": 1})
	wantMissR[int](t, r, k)
	v, err := region.GetOrCreate(ctx, r, k, func(context.Context) (int, error) { return 7, nil })
	if err != nil || v != 7 {
		t.Fatalf("GetOrCreate over a value of another type = %d, %v; want 7", v, err)
	}
	wantGet(h, r, k, 7)
}

// testUnencodable: a value the codec cannot encode is refused with
// ErrEncode and nothing is stored; a driver that holds Go values needs no
// codec and stores it.
func testUnencodable(t *testing.T, h *regionHarness) {
	r := h.region(h.cfg(time.Minute))
	k := h.key("ch")
	err := region.Set(t.Context(), r, k, make(chan int))
	if h.opts.ValueStore {
		if err != nil {
			t.Errorf("Set of a value JSON lacks: %v; a driver that holds values stores any value", err)
		}
		return
	}
	if !errors.Is(err, region.ErrEncode) {
		t.Errorf("Set of a value JSON lacks: %v; want region.ErrEncode", err)
	}
	wantMissR[string](t, r, k)
}

func testKeyMangler(t *testing.T, h *regionHarness) {
	mangle := func(k string) string { return "HI!" + strings.ReplaceAll(k, " ", "_") }
	r := h.region(h.cfg(0), region.WithKeyMangler(mangle))
	ctx := t.Context()
	k := h.key("a")
	mustSet(t, r, k, "some value")
	wantGet(h, r, k, "some value")
	if !h.opts.NullStore {
		if err := h.holds(ctx, r, mangle(k)); err != nil {
			t.Fatalf("the driver does not hold the mangled key %q: %v", mangle(k), err)
		}
	}
	v, err := region.GetOrCreate(ctx, r, k, func(context.Context) (string, error) { return "some new value", nil })
	want := "some value"
	if h.opts.NullStore {
		want = "some new value"
	}
	if err != nil || v != want {
		t.Fatalf("GetOrCreate = %q, %v; want %q", v, err, want)
	}
	if err := r.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	wantMissR[string](t, r, k)
	if err := h.holds(ctx, r, mangle(k)); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Delete left the mangled key in the driver: %v", err)
	}
}
