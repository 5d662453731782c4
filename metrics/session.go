package metrics

import (
	"maps"
	"slices"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gosess/gosess/session"
)

// SessionCollector is a prometheus.Collector for session makers, labelled
// by the name each maker was added under.
type SessionCollector struct {
	mu     sync.Mutex
	makers map[string]*session.Maker

	counters []counter[session.Stats]
	rejected *prometheus.Desc
}

// Sessions returns a collector for one maker, labelled maker=name; add
// more with Add.
func Sessions(name string, m *session.Maker) *SessionCollector {
	d := func(metric, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("gosess_session_"+metric, help, append([]string{"maker"}, labels...), nil)
	}
	type stats = session.Stats
	c := &SessionCollector{
		makers: map[string]*session.Maker{},
		counters: []counter[stats]{
			{d("loads_total", "Sessions loaded from a cookie."), func(s stats) uint64 { return s.Loads }},
			{d("new_total", "New sessions handed out."), func(s stats) uint64 { return s.New }},
			{d("saves_total", "Sessions saved."), func(s stats) uint64 { return s.Saves }},
			{d("conflicts_total", "Saves (and renewals) refused because another request changed the same keys, or deleted the session, since it was loaded."), func(s stats) uint64 { return s.Conflicts }},
			{d("merges_total", "Saves (and renewals) that merged the changes of another request that stored the session first."), func(s stats) uint64 { return s.Merges }},
			{d("save_errors_total", "Saves that failed for another reason."), func(s stats) uint64 { return s.SaveErrors }},
			{d("lock_errors_total", "Backend failures of a lock service (the file backend's lock files)."), func(s stats) uint64 { return s.LockErrors }},
		},
		rejected: d("rejected_cookies_total", "Cookies that did not load a session, by reason.", "reason"),
	}
	c.Add(name, m)
	return c
}

// Add adds a maker under name (replacing one of the same name).
func (c *SessionCollector) Add(name string, m *session.Maker) {
	c.mu.Lock()
	c.makers[name] = m
	c.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (c *SessionCollector) Describe(ch chan<- *prometheus.Desc) {
	describe(ch, c.counters, c.rejected)
}

// Collect implements prometheus.Collector.
func (c *SessionCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	makers := maps.Clone(c.makers)
	c.mu.Unlock()
	for name, m := range makers {
		s := m.Stats()
		collect(ch, c.counters, s, name)
		for _, reason := range slices.Sorted(maps.Keys(s.Rejected)) {
			ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.CounterValue, float64(s.Rejected[reason]), name, reason)
		}
	}
}
