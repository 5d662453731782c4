package dogpilepeer

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/pypeer"
)

// stampedeRounds is how many cold keys each server's stampede test hits.
const stampedeRounds = 3

// TestMixedStampede: two Python processes (dogpile.cache, distributed_lock)
// and two Go processes (format "dogpile", distributed_lock, each with
// goroutinesPerGoPeer callers) ask for one cold key at the same moment.
// The creator must run once per round, on each server, and every caller
// must get the value it made.
func TestMixedStampede(t *testing.T) {
	onEachServer(t, func(t *testing.T, _ context.Context, s *server) {
		var runs []string
		for round := range stampedeRounds {
			n, elapsed := stampedeRound(t, s, strconv.Itoa(round))
			runs = append(runs, strconv.FormatInt(n, 10))
			t.Logf("round %d: creator ran %d time(s); %d callers served in %v", round, n, 2+2*goroutinesPerGoPeer, elapsed.Round(time.Millisecond))
		}
		t.Logf("%s: creator runs per round: %s", s.kind, strings.Join(runs, ", "))
	})
}

func stampedeRound(t *testing.T, s *server, round string) (int64, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), childWait)
	defer cancel()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		values []string
		fails  []string
	)
	record := func(v, fail string) {
		mu.Lock()
		defer mu.Unlock()
		if fail != "" {
			fails = append(fails, fail)
			return
		}
		values = append(values, v)
	}
	for i := range 2 {
		name := fmt.Sprintf("go-%d", i)
		cmd, out, err := startChild(ctx, "stampede", s, round, name)
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			err := cmd.Wait()
			if err != nil {
				record("", fmt.Sprintf("%s: %v\n%s", name, err, out))
				return
			}
			for line := range strings.Lines(out.String()) {
				if v, ok := strings.CutPrefix(strings.TrimSpace(line), "RESULT "); ok {
					record(v, "")
				}
			}
		})
	}
	for i := range 2 {
		name := fmt.Sprintf("py-%d", i)
		wg.Go(func() {
			res, err := pypeer.Run(ctx, s.python(60, nil),
				pypeer.Step{"op": "incr", "key": "ready:" + round},
				pypeer.Step{"op": "wait_key", "key": "go:" + round},
				pypeer.Step{"op": "get_or_create", "key": "stampede:" + round, "value": "made by " + name,
					"sleep": creatorSleep.Seconds(), "counter": "runs:" + round})
			switch {
			case err != nil:
				record("", fmt.Sprintf("%s: %v", name, err))
			case !res[2].OK():
				record("", fmt.Sprintf("%s: %v", name, res[2]))
			default:
				record(fmt.Sprint(res[2]["value"]), "")
			}
		})
	}
	// Everyone ready: go.
	for {
		v, _, err := s.raw.get(ctx, "ready:"+round)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := strconv.Atoi(strings.TrimSpace(v)); n == 4 {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("peers never got ready (%q of 4)", v)
		case <-time.After(5 * time.Millisecond):
		}
	}
	start := time.Now()
	if err := s.raw.set(ctx, "go:"+round, "1"); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	elapsed := time.Since(start)
	for _, f := range fails {
		t.Error(f)
	}
	v, _, err := s.raw.get(ctx, "runs:"+round)
	if err != nil {
		t.Fatal(err)
	}
	runs, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if runs != 1 {
		t.Errorf("round %s: the creator ran %d times, want 1", round, runs)
	}
	if len(values) != 2+2*goroutinesPerGoPeer {
		t.Errorf("round %s: %d callers answered, want %d: %q", round, len(values), 2+2*goroutinesPerGoPeer, values)
	}
	for _, v := range values {
		if v != values[0] {
			t.Errorf("round %s: callers got different values: %q", round, values)
			break
		}
	}
	return runs, elapsed
}
