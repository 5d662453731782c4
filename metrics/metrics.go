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

	hits, misses, stale, driverErrors, creatorErrors *prometheus.Desc
	lockErrors, locksLost, conflicts, evictions      *prometheus.Desc
	creator, lockWait                                *prometheus.Desc
}

var regionLabels = []string{"region", "driver"}

// Regions returns a collector for the given regions; more can be added
// with Add.
func Regions(regions ...*region.Region) *RegionCollector {
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("gosess_region_"+name, help, regionLabels, nil)
	}
	return &RegionCollector{
		regions:       regions,
		hits:          d("hits_total", "Reads that found a fresh value."),
		misses:        d("misses_total", "Reads that found no usable value."),
		stale:         d("stale_served_total", "Stale values served while another caller regenerated them."),
		driverErrors:  d("driver_errors_total", "Errors returned by the region's driver."),
		creatorErrors: d("creator_errors_total", "Creator calls that returned an error or panicked."),
		lockErrors:    d("lock_errors_total", "Failures of the lock service: taking or releasing a distributed lock (counted in driver_errors_total too)."),
		locksLost:     d("locks_lost_total", "Dogpile locks that expired before their holder released them (the creator ran longer than lock_timeout): another caller may have regenerated the value meanwhile."),
		conflicts:     d("conflicts_total", "Compare-and-set writes refused because the stored value changed since it was read (session saves included)."),
		evictions:     d("evictions_total", "Live values the driver evicted for space (memory and objects drivers); sessions among them load as new."),
		creator:       d("creator_duration_seconds", "Creator calls and their duration."),
		lockWait:      d("lock_wait_duration_seconds", "Blocking waits for a dogpile lock and their duration."),
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
	for _, d := range []*prometheus.Desc{c.hits, c.misses, c.stale, c.driverErrors, c.creatorErrors, c.lockErrors, c.locksLost, c.conflicts, c.evictions, c.creator, c.lockWait} {
		ch <- d
	}
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
		counter := func(d *prometheus.Desc, v uint64) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
		}
		counter(c.hits, s.Hits)
		counter(c.misses, s.Misses)
		counter(c.stale, s.StaleServed)
		counter(c.driverErrors, s.DriverErrors)
		counter(c.creatorErrors, s.CreatorErrors)
		counter(c.lockErrors, s.LockErrors)
		counter(c.locksLost, s.LocksLost)
		counter(c.conflicts, s.Conflicts)
		counter(c.evictions, s.Evictions)
		ch <- prometheus.MustNewConstSummary(c.creator, s.CreatorRuns, s.CreatorTime.Seconds(), nil, labels...)
		ch <- prometheus.MustNewConstSummary(c.lockWait, s.LockWaits, s.LockWaitTime.Seconds(), nil, labels...)
	}
}

// MustRegister registers every collector with reg; it panics on a
// duplicate registration, as prometheus.MustRegister does.
func MustRegister(reg prometheus.Registerer, cs ...prometheus.Collector) {
	reg.MustRegister(cs...)
}
