package file

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
)

// TestCASTwoDrivers runs the compare-and-set contract with two drivers on
// one directory, standing for two processes (the single-driver run is part
// of TestConformance).
func TestCASTwoDrivers(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
	}{
		{"Default", Config{}},
		{"NoSync", Config{NoSync: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.Dir = t.TempDir()
			c.CleanupInterval = -1
			a, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			b, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			regiontest.RunCASPair(t, a, b, "pair:", regiontest.DriverOptions{})
		})
	}
}

// TestWriteLockFiles: the write locks are at most 256 files, one per
// fan-out directory, kept across writes (not one per key), and Cleanup
// leaves them alone.
func TestWriteLockFiles(t *testing.T) {
	dir := t.TempDir()
	d, err := New(Config{Dir: dir, CleanupInterval: -1, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for i := range 600 {
		k := fmt.Sprintf("key %d", i)
		if err := d.Set(ctx, k, []byte("v"), 0); err != nil {
			t.Fatal(err)
		}
		_, tok, err := d.GetCAS(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if err := d.CompareAndSet(ctx, k, tok, []byte("w"), 0); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			if err := d.Delete(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
	}
	count := func() int {
		locks, err := os.ReadDir(filepath.Join(dir, "locks"))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range locks {
			if !strings.HasPrefix(e.Name(), writeLockPrefix) {
				t.Fatalf("lock file %q after writes only", e.Name())
			}
		}
		return len(locks)
	}
	if n := count(); n == 0 || n > 256 {
		t.Fatalf("%d write lock files for 600 keys; want 1 to 256", n)
	}
	before := count()
	if _, err := d.Cleanup(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != before {
		t.Fatalf("Cleanup removed write lock files: %d left of %d", n, before)
	}
}

// TestWriteLockHonoursContext: a writer waiting for another's write lock
// gives up when its context ends, and stores nothing.
func TestWriteLockHonoursContext(t *testing.T) {
	d, err := New(Config{Dir: t.TempDir(), CleanupInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	unlock, err := d.lockWrites(t.Context(), "k")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := d.CompareAndSet(ctx, "k", "", []byte("v"), 0); err == nil {
		t.Fatal("CompareAndSet while another writer holds the key's write lock succeeded")
	}
	if err := d.Set(ctx, "k", []byte("v"), 0); err == nil {
		t.Fatal("Set while another writer holds the key's write lock succeeded")
	}
	unlock()
	if _, err := d.Get(t.Context(), "k"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get after the failed writes: %v; want a miss", err)
	}
	if err := d.CompareAndSet(t.Context(), "k", "", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
}
