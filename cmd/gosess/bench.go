package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/gosess/gosess/region"
)

// cmdBench measures the configured region from this process: latency of
// Set, Get and GetOrCreate hits, and a cold stampede. It is a quick check
// of a live deployment; the comparative benchmarks are in bench/.
func cmdBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench", "bench [-n N] [-workers W] [-config FILE -region NAME | -driver NAME -arg k=v]", stderr)
	var s storeFlags
	s.register(fs)
	n := fs.Int("n", 20000, "operations per measurement")
	workers := fs.Int("workers", 8, "concurrent goroutines")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *n <= 0 || *workers <= 0 {
		return fmt.Errorf("%w: -n and -workers must be positive", errUsage)
	}
	e, err := s.open(s.logger(stderr))
	if err != nil {
		return err
	}
	defer e.Close()
	r := e.region
	prefix := "gosess-bench:" + strconv.FormatInt(time.Now().UnixNano(), 36) + ":"
	value := make([]byte, 256)
	const keys = 1000
	fmt.Fprintf(stdout, "region %q on driver %q: %d ops, %d workers, %d keys, 256-byte values\n", r.Name(), driverLabel(r), *n, *workers, keys)
	fmt.Fprintf(stdout, "%-22s %12s %10s %10s %10s\n", "operation", "ops/s", "p50", "p99", "max")
	measure := func(name string, op func(i int) error) error {
		lat := make([]time.Duration, *n)
		var wg sync.WaitGroup
		var firstErr error
		var mu sync.Mutex
		next := make(chan int, *workers)
		start := time.Now()
		for range *workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					t := time.Now()
					if err := op(i); err != nil {
						mu.Lock()
						firstErr = cmpErr(firstErr, err)
						mu.Unlock()
					}
					lat[i] = time.Since(t)
				}
			}()
		}
		for i := range *n {
			if ctx.Err() != nil {
				break
			}
			next <- i
		}
		close(next)
		wg.Wait()
		if firstErr != nil {
			return fmt.Errorf("%s: %w", name, firstErr)
		}
		total := time.Since(start)
		slices.Sort(lat)
		fmt.Fprintf(stdout, "%-22s %12.0f %10v %10v %10v\n", name, float64(*n)/total.Seconds(),
			lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)*99/100].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond))
		return nil
	}
	key := func(i int) string { return prefix + strconv.Itoa(i%keys) }
	steps := []struct {
		name string
		op   func(int) error
	}{
		{"set", func(i int) error { return region.Set(ctx, r, key(i), value) }},
		{"get (hit)", func(i int) error { _, err := region.Get[[]byte](ctx, r, key(i)); return err }},
		{"get_or_create (hit)", func(i int) error {
			_, err := region.GetOrCreate(ctx, r, key(i), func(context.Context) ([]byte, error) { return value, nil })
			return err
		}},
	}
	for _, st := range steps {
		if err := measure(st.name, st.op); err != nil {
			return err
		}
	}
	// Cold stampede: every worker asks for one missing key at once.
	cold := prefix + "cold"
	run, err := stampede(ctx, r, cold, false, *workers*16, 50*time.Millisecond, time.Minute)
	if err != nil {
		return err
	}
	if run.Failed > 0 {
		return fmt.Errorf("cold stampede: %d of %d calls failed: %s", run.Failed, run.Callers, run.FirstError)
	}
	fmt.Fprintf(stdout, "cold stampede: %d callers, creator ran %d time(s), %d waited for the lock\n", run.Callers, run.Created, run.Waited)
	ks := make([]string, 0, keys+1)
	for i := range keys {
		ks = append(ks, prefix+strconv.Itoa(i))
	}
	return r.DeleteMulti(ctx, append(ks, cold))
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}
