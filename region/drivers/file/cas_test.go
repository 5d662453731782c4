package file

import (
	"context"
	"errors"
	"os"
	"path/filepath"
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

// TestWriteLockLeavesNoFiles: write locks are removed when released, and a
// write lock file left by a dead writer is removed by Cleanup.
func TestWriteLockLeavesNoFiles(t *testing.T) {
	dir := t.TempDir()
	d, err := New(Config{Dir: dir, CleanupInterval: -1, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := d.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	_, tok, err := d.GetCAS(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CompareAndSet(ctx, "k", tok, []byte("w"), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "k"); err != nil {
		t.Fatal(err)
	}
	locks, _ := os.ReadDir(filepath.Join(dir, "locks"))
	if len(locks) != 0 {
		t.Fatalf("lock files left after writes: %v", locks)
	}
	// A writer that died holding the write lock: its file stays, unheld.
	orphan := filepath.Join(dir, "locks", name(writeLockPrefix+"k"))
	if err := os.WriteFile(orphan, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "k", []byte("after"), 0); err != nil {
		t.Fatalf("Set with an orphaned write lock file: %v", err)
	}
	if err := os.WriteFile(orphan, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := d.Cleanup(ctx); err != nil || n != 1 {
		t.Fatalf("Cleanup = %d, %v; want the orphaned lock file removed", n, err)
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
