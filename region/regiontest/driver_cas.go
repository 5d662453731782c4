package regiontest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// The driver.CASDriver contract. Every check runs against a pair of
// drivers: the one that reads and the one that writes in between. In
// RunDriverWith both are the same driver value; RunCASPair gives two
// clients of one store, standing for two processes.

// casPair is where the compare-and-set checks take their drivers: a reads
// and compares, b is the other writer (the same driver, or a second client
// of the store).
type casPair struct {
	a, b driver.Driver
	key  func(name string) string
	opts DriverOptions
}

func (p casPair) casA() driver.CASDriver { return p.a.(driver.CASDriver) }
func (p casPair) casB() driver.CASDriver { return p.b.(driver.CASDriver) }

func testCAS(t *testing.T, h *driverHarness) {
	if _, ok := h.d.(driver.CASDriver); !ok {
		t.Skip("driver does not implement driver.CASDriver (the region compares and sets under the key's mutex)")
	}
	if h.opts.NullStore {
		testNullCAS(t, h)
		return
	}
	runCAS(t, casPair{a: h.d, b: h.d, key: h.key, opts: h.opts})
}

// RunCASPair checks the driver.CASDriver contract with two clients of one
// store (standing for two processes): a write or delete by either makes
// the other's compare-and-set fail, and goroutines split between the two
// clients incrementing one counter with GetCAS and CompareAndSet lose no
// increment. Both drivers must implement driver.CASDriver. Keys start with
// keyPrefix, so that one store can serve several runs. opts.TTL and
// opts.TTLSlack size the TTL check (skipped with opts.NoTTL).
func RunCASPair(t *testing.T, a, b driver.Driver, keyPrefix string, opts DriverOptions) {
	t.Helper()
	for i, d := range []driver.Driver{a, b} {
		if _, ok := d.(driver.CASDriver); !ok {
			t.Fatalf("driver %d (%T) does not implement driver.CASDriver", i+1, d)
		}
	}
	runCAS(t, casPair{a: a, b: b, key: func(n string) string { return keyPrefix + n }, opts: opts.withDefaults()})
}

func runCAS(t *testing.T, p casPair) {
	t.Run("GetCASMissing", func(t *testing.T) { testGetCASMissing(t, p) })
	t.Run("AddIfAbsent", func(t *testing.T) { testCASAdd(t, p) })
	t.Run("SetAfterRead", func(t *testing.T) { testCASAfterRead(t, p) })
	t.Run("ConflictAfterWrite", func(t *testing.T) { testCASConflictWrite(t, p) })
	t.Run("ConflictAfterDelete", func(t *testing.T) { testCASConflictDelete(t, p) })
	t.Run("FreshWriteNewToken", func(t *testing.T) { testCASFreshToken(t, p) })
	t.Run("TTL", func(t *testing.T) { testCASTTL(t, p) })
	t.Run("RacingIncrements", func(t *testing.T) { testCASRace(t, p) })
}

func getCAS(t *testing.T, c driver.CASDriver, key string) ([]byte, driver.CASToken) {
	t.Helper()
	v, tok, err := c.GetCAS(t.Context(), key)
	if err != nil {
		t.Fatalf("GetCAS(%q): %v", key, err)
	}
	if tok == "" {
		t.Fatalf("GetCAS(%q) of a present key returned the empty token", key)
	}
	return v, tok
}

// setAndRead stores v under k through a, checks that GetCAS through a
// reads it back, and returns its token.
func (p casPair) setAndRead(t *testing.T, k string, v []byte) driver.CASToken {
	t.Helper()
	if err := p.a.Set(t.Context(), k, v, 0); err != nil {
		t.Fatal(err)
	}
	got, tok := getCAS(t, p.casA(), k)
	if !bytes.Equal(got, v) {
		t.Fatalf("GetCAS(%q) after Set = %s; want %q", k, short(got), v)
	}
	return tok
}

func wantConflict(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, region.ErrConflict) {
		t.Fatalf("%s: %v; want an error matching region.ErrConflict", what, err)
	}
}

func mustCAS(t *testing.T, c driver.CASDriver, key string, tok driver.CASToken, v []byte, what string) {
	t.Helper()
	if err := c.CompareAndSet(t.Context(), key, tok, v, 0); err != nil {
		t.Fatalf("%s: CompareAndSet(%q): %v", what, key, err)
	}
}

func wantStored(t *testing.T, d driver.Driver, key string, want []byte, what string) {
	t.Helper()
	got, err := d.Get(t.Context(), key)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s: Get(%q) = %s, %v; want %q", what, key, short(got), err, want)
	}
}

func wantAbsent(t *testing.T, d driver.Driver, key string, what string) {
	t.Helper()
	if got, err := d.Get(t.Context(), key); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("%s: Get(%q) = %s, %v; want ErrNotFound", what, key, short(got), err)
	}
}

