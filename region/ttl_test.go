package region_test

import (
	"context"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

// ttlDriver records the TTL of the last Set.
type ttlDriver struct {
	*mapDriver
	last time.Duration
}

func (d *ttlDriver) Set(ctx context.Context, key string, v []byte, ttl time.Duration) error {
	d.last = ttl
	return d.mapDriver.Set(ctx, key, v, ttl)
}

// The TTL formula of WithExpiration's documentation: d + the stale window,
// which is Config.StaleWindow, else the region's Expiration, else d.
func TestWithExpirationTTLFormula(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  region.Config
		want time.Duration
	}{
		{"region expiration 5m", region.Config{Expiration: 5 * time.Minute}, 5*time.Minute + 10*time.Second},
		{"stale window 1m", region.Config{Expiration: 5 * time.Minute, StaleWindow: time.Minute}, time.Minute + 10*time.Second},
		{"no region expiration", region.Config{}, 20 * time.Second},
	} {
		d := &ttlDriver{mapDriver: newMapDriver()}
		r := region.New("ttl")
		if err := r.ConfigureDriver(d, tc.cfg); err != nil {
			t.Fatal(err)
		}
		if err := region.Set(context.Background(), r, "k", "v", region.WithExpiration(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		if d.last != tc.want {
			t.Errorf("%s: WithExpiration(10s) gave TTL %v, want %v", tc.name, d.last, tc.want)
		}
		r.Close()
	}
}
