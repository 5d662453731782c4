package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gosess/gosess/region"
)

// A stampede is many concurrent GetOrCreate calls on one key, the load
// the dogpile lock is for. The demo's two buttons run one on a cold key
// (missing: one caller runs the creator, the others wait for the lock and
// read what it stored) and one on a stale key (past its expiration: one
// caller regenerates it, the others are served the stale value at once).

// stampedeSettings shape the demo's stampedes.
type stampedeSettings struct {
	callers    int           // concurrent GetOrCreate calls
	cost       time.Duration // how long the creator takes
	expiration time.Duration // the stale key's expiration
}

var defaultStampede = stampedeSettings{callers: 100, cost: 300 * time.Millisecond, expiration: 200 * time.Millisecond}

// Outcomes of one call in a stampede.
const (
	outcomeCreated = "created" // ran the creator
	outcomeWaited  = "waited"  // waited for the lock, then read the new value
	outcomeStale   = "stale"   // served the stale value at once
	outcomeHit     = "hit"     // found the new value without waiting
	outcomeFailed  = "failed"  // got an error
)

// stampedeRun is the result of one stampede, stored in the region (JSON)
// so that any instance of the demo can show it.
type stampedeRun struct {
	ID      string
	Kind    string // "cold" or "stale"
	At      time.Time
	Callers int
	Cost    time.Duration
	Total   time.Duration // from the start of the calls to the last return
	Calls   []stampedeCall
	// Counts by outcome.
	Created, Waited, Stale, Hits, Failed int
	// The region's figures during the run (other traffic included).
	CreatorRuns, LockWaits, StaleServed uint64
	FirstError                          string
}

type stampedeCall struct {
	Outcome string
	Took    time.Duration
}

// stampede fires callers concurrent GetOrCreate calls on key, whose
// creator takes cost. With stale, key first gets a value that is past
// its expiration when the calls start.
func stampede(ctx context.Context, r *region.Region, key string, stale bool, callers int, cost, expiration time.Duration) (*stampedeRun, error) {
	const oldValue, newValue = "the old value", "the new value"
	opts := []region.CallOption{region.WithExpiration(expiration)}
	if stale {
		if err := region.Set(ctx, r, key, oldValue, opts...); err != nil {
			return nil, err
		}
		select { // let it go stale
		case <-time.After(expiration + expiration/4):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	run := &stampedeRun{Kind: "cold", At: time.Now(), Callers: callers, Cost: cost, Calls: make([]stampedeCall, callers)}
	if stale {
		run.Kind = "stale"
	}
	before := r.Stats()
	start := make(chan struct{})
	var wg sync.WaitGroup
	var errMu sync.Mutex
	for i := range callers {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			ran := false
			v, err := region.GetOrCreate(ctx, r, key, func(ctx context.Context) (string, error) {
				ran = true
				select {
				case <-time.After(cost):
					return newValue, nil
				case <-ctx.Done():
					return "", ctx.Err()
				}
			}, opts...)
			c := stampedeCall{Took: time.Since(t0)}
			switch {
			case err != nil:
				c.Outcome = outcomeFailed
				errMu.Lock()
				if run.FirstError == "" {
					run.FirstError = err.Error()
				}
				errMu.Unlock()
			case ran:
				c.Outcome = outcomeCreated
			case v == oldValue:
				c.Outcome = outcomeStale
			case c.Took >= cost/2:
				c.Outcome = outcomeWaited
			default:
				c.Outcome = outcomeHit
			}
			run.Calls[i] = c
		})
	}
	t0 := time.Now()
	close(start)
	wg.Wait()
	run.Total = time.Since(t0)
	after := r.Stats()
	run.CreatorRuns = after.CreatorRuns - before.CreatorRuns
	run.LockWaits = after.LockWaits - before.LockWaits
	run.StaleServed = after.StaleServed - before.StaleServed
	for _, c := range run.Calls {
		switch c.Outcome {
		case outcomeCreated:
			run.Created++
		case outcomeWaited:
			run.Waited++
		case outcomeStale:
			run.Stale++
		case outcomeHit:
			run.Hits++
		default:
			run.Failed++
		}
	}
	return run, nil
}

