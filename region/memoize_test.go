package region_test

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/gosess/gosess/region"
)

type point struct{ X, Y int }

func TestMemoize(t *testing.T) {
	ctx := context.Background()
	r, d := newRegion(t, region.Config{})
	var calls atomic.Int32
	load := region.Memoize(r, "users", func(_ context.Context, id int) (user, error) {
		calls.Add(1)
		return user{ID: id, Name: "u" + strconv.Itoa(id)}, nil
	})
	for range 3 {
		u, err := load.Call(ctx, 7)
		if err != nil || u.Name != "u7" {
			t.Fatal(u, err)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("calls %d", calls.Load())
	}
	if load.Key(7) != "memo:users:7" {
		t.Fatal(load.Key(7))
	}
	if _, ok := d.items["memo:users:7"]; !ok {
		t.Fatal(d.keys())
	}
	if _, err := load.Get(ctx, 8); !errors.Is(err, region.ErrNotFound) {
		t.Fatal("Get must not call the function")
	}
	if err := load.Set(ctx, 8, user{Name: "set"}); err != nil {
		t.Fatal(err)
	}
	if u, _ := load.Call(ctx, 8); u.Name != "set" {
		t.Fatal(u)
	}
	if err := load.Invalidate(ctx, 7); err != nil {
		t.Fatal(err)
	}
	load.Call(ctx, 7)
	if calls.Load() != 2 {
		t.Fatal("invalidate did not drop the value")
	}
	if u, err := load.Refresh(ctx, 8); err != nil || u.Name != "u8" || calls.Load() != 3 {
		t.Fatal(u, err)
	}
	if u, _ := load.Original()(ctx, 1); u.Name != "u1" || calls.Load() != 4 {
		t.Fatal("original")
	}
	custom := load.WithKeyFunc(func(id int) string { return "id-" + strconv.Itoa(id) })
	if custom.Key(3) != "memo:users:id-3" {
		t.Fatal(custom.Key(3))
	}
	// Struct arguments give deterministic keys.
	byPoint := region.Memoize(r, "p", func(_ context.Context, p point) (int, error) { return p.X + p.Y, nil })
	if byPoint.Key(point{1, 2}) != byPoint.Key(point{1, 2}) || byPoint.Key(point{1, 2}) == byPoint.Key(point{2, 1}) {
		t.Fatal("struct keys")
	}
	var nilFn *region.Memoized[int, int] = region.Memoize[int, int](r, "nil", nil)
	if _, err := nilFn.Call(ctx, 1); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatal(err)
	}
}

func TestMemoizeMulti(t *testing.T) {
	ctx := context.Background()
	r, _ := newRegion(t, region.Config{})
	var asked [][]int
	sq := region.MemoizeMulti(r, "sq", func(_ context.Context, ns []int) (map[int]int, error) {
		asked = append(asked, ns)
		out := map[int]int{}
		for _, n := range ns {
			out[n] = n * n
		}
		return out, nil
	})
	got, err := sq.Call(ctx, []int{2, 3})
	if err != nil || got[2] != 4 || got[3] != 9 {
		t.Fatal(got, err)
	}
	got, _ = sq.Call(ctx, []int{3, 4})
	if got[3] != 9 || got[4] != 16 || len(asked) != 2 || len(asked[1]) != 1 || asked[1][0] != 4 {
		t.Fatalf("second call asked %v", asked)
	}
	cached, _ := sq.Get(ctx, []int{2, 5})
	if len(cached) != 1 || cached[2] != 4 {
		t.Fatal(cached)
	}
	if err := sq.Set(ctx, map[int]int{5: -1}); err != nil {
		t.Fatal(err)
	}
	if got, _ := sq.Call(ctx, []int{5}); got[5] != -1 {
		t.Fatal(got)
	}
	if err := sq.Invalidate(ctx, 2, 5); err != nil {
		t.Fatal(err)
	}
	if cached, _ := sq.Get(ctx, []int{2, 5}); len(cached) != 0 {
		t.Fatal(cached)
	}
	if got, err := sq.Refresh(ctx, []int{5}); err != nil || got[5] != 25 {
		t.Fatal(got, err)
	}
	if sq.Key(5) != "memo:sq:5" || sq.Original() == nil {
		t.Fatal("key/original")
	}
}

// TestMemoizeDistinctArguments is dogpile's
// test_decorated_fn_functionality: each argument value has its own
// cached result, (3, 4) and (4, 3) included, and Invalidate drops one.
func TestMemoizeDistinctArguments(t *testing.T) {
	r, _ := newRegion(t, region.Config{})
	ctx := t.Context()
	var n atomic.Int32
	fn := region.Memoize(r, "fn", func(_ context.Context, a [2]int) (int, error) {
		return int(n.Add(1)) + a[0] + a[1], nil
	})
	var got []int
	for _, a := range [][2]int{{3, 4}, {5, 6}, {3, 4}, {4, 3}} {
		v, err := fn.Call(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := fn.Invalidate(ctx, [2]int{4, 3}); err != nil {
		t.Fatal(err)
	}
	v, err := fn.Call(ctx, [2]int{4, 3})
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, v)
	if want := []int{8, 13, 8, 10, 11}; !slices.Equal(got, want) {
		t.Fatalf("memoized results %v; want %v", got, want)
	}
}
