package docs_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/metrics"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// Registering the collectors and scraping them.
func Example_metrics() {
	ctx := context.Background()
	r := newRegion()
	defer r.Close()
	maker := newMaker(r)

	reg := prometheus.NewRegistry()
	metrics.MustRegister(reg, metrics.Regions(r), metrics.Sessions("web", maker))
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))

	for range 3 {
		_, _ = region.GetOrCreate(ctx, r, "k", func(context.Context) (string, error) { return "v", nil })
	}
	s, _ := maker.New(ctx)
	s.Set("user", "ann")
	c, _ := s.Save(ctx)
	_, _ = maker.Load(ctx, c.String())
	_, _ = maker.Load(ctx, "session=forged")

	srv := httptest.NewServer(mux)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if l := lines.Text(); strings.HasPrefix(l, "gosess_") && !strings.Contains(l, "_sum") {
			fmt.Println(l)
		}
	}
	// Output:
	// gosess_region_conflicts_total{driver="memory",region="app"} 0
	// gosess_region_creator_duration_seconds_count{driver="memory",region="app"} 1
	// gosess_region_creator_errors_total{driver="memory",region="app"} 0
	// gosess_region_driver_errors_total{driver="memory",region="app"} 0
	// gosess_region_evictions_total{driver="memory",region="app"} 0
	// gosess_region_hits_total{driver="memory",region="app"} 3
	// gosess_region_lock_errors_total{driver="memory",region="app"} 0
	// gosess_region_lock_wait_duration_seconds_count{driver="memory",region="app"} 0
	// gosess_region_locks_lost_total{driver="memory",region="app"} 0
	// gosess_region_misses_total{driver="memory",region="app"} 1
	// gosess_region_stale_served_total{driver="memory",region="app"} 0
	// gosess_session_conflicts_total{maker="web"} 0
	// gosess_session_loads_total{maker="web"} 1
	// gosess_session_lock_errors_total{maker="web"} 0
	// gosess_session_merges_total{maker="web"} 0
	// gosess_session_new_total{maker="web"} 2
	// gosess_session_rejected_cookies_total{maker="web",reason="cookie_expired"} 0
	// gosess_session_rejected_cookies_total{maker="web",reason="decrypt"} 0
	// gosess_session_rejected_cookies_total{maker="web",reason="expired"} 0
	// gosess_session_rejected_cookies_total{maker="web",reason="malformed"} 1
	// gosess_session_rejected_cookies_total{maker="web",reason="payload"} 0
	// gosess_session_rejected_cookies_total{maker="web",reason="revoked"} 0
	// gosess_session_rejected_cookies_total{maker="web",reason="signature"} 0
	// gosess_session_rejected_cookies_total{maker="web",reason="undecodable"} 0
	// gosess_session_rejected_cookies_total{maker="web",reason="unknown_id"} 0
	// gosess_session_save_errors_total{maker="web"} 0
	// gosess_session_saves_total{maker="web"} 1
}

// Logging with slog: the maker says why it refused a cookie at debug
// level.
func Example_logging() {
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level:       slog.LevelDebug,
		ReplaceAttr: dropTime,
	}))

	r := region.New("app", region.WithLogger(logger))
	if err := r.Configure("memory", region.Config{Expiration: 5 * time.Minute}); err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	key, _ := cookie.GenerateKey()
	maker := session.NewMaker(session.WithLogger(logger))
	if err := maker.Configure(session.Settings{"backend": "dogpile", "region": r, "signature_key": key}); err != nil {
		log.Fatal(err)
	}

	s, _ := maker.Load(ctx, "session=forged")
	fmt.Println("new session:", s.IsNew())
	// Output:
	// level=DEBUG msg="session: new session" reason="cookie refused: cookie: malformed value: too short" code=malformed
	// new session: true
}

// dropTime removes the time from log lines, so the example's output is
// stable.
func dropTime(groups []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey && len(groups) == 0 {
		return slog.Attr{}
	}
	return a
}
