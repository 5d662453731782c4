package gocache

import (
	"context"
	"testing"
	"time"

	"github.com/eko/gocache/lib/v4/store"
)

type typedStore struct {
	store.StoreInterface
	typ string
}

func (s typedStore) GetType() string { return s.typ }

func TestStoreTTL(t *testing.T) {
	const month = 30 * 24 * time.Hour
	for _, tc := range []struct {
		typ  string
		opts []DriverOption
		in   time.Duration
		want time.Duration
	}{
		{"go-cache", nil, 0, 0},
		{"go-cache", nil, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{"go-cache", nil, 90 * 24 * time.Hour, 90 * 24 * time.Hour},
		{"freecache", nil, 300 * time.Millisecond, time.Second},
		{"freecache", nil, 1500 * time.Millisecond, 2 * time.Second},
		{"freecache", nil, 2 * time.Second, 2 * time.Second},
		{"memcache", nil, time.Millisecond, time.Second},
		{"memcache", nil, month, month},
		{"memcache", nil, month + time.Second, 0},
		{"memcache", []DriverOption{WithMaxTTL(0)}, 2 * month, 2 * month},
		{"freecache", []DriverOption{WithTTLRounding(0)}, 300 * time.Millisecond, 300 * time.Millisecond},
		{"go-cache", []DriverOption{WithTTLRounding(time.Minute), WithMaxTTL(time.Hour)}, time.Second, time.Minute},
		{"go-cache", []DriverOption{WithMaxTTL(time.Hour)}, 2 * time.Hour, 0},
		{"freecache", nil, 1<<63 - 1, 1<<63 - 1},
	} {
		d, err := NewDriver(typedStore{typ: tc.typ}, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if got := d.storeTTL(tc.in); got != tc.want {
			t.Errorf("%s store: storeTTL(%v) = %v; want %v", tc.typ, tc.in, got, tc.want)
		}
	}
}

// recordStore records the options of the last Set.
type recordStore struct {
	typedStore
	opts *store.Options
}

func (s *recordStore) Set(_ context.Context, _ any, _ any, o ...store.Option) error {
	s.opts = store.ApplyOptions(o...)
	return nil
}

func TestSetOptions(t *testing.T) {
	s := &recordStore{typedStore: typedStore{typ: "ristretto"}}
	d, err := NewDriver(s, WithSetOptions(store.WithCost(3), store.WithExpiration(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_ = d.Set(ctx, "k", []byte("v"), 0)
	if !s.opts.SynchronousSet || s.opts.Cost != 3 || s.opts.Expiration != time.Hour {
		t.Fatalf("ttl 0: options %+v; want synchronous, cost 3, the default expiration 1h", *s.opts)
	}
	_ = d.Set(ctx, "k", []byte("v"), time.Minute)
	if s.opts.Expiration != time.Minute {
		t.Fatalf("ttl 1m: expiration %v", s.opts.Expiration)
	}
	_ = d.Set(ctx, "k", []byte("v"), 0)
	if s.opts.Expiration != time.Hour {
		t.Fatalf("the per-call expiration leaked into the shared options: %v", s.opts.Expiration)
	}
	d, _ = NewDriver(s, WithSynchronousSet(false))
	_ = d.Set(ctx, "k", []byte("v"), 0)
	if s.opts.SynchronousSet {
		t.Fatal("WithSynchronousSet(false) still sets synchronously")
	}
}
