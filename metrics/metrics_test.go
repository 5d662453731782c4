package metrics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gosess/gosess/metrics"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memory"
)

func TestRegionCollector(t *testing.T) {
	ctx := context.Background()
	r := region.New("app")
	if err := r.Configure("memory", region.Config{}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 1, nil })
	region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { return 1, nil })
	region.Get[int](ctx, r, "absent")

	reg := prometheus.NewPedanticRegistry()
	metrics.MustRegister(reg, metrics.Regions(r))
	want := `
# HELP gosess_region_hits_total Reads that found a fresh value.
# TYPE gosess_region_hits_total counter
gosess_region_hits_total{driver="memory",region="app"} 1
# HELP gosess_region_misses_total Reads that found no usable value.
# TYPE gosess_region_misses_total counter
gosess_region_misses_total{driver="memory",region="app"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gosess_region_hits_total", "gosess_region_misses_total"); err != nil {
		t.Fatal(err)
	}
	n, err := testutil.GatherAndCount(reg, "gosess_region_creator_duration_seconds")
	if err != nil || n != 1 {
		t.Fatal(n, err)
	}
}
