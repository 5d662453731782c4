package driver_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/region/driver"
)

// bytesDriver is the smallest Driver: a map, with no capability.
type bytesDriver struct {
	m     map[string][]byte
	calls int
}

func (d *bytesDriver) Get(_ context.Context, key string) ([]byte, error) {
	d.calls++
	if v, ok := d.m[key]; ok {
		return v, nil
	}
	return nil, driver.ErrNotFound
}

func (d *bytesDriver) Set(_ context.Context, key string, value []byte, _ time.Duration) error {
	d.calls++
	d.m[key] = value
	return nil
}

func (d *bytesDriver) Delete(_ context.Context, key string) error {
	d.calls++
	delete(d.m, key)
	return nil
}

// batchDriver adds the multi capabilities, counting batches.
type batchDriver struct {
	*bytesDriver
	batches int
}

func (d *batchDriver) GetMulti(ctx context.Context, keys []string) (map[string][]byte, error) {
	d.batches++
	out := map[string][]byte{}
	for _, k := range keys {
		if v, ok := d.m[k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

func (d *batchDriver) SetMulti(_ context.Context, items map[string][]byte, _ time.Duration) error {
	d.batches++
	maps.Copy(d.m, items)
	return nil
}

func (d *batchDriver) DeleteMulti(_ context.Context, keys []string) error {
	d.batches++
	for _, k := range keys {
		delete(d.m, k)
	}
	return nil
}

// proxy wraps a driver and has no capability of its own but Unwrap.
type proxy struct{ driver.Driver }

func (p proxy) Unwrap() driver.Driver { return p.Driver }

func TestMultiFallback(t *testing.T) {
	ctx := t.Context()
	plain := &bytesDriver{m: map[string][]byte{}}
	batch := &batchDriver{bytesDriver: &bytesDriver{m: map[string][]byte{}}}
	for _, d := range []driver.Driver{plain, batch, proxy{batch}} {
		if err := driver.SetMulti(ctx, d, map[string][]byte{"a": []byte("1"), "b": []byte("2")}, 0); err != nil {
			t.Fatal(err)
		}
		got, err := driver.GetMulti(ctx, d, []string{"a", "b", "a", "missing"})
		if err != nil || len(got) != 2 || string(got["a"]) != "1" || string(got["b"]) != "2" {
			t.Fatalf("%T: GetMulti = %q, %v", d, got, err)
		}
		if err := driver.DeleteMulti(ctx, d, []string{"a", "missing"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := driver.GetMulti(ctx, d, []string{"a", "b"}); !slices.Equal(slices.Sorted(maps.Keys(got)), []string{"b"}) {
			t.Fatalf("%T: after DeleteMulti: %q", d, got)
		}
	}
	// The plain driver went key by key (a duplicate key read once); the
	// batch driver was called in batches, directly only: the proxy's
	// calls went through its Get, Set and Delete.
	if plain.calls != 2+3+2+2 {
		t.Errorf("plain driver: %d single calls; want 9", plain.calls)
	}
	if batch.batches != 4 || batch.calls != 9 {
		t.Errorf("batch driver: %d batches, %d single calls; want 4 and 9", batch.batches, batch.calls)
	}
}

func TestMultiFallbackStopsAtAnError(t *testing.T) {
	boom := errors.New("boom")
	d := failing{err: boom}
	if _, err := driver.GetMulti(t.Context(), d, []string{"a"}); !errors.Is(err, boom) {
		t.Errorf("GetMulti: %v", err)
	}
	if err := driver.SetMulti(t.Context(), d, map[string][]byte{"a": nil}, 0); !errors.Is(err, boom) {
		t.Errorf("SetMulti: %v", err)
	}
	if err := driver.DeleteMulti(t.Context(), d, []string{"a"}); !errors.Is(err, boom) {
		t.Errorf("DeleteMulti: %v", err)
	}
}

type failing struct{ err error }

func (f failing) Get(context.Context, string) ([]byte, error)              { return nil, f.err }
func (f failing) Set(context.Context, string, []byte, time.Duration) error { return f.err }
func (f failing) Delete(context.Context, string) error                     { return f.err }

func TestCapability(t *testing.T) {
	batch := &batchDriver{bytesDriver: &bytesDriver{m: map[string][]byte{}}}
	if c, ok := driver.Capability[driver.MultiGetter](proxy{proxy{batch}}); !ok || c != driver.MultiGetter(batch) {
		t.Errorf("Capability through two proxies = %v, %v", c, ok)
	}
	if _, ok := driver.Capability[driver.Locker](proxy{batch}); ok {
		t.Error("found a Locker that no driver in the chain implements")
	}
}

func TestUnlockContext(t *testing.T) {
	// Past deadline: grace from now.
	past, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	u, cancelU := driver.UnlockContext(past)
	defer cancelU()
	if u.Err() != nil {
		t.Fatalf("unlock context of a done context is done: %v", u.Err())
	}
	d, ok := u.Deadline()
	if !ok || time.Until(d) > driver.UnlockGrace || time.Until(d) < driver.UnlockGrace-100*time.Millisecond {
		t.Fatalf("deadline in %v; want about UnlockGrace (%v)", time.Until(d), driver.UnlockGrace)
	}
	// Future deadline: that deadline plus the grace.
	future, cancel2 := context.WithTimeout(context.Background(), time.Hour)
	defer cancel2()
	u2, cancelU2 := driver.UnlockContext(future)
	defer cancelU2()
	fd, _ := future.Deadline()
	if d2, _ := u2.Deadline(); !d2.Equal(fd.Add(driver.UnlockGrace)) {
		t.Fatalf("deadline %v; want the caller's plus UnlockGrace (%v)", d2, fd.Add(driver.UnlockGrace))
	}
	// Cancelling the caller does not cancel the release.
	cancel2()
	if u2.Err() != nil {
		t.Fatal("the unlock context ended with its caller's")
	}
	// Layers do not add graces up.
	u3, cancelU3 := driver.UnlockContext(u2)
	defer cancelU3()
	if u3 != u2 {
		t.Fatal("UnlockContext of an unlock context made a new one")
	}
	// No deadline: grace from now.
	u4, cancelU4 := driver.UnlockContext(context.Background())
	defer cancelU4()
	if d4, ok := u4.Deadline(); !ok || time.Until(d4) > driver.UnlockGrace {
		t.Fatalf("no-deadline caller: deadline %v, %v", d4, ok)
	}
}

func TestArgumentsConversions(t *testing.T) {
	a := driver.NewArguments("d", map[string]any{
		"n": "12", "f": 2, "b": "yes", "d": 1.5, "ds": "250ms", "list": "a, b,,c", "l2": []any{"x", "y"}, "s": "str",
	})
	if a.Int("n", 0) != 12 || a.Float("f", 0) != 2 || !a.Bool("b", false) ||
		a.Duration("d", 0) != 1500*time.Millisecond || a.Duration("ds", 0) != 250*time.Millisecond ||
		strings.Join(a.Strings("list", nil), "|") != "a|b|c" || strings.Join(a.Strings("l2", nil), "|") != "x|y" ||
		a.String("s", "") != "str" || a.Int("absent", 9) != 9 {
		t.Fatal("conversion mismatch")
	}
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
	b := driver.NewArguments("d", map[string]any{"n": "twelve", "d": -1})
	b.Int("n", 0)
	if err := b.Err(); !errors.Is(err, driver.ErrInvalidArgument) || !strings.Contains(err.Error(), `"n"`) {
		t.Fatal(err)
	}
	c := driver.NewArguments("d", map[string]any{"d": "-1s"})
	c.Duration("d", 0)
	if err := c.Err(); !errors.Is(err, driver.ErrInvalidArgument) {
		t.Fatalf("negative duration: %v", err)
	}
}
