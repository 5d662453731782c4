package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/metrics"
	"github.com/gosess/gosess/session"
)

// opsRoutes registers what an operator uses, outside the session
// middleware: /metrics (Prometheus: the region, the session maker, the Go
// runtime and the process) and /healthz (the region's store and the
// sessions' backend answer).
func (a *demoApp) opsRoutes(mux *http.ServeMux) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		metrics.Regions(a.region),
		metrics.Sessions(a.makerLabel(), a.maker),
	)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", a.healthz)
}

func (a *demoApp) makerLabel() string {
	if a.makerName != "" {
		return a.makerName
	}
	return "web"
}

// check is the result of one health check.
type check struct {
	name string
	took time.Duration
	err  error
}

// healthTimeout bounds each health check.
const healthTimeout = 2 * time.Second

// checks pings the region's store and the sessions' backend.
func (a *demoApp) checks(ctx context.Context) []check {
	run := func(name string, ping func(context.Context) error) check {
		ctx, cancel := context.WithTimeout(ctx, healthTimeout)
		defer cancel()
		start := time.Now()
		err := ping(ctx)
		return check{name: name, took: time.Since(start), err: err}
	}
	return []check{
		run(fmt.Sprintf("region %s (driver %s)", a.region.Name(), driverLabel(a.region)), a.region.Ping),
		run(fmt.Sprintf("sessions %s (backend %s)", a.makerLabel(), a.maker.BackendName()), a.maker.Ping),
	}
}

// checkAtStartup runs the checks once, for cmdDemo: an unreachable store
// is an error at start-up instead of 500s at the first requests.
func (a *demoApp) checkAtStartup(ctx context.Context) error {
	var errs []error
	for _, c := range a.checks(ctx) {
		if c.err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", c.name, c.err))
		}
	}
	return errors.Join(errs...)
}

// healthz answers 200 "ok" when every check passes, 503 "unavailable"
// otherwise, with one line per check.
func (a *demoApp) healthz(w http.ResponseWriter, r *http.Request) {
	checks := a.checks(r.Context())
	var b strings.Builder
	status := http.StatusOK
	for _, c := range checks {
		result := "ok"
		if c.err != nil {
			status, result = http.StatusServiceUnavailable, "FAIL: "+c.err.Error()
		}
		fmt.Fprintf(&b, "%s: %s (%v)\n", c.name, result, c.took.Round(time.Microsecond))
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if status == http.StatusOK {
		fmt.Fprint(w, "ok\n", b.String())
	} else {
		fmt.Fprint(w, "unavailable\n", b.String())
	}
}

// figures is the panel of region figures every page shows, split between
// app data and sessions.
//
// The region counts hits, misses, stale values served, creator runs and
// lock waits for all its keys together (region.Stats). The demo builds it
// with region.WithPrefixStats(sessionPrefix), which counts the driver
// reads of session keys; since the dogpile backend reads sessions with
// IgnoreExpiration, a read that found a session is a hit and one that
// found none a miss, so the sessions' hits and misses are exact and the
// app data's are the region's totals minus those. Sessions never
// regenerate, and take no lock (a save is a compare-and-set of the
// version loaded), so stale values, creator runs and lock waits are all
// app data; the sessions' side of concurrency is the maker's merges and
// conflicts, which the panel shows from Maker.
type figures struct {
	App, Sessions    figureSet
	SessionsInRegion bool   // the sessions live in this region (dogpile backend)
	Backend          string // the sessions' backend
	Maker            session.Stats
	Refused          uint64 // cookies that did not load a session
}

type figureSet struct {
	Hits, Misses, StaleServed, CreatorRuns, LockWaits uint64
	LockWaitTime                                      time.Duration
}

func (a *demoApp) figures() figures {
	st := a.region.Stats()
	f := figures{Backend: a.maker.BackendName(), Maker: a.maker.Stats()}
	for _, n := range f.Maker.Rejected {
		f.Refused += n
	}
	if b, ok := a.maker.Backend().(*dogpile.Backend); ok && b.Region() == a.region {
		f.SessionsInRegion = true
		for _, p := range a.region.PrefixStats() {
			if p.Prefix == a.sessionPrefix {
				f.Sessions.Hits, f.Sessions.Misses = p.Found, p.Reads-p.Found
			}
		}
	}
	f.App = figureSet{
		Hits: sub(st.Hits, f.Sessions.Hits), Misses: sub(st.Misses, f.Sessions.Misses),
		StaleServed: st.StaleServed, CreatorRuns: st.CreatorRuns,
		LockWaits: st.LockWaits, LockWaitTime: st.LockWaitTime,
	}
	return f
}

// sub is a - b, or 0 (the counters are read one after the other).
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}
