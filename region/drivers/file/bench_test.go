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

// benchConfig is a named driver configuration that a benchmark runs with.
type benchConfig struct {
	name string
	c    Config
}

// runConfigs runs f as a sub-benchmark per configuration, each on a
// driver of its own.
func runConfigs(b *testing.B, f func(b *testing.B, d *Driver), configs ...benchConfig) {
	for _, tc := range configs {
		b.Run(tc.name, func(b *testing.B) { f(b, benchDriver(b, tc.c)) })
	}
}

func BenchmarkSet(b *testing.B) {
	runConfigs(b, func(b *testing.B, d *Driver) {
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
	}, benchConfig{"Sync", Config{}}, benchConfig{"NoSync", Config{NoSync: true}})
}

// BenchmarkLockUnlock is the cost of the distributed lock per
// regeneration: one uncontended TryLock and Unlock.
func BenchmarkLockUnlock(b *testing.B) {
	runConfigs(b, func(b *testing.B, d *Driver) { regiontest.BenchLockUnlock(b, d) },
		benchConfig{"Flock", Config{}}, benchConfig{"Local", Config{DisableDistributedLock: true}})
}
