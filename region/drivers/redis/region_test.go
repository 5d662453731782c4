package redis

import (
	"testing"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region/regiontest"
)

// TestRegionConformance runs the region suite through regions configured
// with the "redis" driver, with and without the distributed lock.
func TestRegionConformance(t *testing.T) {
	s := testserver.Redis(t)
	for name, args := range map[string]map[string]any{
		"Plain":   {"url": "redis://" + s.Addr},
		"Locking": {"addrs": s.Addr, "distributed_lock": true, "lock_sleep": "2ms", "key_prefix": "rr:"},
	} {
		t.Run(name, func(t *testing.T) {
			regiontest.RunRegionWith(t, regiontest.RegionOptions{SharedStore: true}, "redis", args)
		})
	}
}
