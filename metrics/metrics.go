// Package metrics exports the counters of regions (and session makers) as
// Prometheus metrics. Nothing is registered by default: a program that
// wants metrics makes one call,
//
//	metrics.MustRegister(prometheus.DefaultRegisterer,
//		metrics.Regions(appRegion), metrics.Sessions("web", maker))
//
// and serves promhttp.Handler as usual. The collectors read the counters
// the region keeps anyway (region.Stats) at scrape time, so they add
// nothing to the cache's hot path.
package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gosess/gosess/region"
)

// RegionCollector is a prometheus.Collector for a set of regions, labelled
// by region name and driver name. It is safe for concurrent use.
type RegionCollector struct {
	mu      sync.Mutex
	regions []*region.Region

	counters          []counter[region.Stats]
	creator, lockWait *prometheus.Desc
}

var regionLabels = []string{"region", "driver"}

// Regions returns a collector for the given regions; more can be added
// with Add.
func Regions(regions ...*region.Region) *RegionCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("gosess_region_"+name, help, regionLabels, nil)
	}
	type stats = region.Stats
	return &RegionCollector{
		regions: regions,
		counters: []counter[stats]{
			{d("hits_total", "Reads that found a fresh value."), func(s stats) uint64 { return s.Hits }},
			{d("misses_total", "Reads that found no usable value."), func(s stats) uint64 { return s.Misses }},
			{d("stale_served_total", "Stale values served while another caller regenerated them."), func(s stats) uint64 { return s.StaleServed }},
			{d("driver_errors_total", "Errors returned by the region's driver."), func(s stats) uint64 { return s.DriverErrors }},
			{d("creator_errors_total", "Creator calls that returned an error or panicked."), func(s stats) uint64 { return s.CreatorErrors }},
			{d("lock_errors_total", "Failures of the lock service: taking or releasing a distributed lock (counted in driver_errors_total too)."), func(s stats) uint64 { return s.LockErrors }},
			{d("locks_lost_total", "Dogpile locks that expired before their holder released them (the creator ran longer than lock_timeout): another caller may have regenerated the value meanwhile."), func(s stats) uint64 { return s.LocksLost }},
			{d("conflicts_total", "Compare-and-set writes refused because the stored value changed since it was read (session saves included)."), func(s stats) uint64 { return s.Conflicts }},
			{d("evictions_total", "Live values the driver evicted for space (memory and objects drivers); sessions among them load as new."), func(s stats) uint64 { return s.Evictions }},
		},
		creator:  d("creator_duration_seconds", "Creator calls and their duration."),
		lockWait: d("lock_wait_duration_seconds", "Blocking waits for a dogpile lock and their duration."),
	}
}

// counter is one counter metric of a collector and the field of the
// statistics S (region.Stats, session.Stats) that it reports.
type counter[S any] struct {
	desc  *prometheus.Desc
	value func(S) uint64
}

// describe sends the descriptions of counters and of the other metrics.
func describe[S any](ch chan<- *prometheus.Desc, counters []counter[S], other ...*prometheus.Desc) {
	for _, k := range counters {
		ch <- k.desc
	}
	for _, d := range other {
		ch <- d
	}
}

// collect sends the value of each counter in s, with labels.
func collect[S any](ch chan<- prometheus.Metric, counters []counter[S], s S, labels ...string) {
	for _, k := range counters {
		ch <- prometheus.MustNewConstMetric(k.desc, prometheus.CounterValue, float64(k.value(s)), labels...)
	}
}

// Add adds regions to the collector.
func (c *RegionCollector) Add(regions ...*region.Region) {
	c.mu.Lock()
	c.regions = append(c.regions, regions...)
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *RegionCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.counters, c.creator, c.lockWait)
}

// Collect implements prometheus.Collector.
func (c *RegionCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	regions := append([]*region.Region(nil), c.regions...)
	c.mu.Unlock()
	for _, r := range regions {
		s := r.Stats()
		driver := r.DriverName()
		if driver == "" {
			driver = "custom"
		}
		labels := []string{r.Name(), driver}
		collect(ch, c.counters, s, labels...)
		ch <- prometheus.MustNewConstSummary(c.creator, s.CreatorRuns, s.CreatorTime.Seconds(), nil, labels...)
		ch <- prometheus.MustNewConstSummary(c.lockWait, s.LockWaits, s.LockWaitTime.Seconds(), nil, labels...)
	}
}

// MustRegister registers every collector with reg; it panics on a
// duplicate registration, as prometheus.MustRegister does.
func MustRegister(reg prometheus.Registerer, cs ...prometheus.Collector) {
	reg.MustRegister(cs...)
}
