package metrics_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	_ "github.com/gosess/gosess/backends/cookie"
	"github.com/gosess/gosess/metrics"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memory"
	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
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

func TestSessionCollector(t *testing.T) {
	ctx := context.Background()
	m := session.NewMaker()
	if err := m.Configure(session.Settings{"backend": "cookie", "signature_key": make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	sessiontest.RoundTrip(t, m, "k", "v")
	m.Load(ctx, "session=junk")
	reg := prometheus.NewPedanticRegistry()
	metrics.MustRegister(reg, metrics.Sessions("web", m))
	want := `
# HELP gosess_session_loads_total Sessions loaded from a cookie.
# TYPE gosess_session_loads_total counter
gosess_session_loads_total{maker="web"} 1
# HELP gosess_session_saves_total Sessions saved.
# TYPE gosess_session_saves_total counter
gosess_session_saves_total{maker="web"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "gosess_session_loads_total", "gosess_session_saves_total"); err != nil {
		t.Fatal(err)
	}
	if n, _ := testutil.GatherAndCount(reg, "gosess_session_rejected_cookies_total"); n != 9 {
		t.Fatalf("%d reasons", n)
	}
}
