package memcached

import (
	"fmt"
	"testing"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region/regiontest"
)

// BenchmarkLockUnlock is the cost the distributed lock adds to one
// regeneration: TryLock on a free (released) lock, then Unlock.
func BenchmarkLockUnlock(b *testing.B) {
	srv := testserver.Memcached(b)
	regiontest.BenchLockUnlock(b, newTestDriver(b, Config{Servers: []string{srv.Addr}}).Locking())
}

// BenchmarkGetMulti100 reads 100 keys with one GetMulti; compare with
// BenchmarkGet100, the same keys one Get at a time.
func BenchmarkGetMulti100(b *testing.B) {
	d, keys := benchKeys(b)
	ctx := b.Context()
	for b.Loop() {
		if m, err := d.GetMulti(ctx, keys); err != nil || len(m) != len(keys) {
			b.Fatal(len(m), err)
		}
	}
}

func BenchmarkGet100(b *testing.B) {
	d, keys := benchKeys(b)
	ctx := b.Context()
	for b.Loop() {
		for _, k := range keys {
			if _, err := d.Get(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchKeys(b *testing.B) (*Driver, []string) {
	srv := testserver.Memcached(b)
	d := newTestDriver(b, Config{Servers: []string{srv.Addr}})
	items := map[string][]byte{}
	keys := make([]string, 100)
	for i := range keys {
		keys[i] = fmt.Sprintf("bench:%d", i)
		items[keys[i]] = make([]byte, 200)
	}
	if err := d.SetMulti(b.Context(), items, 0); err != nil {
		b.Fatal(err)
	}
	return d, keys
}
