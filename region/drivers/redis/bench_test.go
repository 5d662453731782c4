package redis

import (
	"strconv"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

func benchDriver(b *testing.B) *Driver {
	b.Helper()
	s := testserver.Redis(b)
	d, err := New(Config{Addrs: []string{s.Addr}, DistributedLock: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	return d
}

// BenchmarkGet is one GET round trip of a 100-byte value.
func BenchmarkGet(b *testing.B) {
	d := benchDriver(b)
	ctx := b.Context()
	if err := d.Set(ctx, "k", make([]byte, 100), 0); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := d.Get(ctx, "k"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGetMulti100 is one MGET of 100 keys.
func BenchmarkGetMulti100(b *testing.B) {
	d := benchDriver(b)
	ctx := b.Context()
	items := map[string][]byte{}
	var keys []string
	for i := range 100 {
		k := "k" + strconv.Itoa(i)
		items[k], keys = make([]byte, 100), append(keys, k)
	}
	if err := d.SetMulti(ctx, items, time.Minute); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if m, err := d.GetMulti(ctx, keys); err != nil || len(m) != 100 {
			b.Fatal(len(m), err)
		}
	}
}

// BenchmarkLockUnlock is the distributed lock's cost per regeneration: one
// SET NX PX and one unlock script run.
func BenchmarkLockUnlock(b *testing.B) {
	regiontest.BenchLockUnlock(b, benchDriver(b).RegionDriver().(driver.Locker))
}
