package region

import (
	"context"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gosess/gosess/region/driver"
)

// WithPrefixStats makes the region count its driver traffic by key
// prefix, to tell apart the users of a shared region: sessions (the
// dogpile backend's "session:" keys) and app data, say. PrefixStats
// returns the counts, one entry per prefix plus one ("") for keys that
// match none; a key counts under the longest prefix it starts with.
//
// The counts are taken between the region and its driver (a proxy
// outside those of Config.Wrap): they see every driver read, write and
// delete (compare-and-set reads and writes included), keys as mangled (a key rewritten by MangleKey loses its prefix;
// the shared invalidation record counts under its own key), but not the
// locks. Region-level figures (stale values served, creator runs, lock
// waits) stay in Stats. Default: no counting.
func WithPrefixStats(prefixes ...string) Option {
	return func(r *Region) {
		c := &prefixCounters{}
		for _, p := range prefixes {
			if p != "" {
				c.buckets = append(c.buckets, &prefixBucket{prefix: p})
			}
		}
		c.other = &prefixBucket{}
		r.prefixStats = c
	}
}

// PrefixStats is the driver traffic of one key prefix (see
// WithPrefixStats).
type PrefixStats struct {
	// Prefix is the key prefix; "" for keys that matched no prefix.
	Prefix string
	// Reads counts keys read from the driver (Get, GetCAS; each key of
	// GetMulti);
	// Found those the driver had. For reads with IgnoreExpiration, as the
	// dogpile session backend does, Found and Reads-Found are the hits and
	// misses.
	Reads, Found uint64
	// Writes counts keys written (Set, CompareAndSet; each key of
	// SetMulti); Deletes keys deleted.
	Writes, Deletes uint64
}

// PrefixStats returns the counts of WithPrefixStats, in the order the
// prefixes were given, then the "" entry for other keys; nil when the
// region was built without WithPrefixStats.
func (r *Region) PrefixStats() []PrefixStats {
	c := r.prefixStats
	if c == nil {
		return nil
	}
	out := make([]PrefixStats, 0, len(c.buckets)+1)
	for _, b := range append(c.buckets[:len(c.buckets):len(c.buckets)], c.other) {
		out = append(out, PrefixStats{Prefix: b.prefix, Reads: b.reads.Load(), Found: b.found.Load(),
			Writes: b.writes.Load(), Deletes: b.deletes.Load()})
	}
	return out
}

type prefixCounters struct {
	buckets []*prefixBucket
	other   *prefixBucket
}

type prefixBucket struct {
	prefix                        string
	reads, found, writes, deletes atomic.Uint64
}

// bucket returns the counters of key: its longest matching prefix.
func (c *prefixCounters) bucket(key string) *prefixBucket {
	best := c.other
	for _, b := range c.buckets {
		if strings.HasPrefix(key, b.prefix) && len(b.prefix) > len(best.prefix) {
			best = b
		}
	}
	return best
}

// newCountingDriver returns the proxy that feeds c, which counts the
// compare-and-set reads and writes of next too when next has them (the
// dogpile session backend's loads and saves).
func newCountingDriver(next Driver, c *prefixCounters) Driver {
	d := countingDriver{next: next, c: c}
	if cas, ok := driver.Capability[driver.CASDriver](next); ok {
		return countingCASDriver{d, cas}
	}
	return d
}

// countingCASDriver is countingDriver over a driver with compare-and-set.
type countingCASDriver struct {
	countingDriver
	cas driver.CASDriver
}

func (d countingCASDriver) GetCAS(ctx context.Context, key string) ([]byte, driver.CASToken, error) {
	v, tok, err := d.cas.GetCAS(ctx, key)
	b := d.c.bucket(key)
	b.reads.Add(1)
	if err == nil {
		b.found.Add(1)
	}
	return v, tok, err
}

func (d countingCASDriver) CompareAndSet(ctx context.Context, key string, token driver.CASToken, value []byte, ttl time.Duration) error {
	d.c.bucket(key).writes.Add(1)
	return d.cas.CompareAndSet(ctx, key, token, value, ttl)
}

// countingDriver is the proxy that feeds prefixCounters.
type countingDriver struct {
	next Driver
	c    *prefixCounters
}

func (d countingDriver) Unwrap() Driver { return d.next }

func (d countingDriver) Get(ctx context.Context, key string) ([]byte, error) {
	v, err := d.next.Get(ctx, key)
	b := d.c.bucket(key)
	b.reads.Add(1)
	if err == nil {
		b.found.Add(1)
	}
	return v, err
}

func (d countingDriver) GetMulti(ctx context.Context, keys []string) (map[string][]byte, error) {
	m, err := driver.GetMulti(ctx, d.next, keys)
	for _, k := range keys {
		b := d.c.bucket(k)
		b.reads.Add(1)
		if _, ok := m[k]; ok && err == nil {
			b.found.Add(1)
		}
	}
	return m, err
}

func (d countingDriver) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	d.c.bucket(key).writes.Add(1)
	return d.next.Set(ctx, key, value, ttl)
}

func (d countingDriver) SetMulti(ctx context.Context, items map[string][]byte, ttl time.Duration) error {
	for k := range items {
		d.c.bucket(k).writes.Add(1)
	}
	return driver.SetMulti(ctx, d.next, items, ttl)
}

func (d countingDriver) Delete(ctx context.Context, key string) error {
	d.c.bucket(key).deletes.Add(1)
	return d.next.Delete(ctx, key)
}

func (d countingDriver) DeleteMulti(ctx context.Context, keys []string) error {
	for _, k := range keys {
		d.c.bucket(k).deletes.Add(1)
	}
	return driver.DeleteMulti(ctx, d.next, keys)
}
