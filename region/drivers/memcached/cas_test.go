package memcached

import (
	"errors"
	"testing"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
)

// TestCASAcrossClients runs the compare-and-set contract with two drivers
// on one server, standing for two processes (the single-driver run is part
// of TestConformance).
func TestCASAcrossClients(t *testing.T) {
	srv := testserver.Memcached(t)
	cfg := Config{Servers: []string{srv.Addr}}
	t.Run("Plain", func(t *testing.T) {
		regiontest.RunCASPair(t, newTestDriver(t, cfg), newTestDriver(t, cfg), "pair:", regiontest.DriverOptions{})
	})
	t.Run("Locking", func(t *testing.T) {
		regiontest.RunCASPair(t, newTestDriver(t, cfg).Locking(), newTestDriver(t, cfg).Locking(), "lpair:", regiontest.DriverOptions{})
	})
}

// TestCASDisabledServer: against memcached -C, GetCAS says why it cannot
// work instead of handing out a token that compares with nothing.
func TestCASDisabledServer(t *testing.T) {
	srv := testserver.Memcached(t, "-C")
	d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
	ctx := t.Context()
	if err := d.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.GetCAS(ctx, "k"); !errors.Is(err, ErrCASDisabled) {
		t.Fatalf("GetCAS on memcached -C: %v; want ErrCASDisabled", err)
	}
	if err := d.CompareAndSet(ctx, "k", "not a number", []byte("v"), 0); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("CompareAndSet with a foreign token: %v; want ErrInvalidArgument", err)
	}
}