func testGetCASMissing(t *testing.T, p casPair) {
	v, tok, err := p.casA().GetCAS(t.Context(), p.key("cas_missing"))
	if !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("GetCAS of a missing key = %s, %q, %v; want ErrNotFound", short(v), tok, err)
	}
	if tok != "" {
		t.Fatalf("GetCAS of a missing key returned token %q; want empty", tok)
	}
}

func testCASAdd(t *testing.T, p casPair) {
	k := p.key("cas_add")
	mustCAS(t, p.casA(), k, "", []byte("first"), "add of an absent key")
	wantStored(t, p.b, k, []byte("first"), "after add")
	wantConflict(t, p.casB().CompareAndSet(t.Context(), k, "", []byte("second"), 0), "add of a present key")
	wantStored(t, p.a, k, []byte("first"), "after a failed add")
	// Absent again after a delete: add works again.
	if err := p.b.Delete(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	mustCAS(t, p.casA(), k, "", []byte("third"), "add after delete")
	wantStored(t, p.b, k, []byte("third"), "after the second add")
	// An empty value is a value: it is present.
	k2 := p.key("cas_add_empty")
	mustCAS(t, p.casA(), k2, "", []byte{}, "add of an empty value")
	if v, _ := getCAS(t, p.casB(), k2); len(v) != 0 {
		t.Fatalf("GetCAS of an empty value = %q", v)
	}
	wantConflict(t, p.casB().CompareAndSet(t.Context(), k2, "", []byte("x"), 0), "add over an empty value")
}

func testCASAfterRead(t *testing.T, p casPair) {
	k := p.key("cas_read")
	tok := p.setAndRead(t, k, []byte("v1"))
	mustCAS(t, p.casA(), k, tok, []byte("v2"), "compare-and-set after a read")
	wantStored(t, p.b, k, []byte("v2"), "after compare-and-set")
	// The token named v1: it is spent.
	wantConflict(t, p.casB().CompareAndSet(t.Context(), k, tok, []byte("v3"), 0), "second compare-and-set with the same token")
	wantStored(t, p.a, k, []byte("v2"), "after a failed compare-and-set")
	// A token from the other client works the same.
	_, tok2 := getCAS(t, p.casB(), k)
	mustCAS(t, p.casA(), k, tok2, []byte("v4"), "compare-and-set with the other client's token")
	wantStored(t, p.b, k, []byte("v4"), "after the cross-client compare-and-set")
}

func testCASConflictWrite(t *testing.T, p casPair) {
	k := p.key("cas_write")
	tok := p.setAndRead(t, k, []byte("mine"))
	if err := p.b.Set(t.Context(), k, []byte("theirs"), 0); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, p.casA().CompareAndSet(t.Context(), k, tok, []byte("mine again"), 0), "compare-and-set after another write")
	wantStored(t, p.a, k, []byte("theirs"), "the other writer's value")
	// A write of other bytes through compare-and-set also spends the token.
	_, tok = getCAS(t, p.casA(), k)
	_, tokB := getCAS(t, p.casB(), k)
	mustCAS(t, p.casB(), k, tokB, []byte("theirs, again"), "the other writer's compare-and-set")
	wantConflict(t, p.casA().CompareAndSet(t.Context(), k, tok, []byte("late"), 0), "compare-and-set after another compare-and-set")
	// SetMulti is a write like Set.
	_, tok = getCAS(t, p.casA(), k)
	if err := driver.SetMulti(t.Context(), p.b, map[string][]byte{k: []byte("multi"), p.key("cas_write_2"): []byte("x")}, 0); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, p.casA().CompareAndSet(t.Context(), k, tok, []byte("late"), 0), "compare-and-set after SetMulti")
	wantStored(t, p.a, k, []byte("multi"), "after SetMulti")
}

func testCASConflictDelete(t *testing.T, p casPair) {
	k := p.key("cas_delete")
	tok := p.setAndRead(t, k, []byte("v"))
	if err := p.b.Delete(t.Context(), k); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, p.casA().CompareAndSet(t.Context(), k, tok, []byte("resurrected"), 0), "compare-and-set after a delete")
	wantAbsent(t, p.b, k, "a compare-and-set after a delete must not bring the key back")
	// DeleteMulti too.
	tok = p.setAndRead(t, k, []byte("v"))
	if err := driver.DeleteMulti(t.Context(), p.b, []string{k, p.key("cas_delete_other")}); err != nil {
		t.Fatal(err)
	}
	wantConflict(t, p.casA().CompareAndSet(t.Context(), k, tok, []byte("resurrected"), 0), "compare-and-set after DeleteMulti")
	wantAbsent(t, p.b, k, "after DeleteMulti")
}