// runStampede is POST /stampede/{cold|stale}: it runs a stampede on a key
// of its own, stores the result in the region and redirects to it.
func (a *demoApp) runStampede(w http.ResponseWriter, r *http.Request) {
	kind := r.PathValue("kind")
	if kind != "cold" && kind != "stale" {
		http.NotFound(w, r)
		return
	}
	id := rand.Text()
	st := a.stampede
	run, err := stampede(r.Context(), a.region, "demo:stampede:"+kind+":"+id, kind == "stale", st.callers, st.cost, st.expiration)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	run.ID = id
	if err := region.Set(r.Context(), a.region, stampedeKey(id), run, region.WithExpiration(stampedeKeep)); err != nil {
		a.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/stampede/"+id, http.StatusSeeOther)
}

// stampedeKeep is how long a stampede's result can be looked at.
const stampedeKeep = 10 * time.Minute

func stampedeKey(id string) string { return "demo:stampede:run:" + id }

// showStampede is GET /stampede/{id}: the chart of one run.
func (a *demoApp) showStampede(w http.ResponseWriter, r *http.Request) {
	run, err := region.Get[stampedeRun](r.Context(), a.region, stampedeKey(r.PathValue("id")))
	if errors.Is(err, region.ErrNotFound) {
		http.Error(w, fmt.Sprintf("No such stampede: results are kept %v.", stampedeKeep), http.StatusNotFound)
		return
	}
	if err != nil {
		a.fail(w, r, err)
		return
	}
	a.render(w, "stampede.html", stampedePage{page: a.page("Stampede on a " + run.Kind + " key"), Run: run, Chart: newChart(&run)})
}

type stampedePage struct {
	page
	Run   stampedeRun
	Chart chart
}

// chart is the run drawn as an SVG bar chart: one bar per call, its
// height the call's duration; the creator first, then the others from
// the longest to the shortest.
type chart struct {
	Width, Height, Top  int
	Bars                []chartBar
	CostY               int    // the creator's duration as a dashed line
	CostLabel, MaxLabel string // axis labels
	// Summary figures of the calls that did not run the creator.
	OthersMedian, OthersMax time.Duration
}

type chartBar struct {
	X, Y, W, H int
	Outcome    string
	Title      string
}

const (
	chartBarWidth = 5
	chartGap      = 1
	chartHeight   = 180
	chartTop      = 16 // room for the labels above the bars
)

func newChart(run *stampedeRun) chart {
	calls := slices.Clone(run.Calls)
	slices.SortStableFunc(calls, func(a, b stampedeCall) int {
		if (a.Outcome == outcomeCreated) != (b.Outcome == outcomeCreated) {
			if a.Outcome == outcomeCreated {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.Took, a.Took)
	})
	scale := run.Cost + run.Cost/5
	for _, c := range calls {
		scale = max(scale, c.Took)
	}
	ch := chart{Width: len(calls) * (chartBarWidth + chartGap), Height: chartHeight + chartTop, Top: chartTop,
		MaxLabel: fmt.Sprintf("%.0f ms", ms(scale))}
	y := func(d time.Duration) int {
		return chartTop + chartHeight - int(float64(chartHeight)*float64(d)/float64(scale))
	}
	ch.CostY, ch.CostLabel = y(run.Cost), fmt.Sprintf("creator: %.0f ms", ms(run.Cost))
	var others []time.Duration
	for i, c := range calls {
		top := min(y(c.Took), chartTop+chartHeight-1) // at least one pixel
		ch.Bars = append(ch.Bars, chartBar{
			X: i * (chartBarWidth + chartGap), Y: top, W: chartBarWidth, H: chartTop + chartHeight - top,
			Outcome: c.Outcome, Title: fmt.Sprintf("call %d: %s in %.2f ms", i+1, c.Outcome, ms(c.Took)),
		})
		if c.Outcome != outcomeCreated {
			others = append(others, c.Took)
		}
	}
	if len(others) > 0 {
		slices.Sort(others)
		ch.OthersMedian, ch.OthersMax = others[len(others)/2], others[len(others)-1]
	}
	return ch
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
