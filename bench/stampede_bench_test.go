package bench

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/allegro/bigcache/v3"
	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/singleflight"

	"github.com/gosess/gosess/region"
)

// The stampede benchmarks of issue 2. One benchmark iteration is one
// stampede: `callers` goroutines are released at once on one key and each
// calls the implementation's get-or-create; the iteration ends when all
// have returned. Besides ns/op (the wall time of a stampede) they report:
//
//	creator-calls/op  how many times the creator ran per stampede (goal 1)
//	p50-wait-ns, p99-wait-ns, max-wait-ns
//	                  how long the callers that did NOT run the creator
//	                  spent in their call, over every stampede of the run

// stampedeShape sizes a stampede. The benchmarks use the figures;
// the quick tests use small ones.
type stampedeShape struct {
	callers int
	delay   time.Duration // how long one creator call takes
}

var (
	coldShape  = stampedeShape{callers: 1000, delay: 10 * time.Millisecond}
	staleShape = stampedeShape{callers: 1000, delay: 200 * time.Millisecond}
)

// getFunc is one implementation's get-or-create of key; creator reports
// whether it ran for the calling goroutine.
type getFunc func(ctx context.Context, key string, creator func() ([]byte, error)) ([]byte, error)

// stampedeImpl builds an implementation. prepare is called before each
// stampede with its key: for the stale benchmark it makes the existing
// value stale.
type stampedeImpl struct {
	impl  string
	setup func(tb testing.TB) (get getFunc, prepare func(key string) error)
}

// stampedeResult accumulates over the stampedes of one run.
type stampedeResult struct {
	stampedes int
	calls     int64
	waits     []time.Duration
}

func (s *stampedeResult) percentile(p float64) time.Duration {
	if len(s.waits) == 0 {
		return 0
	}
	w := slices.Clone(s.waits)
	slices.Sort(w)
	i := int(p*float64(len(w))+0.5) - 1
	return w[min(max(i, 0), len(w)-1)]
}

