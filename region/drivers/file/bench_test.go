package file

import (
	"github.com/gosess/gosess/region/regiontest"
	"strconv"
	"testing"
)

func benchDriver(b *testing.B, c Config) *Driver {
	c.Dir = b.TempDir()
	c.CleanupInterval = -1
	d, err := New(c)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	return d
}

func BenchmarkGet(b *testing.B) {
	d := benchDriver(b, Config{NoSync: true})
	ctx := b.Context()
	v := make([]byte, 1024)
	for i := range 100 {
		if err := d.Set(ctx, "key"+strconv.Itoa(i), v, 0); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(v)))
	i := 0
	for b.Loop() {
		if _, err := d.Get(ctx, "key"+strconv.Itoa(i%100)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkSet(b *testing.B) {
	for _, tc := range []struct {
		name string
		c    Config
	}{{"Sync", Config{}}, {"NoSync", Config{NoSync: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			d := benchDriver(b, tc.c)
			ctx := b.Context()
			v := make([]byte, 1024)
			b.SetBytes(int64(len(v)))
			i := 0
			for b.Loop() {
				if err := d.Set(ctx, "key"+strconv.Itoa(i%100), v, 0); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

// BenchmarkLockUnlock is the cost of the distributed lock per
// regeneration: one uncontended TryLock and Unlock.
func BenchmarkLockUnlock(b *testing.B) {
	for _, tc := range []struct {
		name string
		c    Config
	}{{"Flock", Config{}}, {"Local", Config{DisableDistributedLock: true}}} {
		b.Run(tc.name, func(b *testing.B) {
			regiontest.BenchLockUnlock(b, benchDriver(b, tc.c))
		})
	}
}
