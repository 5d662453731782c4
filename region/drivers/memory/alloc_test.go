package memory

import (
	"context"
	"testing"

	"github.com/gosess/gosess/region"
)

// The region's hit path allocates nothing of its own: a Get or GetOrCreate
// hit of a []byte or string value costs the allocations of bigcache.Get
// (the copy of the entry), no more.
func TestHitPathAllocatesOnlyTheDriversCopy(t *testing.T) {
	ctx := context.Background()
	r := hourRegion(t)
	if err := region.Set(ctx, r, "b", []byte("some bytes")); err != nil {
		t.Fatal(err)
	}
	if err := region.Set(ctx, r, "s", "a string"); err != nil {
		t.Fatal(err)
	}
	bc := r.ActualDriver().(*Driver).BigCache()
	raw := testing.AllocsPerRun(100, func() { _, _ = bc.Get("b") })
	creator := func(context.Context) ([]byte, error) { return nil, nil }
	for name, f := range map[string]func(){
		"Get[[]byte]":         func() { _, _ = region.Get[[]byte](ctx, r, "b") },
		"GetOrCreate[[]byte]": func() { _, _ = region.GetOrCreate(ctx, r, "b", creator) },
	} {
		if got := testing.AllocsPerRun(100, f); got > raw {
			t.Errorf("%s hit: %v allocations; bigcache.Get makes %v", name, got, raw)
		}
	}
	// A string is the bytes' one conversion more.
	if got := testing.AllocsPerRun(100, func() { _, _ = region.Get[string](ctx, r, "s") }); got > raw+1 {
		t.Errorf("Get[string] hit: %v allocations; want at most %v", got, raw+1)
	}
}

// A struct read with the default codec decodes into a value on the stack:
// the allocations are the driver's copy and the codec's own, not a copy of
// the struct on the heap.
func TestTypedHitDoesNotAllocateTheValue(t *testing.T) {
	type user struct {
		ID   int64
		Name string
	}
	ctx := context.Background()
	r := hourRegion(t)
	if err := region.Set(ctx, r, "u", user{ID: 7, Name: "Ann"}); err != nil {
		t.Fatal(err)
	}
	bc := r.ActualDriver().(*Driver).BigCache()
	raw := testing.AllocsPerRun(100, func() { _, _ = bc.Get("u") })
	// bigcache's copy and go-json's copy of its input (its strings point
	// into that copy).
	if got := testing.AllocsPerRun(100, func() { _, _ = region.Get[user](ctx, r, "u") }); got > raw+1 {
		t.Errorf("Get[user] hit: %v allocations; want at most %v", got, raw+1)
	}
}
