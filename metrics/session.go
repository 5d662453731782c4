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

	loads, news, saves, conflicts, saveErrors, rejected *prometheus.Desc
	merges, lockErrors                                  *prometheus.Desc
}

// Sessions returns a collector for one maker, labelled maker=name; add
// more with Add.
func Sessions(name string, m *session.Maker) *SessionCollector {
	d := func(metric, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("gosess_session_"+metric, help, append([]string{"maker"}, labels...), nil)
	}
	c := &SessionCollector{
		makers:     map[string]*session.Maker{},
		loads:      d("loads_total", "Sessions loaded from a cookie."),
		news:       d("new_total", "New sessions handed out."),
		saves:      d("saves_total", "Sessions saved."),
		conflicts:  d("conflicts_total", "Saves (and renewals) refused because another request changed the same keys, or deleted the session, since it was loaded."),
		merges:     d("merges_total", "Saves (and renewals) that merged the changes of another request that stored the session first."),
		lockErrors: d("lock_errors_total", "Backend failures of a lock service (the file backend's lock files)."),
		saveErrors: d("save_errors_total", "Saves that failed for another reason."),
		rejected:   d("rejected_cookies_total", "Cookies that did not load a session, by reason.", "reason"),
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
	for _, d := range []*prometheus.Desc{c.loads, c.news, c.saves, c.conflicts, c.merges, c.saveErrors, c.lockErrors, c.rejected} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *SessionCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	makers := maps.Clone(c.makers)
	c.mu.Unlock()
	for name, m := range makers {
		s := m.Stats()
		counter := func(d *prometheus.Desc, v uint64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), append([]string{name}, labels...)...)
		}
		counter(c.loads, s.Loads)
		counter(c.news, s.New)
		counter(c.saves, s.Saves)
		counter(c.conflicts, s.Conflicts)
		counter(c.merges, s.Merges)
		counter(c.lockErrors, s.LockErrors)
		counter(c.saveErrors, s.SaveErrors)
		for _, reason := range slices.Sorted(maps.Keys(s.Rejected)) {
			counter(c.rejected, s.Rejected[reason], reason)
		}
	}
}