// testCASFreshToken: every write of new bytes gives a new token, whoever
// made it, so a token read before it no longer matches.
func testCASFreshToken(t *testing.T, p casPair) {
	k := p.key("cas_token")
	seen := map[driver.CASToken]int{}
	for i := range 6 {
		v := fmt.Appendf(nil, "version %d", i)
		var err error
		switch i % 3 {
		case 0:
			err = p.a.Set(t.Context(), k, v, 0)
		case 1:
			err = p.b.Set(t.Context(), k, v, 0)
		case 2:
			_, tok := getCAS(t, p.casB(), k)
			err = p.casB().CompareAndSet(t.Context(), k, tok, v, 0)
		}
		if err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		got, tok := getCAS(t, p.casA(), k)
		if !bytes.Equal(got, v) {
			t.Fatalf("GetCAS after write %d = %q; want %q", i, got, v)
		}
		if j, dup := seen[tok]; dup {
			t.Fatalf("write %d has the token of write %d (%q): a token must name one version", i, j, tok)
		}
		seen[tok] = i
	}
}

func testCASTTL(t *testing.T, p casPair) {
	if p.opts.NoTTL {
		t.Skip("driver does not honour per-item TTLs")
	}
	ctx := t.Context()
	added, replaced := p.key("cas_ttl_add"), p.key("cas_ttl_cas")
	if err := p.casA().CompareAndSet(ctx, added, "", []byte("short"), p.opts.TTL); err != nil {
		t.Fatal(err)
	}
	if err := p.a.Set(ctx, replaced, []byte("long"), 0); err != nil {
		t.Fatal(err)
	}
	_, tok := getCAS(t, p.casA(), replaced)
	if err := p.casA().CompareAndSet(ctx, replaced, tok, []byte("short"), p.opts.TTL); err != nil {
		t.Fatal(err)
	}
	wantStored(t, p.b, added, []byte("short"), "right after an add with a TTL")
	wantStored(t, p.b, replaced, []byte("short"), "right after a compare-and-set with a TTL")
	deadline := time.Now().Add(p.opts.TTL + p.opts.TTLSlack)
	for _, k := range []string{added, replaced} {
		for {
			_, err := p.b.Get(ctx, k)
			if errors.Is(err, region.ErrNotFound) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if time.Now().After(deadline) {
				t.Fatalf("%q still present %v after its TTL of %v", k, p.opts.TTLSlack, p.opts.TTL)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// An expired item is absent: add works again.
	mustCAS(t, p.casA(), added, "", []byte("again"), "add after expiry")
}

// testCASRace has goroutines, split between the two drivers, increment
// one counter by read, add one, compare-and-set, retrying on conflict:
// every increment must be kept.
func testCASRace(t *testing.T, p casPair) {
	k := p.key("cas_race")
	const rounds = 25
	workers := max(4, p.opts.Goroutines/2)
	mustCAS(t, p.casA(), k, "", []byte("0"), "counter start")
	concurrently(t, workers, func(g int) error {
		c := p.casA()
		if g%2 == 1 {
			c = p.casB()
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		for range rounds {
			for attempt := 0; ; attempt++ {
				v, tok, err := c.GetCAS(ctx, k)
				if err != nil {
					return fmt.Errorf("GetCAS: %w", err)
				}
				n, err := strconv.Atoi(string(v))
				if err != nil {
					return fmt.Errorf("counter holds %q", v)
				}
				err = c.CompareAndSet(ctx, k, tok, strconv.AppendInt(nil, int64(n+1), 10), 0)
				if err == nil {
					break
				}
				if !errors.Is(err, region.ErrConflict) {
					return fmt.Errorf("CompareAndSet: %w", err)
				}
				if attempt > 10_000 {
					return errors.New("no progress after 10000 conflicts")
				}
			}
		}
		return nil
	})
	want := strconv.Itoa(workers * rounds)
	wantStored(t, p.a, k, []byte(want), fmt.Sprintf("%d goroutines x %d increments", workers, rounds))
}

func testNullCAS(t *testing.T, h *driverHarness) {
	c := h.d.(driver.CASDriver)
	ctx := t.Context()
	k := h.key("cas_null")
	if err := c.CompareAndSet(ctx, k, "", []byte("v"), 0); err != nil {
		t.Fatalf("add on a null store: %v; want nil (stores nothing, as Set)", err)
	}
	if v, tok, err := c.GetCAS(ctx, k); !errors.Is(err, region.ErrNotFound) || tok != "" {
		t.Fatalf("GetCAS on a null store = %q, %q, %v; want ErrNotFound", v, tok, err)
	}
	wantConflict(t, c.CompareAndSet(ctx, k, "some token", []byte("v"), 0), "compare-and-set on a null store")
}
