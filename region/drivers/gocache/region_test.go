package gocache_test

import (
	"testing"

	"github.com/gosess/gosess/region/regiontest"
)

// TestRegionConformance runs the region suite on the bridge over a
// go-cache store shared by the suite's regions, as two parts of one
// program would share it: in particular compare-and-set and Update, which
// the region checks under its in-process lock on this driver, and app keys
// equal to lock keys.
func TestRegionConformance(t *testing.T) {
	regiontest.RunRegionWith(t, regiontest.RegionOptions{SharedStore: true}, "gocache", map[string]any{"store": newGoCacheStore()})
}
