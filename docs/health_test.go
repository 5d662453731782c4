package docs_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/metrics"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/redis"
)

// TestOperatorEndpoints runs the /metrics and /healthz of metrics.md on a
// real redis: the Go and process collectors beside the gosess ones, and a
// health check that fails when the server goes away.
func TestOperatorEndpoints(t *testing.T) {
	srv := testserver.Redis(t)
	url := "redis://" + srv.Addr

	r := region.New("app")
	err := r.Configure("redis", region.Config{
		Expiration:      5 * time.Minute,
		Arguments:       map[string]any{"url": url, "distributed_lock": true},
		PingOnConfigure: true, // an unreachable server is an error here, not at the first request
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	maker := newMaker(r)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics.MustRegister(reg, metrics.Regions(r), metrics.Sessions("web", maker))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, req *http.Request) {
		ctx, cancel := context.WithTimeout(req.Context(), 2*time.Second)
		defer cancel()
		if err := errors.Join(r.Ping(ctx), maker.Ping(ctx)); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})

	web := httptest.NewServer(mux)
	defer web.Close()
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get(web.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	_, m := get("/metrics")
	for _, want := range []string{"go_goroutines ", "process_resident_memory_bytes ", `gosess_region_hits_total{driver="redis",region="app"}`} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if code, body := get("/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("healthz with redis up: %d %q", code, body)
	}
	srv.Kill()
	if code, body := get("/healthz"); code != http.StatusServiceUnavailable || !strings.Contains(body, `region "app": ping driver "redis"`) {
		t.Errorf("healthz with redis down: %d %q", code, body)
	}
	down := region.New("down")
	err = down.Configure("redis", region.Config{PingOnConfigure: true, Arguments: map[string]any{"url": url, "dial_timeout": "200ms"}})
	if err == nil || !strings.Contains(err.Error(), "does not answer") {
		t.Errorf("PingOnConfigure with redis down: %v", err)
	}
}
