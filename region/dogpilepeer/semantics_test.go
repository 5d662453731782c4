package dogpilepeer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/pypeer"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memory"
)

// outcome names what a call returned, in the terms of the table in
// docs/dogpile-compat.md: "value:<v>", "miss", "error" or "ok".
func outcome[T any](v T, err error) string {
	switch {
	case err == nil:
		return fmt.Sprint("value:", v)
	case errors.Is(err, region.ErrNotFound):
		return "miss"
	}
	return "error"
}

func okOrError(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

// pyOutcome names a Python step's result as outcome does.
func pyOutcome(r pypeer.Result) string {
	switch {
	case !r.OK():
		return "error"
	case r["op"] == "get" && !r.Hit():
		return "miss"
	case r["op"] == "get" || r["op"] == "get_or_create":
		return fmt.Sprint("value:", r["value"])
	}
	return "ok"
}

// oldValue is a value in dogpile's layout created 100 seconds ago.
func oldValue() []byte {
	ct := float64(time.Now().Add(-100*time.Second).UnixMicro()) / 1e6
	return fmt.Appendf(nil, `{"ct": %f, "v": 2}|"old"`, ct)
}

// semanticsRow is one call of the table in docs/dogpile-compat.md: the
// steps run by Python's region, the same calls made on Go regions, and
// what gosess's own format gives.
type semanticsRow struct {
	name       string
	expiration time.Duration // the region's; 0 = None
	py         []pypeer.Step
	run        func(ctx context.Context, r *region.Region, f region.Format) []string
	gosess     string // the outcomes under FormatGosess, space-separated
}

var creatorNew = func(context.Context) (string, error) { return "new", nil }

var semanticsRows = []semanticsRow{
	{
		name: "get(expiration_time=0)",
		py:   []pypeer.Step{{"op": "set", "key": "k", "value": "old"}, {"op": "get", "key": "k", "expiration_time": 0}},
		run: func(ctx context.Context, r *region.Region, _ region.Format) []string {
			return []string{okOrError(region.Set(ctx, r, "k", "old")),
				outcome(region.Get[string](ctx, r, "k", region.WithExpiration(0)))}
		},
		gosess: "ok value:old",
	},
	{
		name: "get(expiration_time=-1)",
		py:   []pypeer.Step{{"op": "set", "key": "k", "value": "old"}, {"op": "get", "key": "k", "expiration_time": -1}},
		run: func(ctx context.Context, r *region.Region, _ region.Format) []string {
			return []string{okOrError(region.Set(ctx, r, "k", "old")),
				outcome(region.Get[string](ctx, r, "k", region.WithExpiration(-time.Second)))}
		},
		gosess: "ok error",
	},
	{
		name:       "get_or_create(expiration_time=-1) on a value past the region's expiration",
		expiration: time.Second,
		py: []pypeer.Step{{"op": "raw_set", "key": "k", "raw": oldValue()},
			{"op": "get_or_create", "key": "k", "value": "new", "expiration_time": -1}},
		run: func(ctx context.Context, r *region.Region, f region.Format) []string {
			var first string
			if f == region.FormatDogpile {
				first = okOrError(r.Driver().Set(ctx, "k", oldValue(), 0))
			} else {
				first = okOrError(region.Set(ctx, r, "k", "old"))
			}
			return []string{first, outcome(region.GetOrCreate(ctx, r, "k", creatorNew, region.WithExpiration(-time.Second)))}
		},
		gosess: "ok error",
	},
	{
		name: "get_or_create(expiration_time=0)",
		py: []pypeer.Step{{"op": "set", "key": "k", "value": "old"},
			{"op": "get_or_create", "key": "k", "value": "new", "expiration_time": 0}},
		run: func(ctx context.Context, r *region.Region, _ region.Format) []string {
			return []string{okOrError(region.Set(ctx, r, "k", "old")),
				outcome(region.GetOrCreate(ctx, r, "k", creatorNew, region.WithExpiration(0)))}
		},
		gosess: "ok value:old",
	},
	{
		name: "ignore_expiration after a hard invalidation",
		py: []pypeer.Step{{"op": "set", "key": "k", "value": "old"}, {"op": "sleep", "seconds": 0.01},
			{"op": "invalidate", "hard": true}, {"op": "get", "key": "k", "ignore_expiration": true}},
		run: func(ctx context.Context, r *region.Region, _ region.Format) []string {
			set := okOrError(region.Set(ctx, r, "k", "old"))
			time.Sleep(10 * time.Millisecond)
			return []string{set, "ok", okOrError(r.Invalidate(region.Hard)),
				outcome(region.Get[string](ctx, r, "k", region.IgnoreExpiration()))}
		},
		gosess: "ok ok ok miss",
	},
	{
		name: "soft invalidation on a region without expiration",
		py: []pypeer.Step{{"op": "set", "key": "k", "value": "old"}, {"op": "sleep", "seconds": 0.01},
			{"op": "invalidate", "hard": false}, {"op": "get_or_create", "key": "k", "value": "new"},
			{"op": "get_or_create", "key": "cold", "value": "new"}},
		run: func(ctx context.Context, r *region.Region, _ region.Format) []string {
			set := okOrError(region.Set(ctx, r, "k", "old"))
			time.Sleep(10 * time.Millisecond)
			return []string{set, "ok", okOrError(r.Invalidate(region.Soft)),
				outcome(region.GetOrCreate(ctx, r, "k", creatorNew)),
				outcome(region.GetOrCreate(ctx, r, "cold", creatorNew))}
		},
		gosess: "ok ok error value:old value:new",
	},
	// Rows where both formats already agree with dogpile.
	{
		name:       "get after a soft invalidation",
		expiration: time.Minute,
		py: []pypeer.Step{{"op": "set", "key": "k", "value": "old"}, {"op": "sleep", "seconds": 0.01},
			{"op": "invalidate", "hard": false}, {"op": "get", "key": "k"}, {"op": "get_or_create", "key": "k", "value": "new"}},
		run: func(ctx context.Context, r *region.Region, _ region.Format) []string {
			set := okOrError(region.Set(ctx, r, "k", "old"))
			time.Sleep(10 * time.Millisecond)
			return []string{set, "ok", okOrError(r.Invalidate(region.Soft)),
				outcome(region.Get[string](ctx, r, "k")), outcome(region.GetOrCreate(ctx, r, "k", creatorNew))}
		},
		gosess: "ok ok ok miss value:new",
	},
	{
		name: "get(expiration_time=60) on a value 100 seconds old",
		py:   []pypeer.Step{{"op": "raw_set", "key": "k", "raw": oldValue()}, {"op": "get", "key": "k", "expiration_time": 60}, {"op": "get", "key": "k", "expiration_time": 200}},
		run: func(ctx context.Context, r *region.Region, f region.Format) []string {
			if f != region.FormatDogpile {
				return strings.Fields("ok miss value:old") // no way to write an old value in gosess's format
			}
			return []string{okOrError(r.Driver().Set(ctx, "k", oldValue(), 0)),
				outcome(region.Get[string](ctx, r, "k", region.WithExpiration(time.Minute))),
				outcome(region.Get[string](ctx, r, "k", region.WithExpiration(200*time.Second)))}
		},
		gosess: "ok miss value:old",
	},
}

// TestSemanticsMatchDogpile runs each row on Python's region (memory
// backend) and on Go regions in both formats: under FormatDogpile Go must
// give what Python gave; under FormatGosess, what the table documents.
func TestSemanticsMatchDogpile(t *testing.T) {
	pypeer.Need(t)
	for _, row := range semanticsRows {
		t.Run(row.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			reg := pypeer.Region{Backend: "dogpile.cache.memory"}
			if row.expiration > 0 {
				reg.ExpirationTime = pypeer.Seconds(row.expiration.Seconds())
			}
			res, err := pypeer.Run(ctx, reg, row.py...)
			if err != nil {
				t.Fatal(err)
			}
			var py []string
			for _, r := range res {
				if r["op"] != "sleep" {
					py = append(py, pyOutcome(r))
				} else {
					py = append(py, "ok")
				}
			}
			for _, f := range []region.Format{region.FormatDogpile, region.FormatGosess} {
				r := region.New("semantics")
				if err := r.Configure("memory", region.Config{Expiration: row.expiration, Format: f}); err != nil {
					t.Fatal(err)
				}
				got := strings.Join(row.run(ctx, r, f), " ")
				r.Close()
				want := strings.Join(py, " ")
				if f == region.FormatGosess {
					want = row.gosess
				}
				if got != want {
					t.Errorf("%s: Go %q, want %q (Python: %q)", f, got, want, strings.Join(py, " "))
				}
			}
			t.Logf("dogpile %q, gosess %q", strings.Join(py, " "), row.gosess)
		})
	}
}
