package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	_ "github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/session"
)

// Session round trips per driver (issue 8): a counting proxy
// (testserver.Proxy) between the region's driver and a real server counts
// the network round trips of one request's load and of its save: what a
// request through the dogpile backend costs on the network, whatever the
// latency. The sides:
//
//	memcached, redis                  default arguments: the save is a
//	                                  compare-and-set done by the server
//	memcached-locked, redis-locked    distributed_lock on and the
//	                                  compare-and-set hidden from the
//	                                  region: lock, get, set, unlock, the
//	                                  save before issue 8
//
// ns/op is the load and the save through the proxy (which adds its own
// latency): read the round-trip metrics.

// tripMode is one side: the driver and whether the save goes through the
// distributed lock instead of the server's compare-and-set.
type tripMode struct {
	driver string
	locked bool
}

func (m tripMode) String() string {
	if m.locked {
		return m.driver + "-locked"
	}
	return m.driver
}

var tripModes = []tripMode{{"memcached", false}, {"redis", false}, {"memcached", true}, {"redis", true}}

// lockedOnly hides the compare-and-set of the driver it wraps and keeps
// its distributed lock (and Close), so that the region checks a save under
// the lock.
type lockedOnly struct {
	region.Driver
	locker driver.Locker
}

func (p lockedOnly) Mutex(key string) region.Mutex { return p.locker.Mutex(key) }

func (p lockedOnly) Close() error {
	if c, ok := p.Driver.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func hideCAS(next region.Driver) region.Driver {
	l, ok := next.(driver.Locker)
	if !ok {
		return next // no lock to keep: left as it is (the set-up checks Atomicity)
	}
	return lockedOnly{next, l}
}

// tripSetup is a maker on mode's driver behind a counting proxy, and the
// cookie of a session it stored.
type tripSetup struct {
	proxy  *testserver.Proxy
	maker  *session.Maker
	cookie string
}

// tripRegion is a region on mode's driver with its default arguments (the
// lock and hidden compare-and-set for a locked mode), reaching the shared
// server through a counting proxy.
func tripRegion(tb testing.TB, mode tripMode) (*region.Region, *testserver.Proxy) {
	tb.Helper()
	binary := map[string]string{"memcached": "memcached", "redis": "redis-server"}[mode.driver]
	proxy, err := testserver.NewProxy(needServer(tb, binary))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = proxy.Close() })
	url := proxy.Addr
	if mode.driver == "redis" {
		url = "redis://" + proxy.Addr
	}
	cfg := region.Config{Expiration: time.Hour, Arguments: map[string]any{"url": url}}
	if mode.locked {
		cfg.Arguments["distributed_lock"] = true
		cfg.Wrap = []region.Proxy{hideCAS}
	}
	r := region.New("trips")
	if err := r.Configure(mode.driver, cfg); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	if r.Atomicity() != region.AtomicShared {
		tb.Fatalf("%s: region atomicity %v", mode, r.Atomicity())
	}
	return r, proxy
}

func newTripSetup(tb testing.TB, mode tripMode) *tripSetup {
	tb.Helper()
	r, proxy := tripRegion(tb, mode)
	m := dogpileMaker(tb, r, session.WithLogger(slog.New(slog.DiscardHandler)))
	s, err := m.New(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	s.Set("user", "alice")
	c, err := s.Save(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return &tripSetup{proxy: proxy, maker: m, cookie: c.String()}
}

// request loads the session, changes it and saves it, and returns the
// round trips of the load and of the save.
func (ts *tripSetup) request(i int) (load, save int64, err error) {
	ctx := context.Background()
	ts.proxy.Reset()
	s, err := ts.maker.Load(ctx, ts.cookie)
	if err != nil {
		return 0, 0, err
	}
	if s.IsNew() {
		return 0, 0, fmt.Errorf("the session did not load")
	}
	load = ts.proxy.RoundTrips()
	s.Set("counter", i)
	ts.proxy.Reset()
	if _, err := s.Save(ctx); err != nil {
		return 0, 0, err
	}
	return load, ts.proxy.RoundTrips(), nil
}

// BenchmarkSessionRoundTrips: network round trips of a session load and
// save through the dogpile backend, per driver, with compare-and-set
// (default arguments) and with the distributed lock instead (report
// rows: save-round-trips/op, load-round-trips/op).
func BenchmarkSessionRoundTrips(b *testing.B) {
	for _, mode := range tripModes {
		b.Run("impl="+mode.String(), func(b *testing.B) {
			ts := newTripSetup(b, mode)
			var loads, saves, n int64
			for b.Loop() {
				l, s, err := ts.request(int(n))
				if err != nil {
					b.Fatal(err)
				}
				loads, saves, n = loads+l, saves+s, n+1
			}
			b.ReportMetric(float64(loads)/float64(n), "load-round-trips/op")
			b.ReportMetric(float64(saves)/float64(n), "save-round-trips/op")
		})
	}
}

// TestSessionRoundTrips is the quick check of the benchmark, and states
// the figures: one round trip to load and one to save with the drivers'
// default arguments.
func TestSessionRoundTrips(t *testing.T) {
	for _, mode := range tripModes {
		t.Run(mode.String(), func(t *testing.T) {
			ts := newTripSetup(t, mode)
			for i := range 3 {
				load, save, err := ts.request(i)
				if err != nil {
					t.Fatal(err)
				}
				t.Logf("%s: load %d, save %d round trips", mode, load, save)
				if !mode.locked && (load != 1 || save != 1) {
					t.Errorf("%s: load %d, save %d round trips; want 1 and 1", mode, load, save)
				}
			}
		})
	}
}