// stampede runs one stampede on key and adds it to res.
func stampede(ctx context.Context, shape stampedeShape, get getFunc, key string, res *stampedeResult) error {
	var (
		calls atomic.Int64
		start = make(chan struct{})
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
	)
	waits := make([]time.Duration, shape.callers)
	ran := make([]bool, shape.callers)
	want := payload(64)
	for g := range shape.callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			creator := func() ([]byte, error) {
				ran[g] = true
				calls.Add(1)
				time.Sleep(shape.delay)
				return want, nil
			}
			<-start
			t0 := time.Now()
			v, err := get(ctx, key, creator)
			waits[g] = time.Since(t0)
			if err == nil && len(v) != len(want) {
				err = fmt.Errorf("got %d bytes, want %d", len(v), len(want))
			}
			if err != nil {
				mu.Lock()
				first = cmpOr(first, err)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	res.stampedes++
	res.calls += calls.Load()
	for g, w := range waits {
		if !ran[g] {
			res.waits = append(res.waits, w)
		}
	}
	return first
}

func cmpOr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// runStampede runs impl's stampedes as a sub-benchmark; keyFor picks the
// key of stampede i.
func runStampede(b *testing.B, shape stampedeShape, impls []stampedeImpl, keyFor func(i int) string) {
	for _, im := range impls {
		b.Run("impl="+im.impl, func(b *testing.B) {
			ctx := context.Background()
			get, prepare := im.setup(b)
			var res stampedeResult
			i := 0
			for b.Loop() {
				key := keyFor(i)
				b.StopTimer()
				if err := prepare(key); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := stampede(ctx, shape, get, key, &res); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(res.calls)/float64(res.stampedes), "creator-calls/op")
			b.ReportMetric(float64(res.percentile(0.50)), "p50-wait-ns")
			b.ReportMetric(float64(res.percentile(0.99)), "p99-wait-ns")
			b.ReportMetric(float64(res.percentile(1)), "max-wait-ns")
		})
	}
}

func noPrepare(string) error { return nil }

// coldImpls: the region's dogpile lock against the usual alternatives
// for a missing key: bigcache with x/sync/singleflight in front of the
// creator, and otter's loader.
func coldImpls() []stampedeImpl {
	return []stampedeImpl{
		{"region", func(tb testing.TB) (getFunc, func(string) error) {
			r, _ := memoryRegion(tb)
			return func(ctx context.Context, key string, creator func() ([]byte, error)) ([]byte, error) {
				return region.GetOrCreate(ctx, r, key, func(context.Context) ([]byte, error) { return creator() })
			}, noPrepare
		}},
		{"objects", func(tb testing.TB) (getFunc, func(string) error) {
			r := objectsRegion(tb)
			return func(ctx context.Context, key string, creator func() ([]byte, error)) ([]byte, error) {
				return region.GetOrCreate(ctx, r, key, func(context.Context) ([]byte, error) { return creator() })
			}, noPrepare
		}},
		{"singleflight", func(tb testing.TB) (getFunc, func(string) error) {
			bc := newBigcache(tb)
			var sf singleflight.Group
			return func(ctx context.Context, key string, creator func() ([]byte, error)) ([]byte, error) {
				if v, err := bc.Get(key); err == nil {
					return v, nil
				}
				v, err, _ := sf.Do(key, func() (any, error) {
					v, err := creator()
					if err == nil {
						err = bc.Set(key, v)
					}
					return v, err
				})
				if err != nil {
					return nil, err
				}
				return v.([]byte), nil
			}, noPrepare
		}},
		{"otter", func(tb testing.TB) (getFunc, func(string) error) {
			c := otter.Must(&otter.Options[string, []byte]{MaximumSize: 100_000})
			tb.Cleanup(func() { c.StopAllGoroutines() })
			return func(ctx context.Context, key string, creator func() ([]byte, error)) ([]byte, error) {
				return c.Get(ctx, key, otter.LoaderFunc[string, []byte](func(context.Context, string) ([]byte, error) {
					return creator()
				}))
			}, noPrepare
		}},
	}
}

// BenchmarkColdStampede: 1000 goroutines on a missing key whose creator
// takes 10 ms (goal: 1 creator call per stampede).
func BenchmarkColdStampede(b *testing.B) {
	runStampede(b, coldShape, coldImpls(), func(i int) string { return fmt.Sprintf("cold:%d", i) })
}

// staleImpls: a value that exists but is stale. The region (expiration one
// hour) is soft-invalidated before each stampede, which makes its value
// stale exactly as an expired one. singleflight has no notion of a stale
// value: the usual code regenerates behind sf.Do and every caller waits
// for it; the value carries a generation number and is stale when older
// than the current one.
func staleImpls() []stampedeImpl {
	return []stampedeImpl{
		{"region", func(tb testing.TB) (getFunc, func(string) error) {
			r, _ := memoryRegion(tb)
			ctx := context.Background()
			return func(ctx context.Context, key string, creator func() ([]byte, error)) ([]byte, error) {
					return region.GetOrCreate(ctx, r, key, func(context.Context) ([]byte, error) { return creator() })
				}, func(key string) error {
					if _, err := region.Get[[]byte](ctx, r, key); errors.Is(err, region.ErrNotFound) {
						if err := region.Set(ctx, r, key, payload(64)); err != nil {
							return err
						}
					}
					return r.Invalidate(region.Soft)
				}
		}},
		{"singleflight", func(tb testing.TB) (getFunc, func(string) error) {
			bc := newBigcache(tb)
			var (
				sf  singleflight.Group
				gen atomic.Uint64
			)
			return func(ctx context.Context, key string, creator func() ([]byte, error)) ([]byte, error) {
					if b, err := bc.Get(key); err == nil && len(b) >= 8 && binary.BigEndian.Uint64(b) == gen.Load() {
						return b[8:], nil
					}
					v, err, _ := sf.Do(key, func() (any, error) {
						g := gen.Load()
						v, err := creator()
						if err == nil {
							err = setGen(bc, key, g, v)
						}
						return v, err
					})
					if err != nil {
						return nil, err
					}
					return v.([]byte), nil
				}, func(key string) error {
					g := gen.Add(1)
					return setGen(bc, key, g-1, payload(64))
				}
		}},
	}
}

func setGen(bc *bigcache.BigCache, key string, gen uint64, v []byte) error {
	return bc.Set(key, append(binary.BigEndian.AppendUint64(nil, gen), v...))
}

// BenchmarkStaleStampede: 1000 goroutines on a stale key whose creator
// takes 200 ms (goal: the p99 wait of the callers that do not regenerate
// is under 1% of singleflight's).
func BenchmarkStaleStampede(b *testing.B) {
	runStampede(b, staleShape, staleImpls(), func(int) string { return "stale" })
}

func TestStampedeSetups(t *testing.T) {
	shape := stampedeShape{callers: 50, delay: 20 * time.Millisecond}
	for _, tc := range []struct {
		name  string
		impls []stampedeImpl
		key   func(int) string
	}{
		{"cold", coldImpls(), func(i int) string { return fmt.Sprintf("cold:%d", i) }},
		{"stale", staleImpls(), func(int) string { return "stale" }},
	} {
		for _, im := range tc.impls {
			t.Run(tc.name+"/"+im.impl, func(t *testing.T) {
				ctx := context.Background()
				get, prepare := im.setup(t)
				var res stampedeResult
				for i := range 2 {
					if err := prepare(tc.key(i)); err != nil {
						t.Fatal(err)
					}
					if err := stampede(ctx, shape, get, tc.key(i), &res); err != nil {
						t.Fatal(err)
					}
				}
				if res.calls < 2 || len(res.waits) == 0 {
					t.Fatalf("%d creator calls, %d waits over 2 stampedes", res.calls, len(res.waits))
				}
				// The dogpile lock's promise, which the benchmark measures.
				if (im.impl == "region" || im.impl == "objects") && res.calls != 2 {
					t.Fatalf("region: %d creator calls over 2 stampedes, want 2", res.calls)
				}
			})
		}
	}
}
