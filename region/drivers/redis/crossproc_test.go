package redis

// Cross-process tests: the test binary re-executes itself as child
// processes (selected by environment variables, handled in TestMain by
// runChild) that share one redis-server with the parent. The processes
// coordinate through keys in redis.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/internal/testchild"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
)

const (
	envChild = "GOSESS_REDIS_TEST_CHILD" // child scenario name
	envAddr  = "GOSESS_REDIS_TEST_ADDR"  // redis-server address
	envID    = "GOSESS_REDIS_TEST_ID"    // child number
)

// childWait bounds every wait of a child; a child never outlives it.
const childWait = 30 * time.Second

// TestMain runs a child's side instead of the tests in a child (runChild),
// and checks that the tests leave no goroutine behind.
func TestMain(m *testing.M) {
	// Dial failures are expected in fault tests; go-redis logs them
	// through the drivers' loggers, slog.Default() unless a test gives one.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	testchild.Main(m, envChild, runChild)
}

// runChild is a child's side of a cross-process test (testchild.Main,
// called by TestMain): scenario is its role.
func runChild(scenario string) error {
	c := &child{addr: os.Getenv(envAddr), id: os.Getenv(envID)}
	c.raw = goredis.NewClient(&goredis.Options{Addr: c.addr})
	ctx, cancel := context.WithTimeout(context.Background(), childWait)
	defer cancel()
	var err error
	switch scenario {
	case "stampede":
		err = c.stampede(ctx)
	case "holder":
		err = c.holder(ctx)
	case "invalidation":
		err = c.invalidation(ctx)
	case "update", "update-nocas":
		err = c.update(ctx, scenario == "update-nocas")
	default:
		err = fmt.Errorf("unknown scenario %q", scenario)
	}
	if err != nil {
		return fmt.Errorf("child %s: %w", c.id, err)
	}
	return nil
}

type child struct {
	addr, id string
	raw      *goredis.Client
}

// lockingRegion is the region every process of a scenario configures the
// same way.
func lockingRegion(name, addr string, lockTimeout time.Duration, opts ...region.Option) (*region.Region, error) {
	r := region.New(name, opts...)
	err := r.Configure("redis", region.Config{
		Expiration: time.Minute,
		Arguments: map[string]any{"addrs": addr, "distributed_lock": true, "lock_sleep": "5ms",
			"lock_timeout": lockTimeout, "key_prefix": "x:"},
		Invalidation: region.SharedInvalidation(100 * time.Millisecond),
	})
	return r, err
}

// waitKey polls until key exists in redis.
func waitKey(ctx context.Context, raw *goredis.Client, key string) error {
	for {
		n, err := raw.Exists(ctx, key).Result()
		if err == nil && n == 1 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for key %q: %w", key, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// together runs work on r (and closes r) once the parent says go: the
// child counts itself in under the key ready and waits for the key goKey,
// so that the children start together.
func (c *child) together(ctx context.Context, r *region.Region, ready, goKey string, work func() error) error {
	defer r.Close()
	if err := c.raw.Incr(ctx, ready).Err(); err != nil {
		return err
	}
	if err := waitKey(ctx, c.raw, goKey); err != nil {
		return err
	}
	return work()
}

// stampede: 16 goroutines call GetOrCreate on one cold key once the parent
// says go; the creator counts its runs with INCR.
func (c *child) stampede(ctx context.Context) error {
	r, err := lockingRegion("stampede", c.addr, 10*time.Second)
	if err != nil {
		return err
	}
	return c.together(ctx, r, "ready", "go", func() error {
		creator := func(ctx context.Context) (string, error) {
			n, err := c.raw.Incr(ctx, "creator_runs").Result()
			time.Sleep(200 * time.Millisecond) // a slow creator: the others pile up
			return fmt.Sprintf("made by child %s (run %d)", c.id, n), err
		}
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for range 16 {
			wg.Go(func() {
				v, err := region.GetOrCreate(ctx, r, "cold", creator)
				if err != nil {
					errs <- err
					return
				}
				fmt.Printf("RESULT %s\n", v)
			})
		}
		wg.Wait()
		close(errs)
		return errors.Join(func() (all []error) {
			for e := range errs {
				all = append(all, e)
			}
			return
		}()...)
	})
}

// holder takes the lock of "held" through GetOrCreate, says so, and then
// blocks in its creator until the parent kills it.
func (c *child) holder(ctx context.Context) error {
	r, err := lockingRegion("holder", c.addr, time.Second)
	if err != nil {
		return err
	}
	_, err = region.GetOrCreate(ctx, r, "held", func(ctx context.Context) (string, error) {
		if err := c.raw.Set(ctx, "holding", "1", 0).Err(); err != nil {
			return "", err
		}
		<-ctx.Done() // killed long before
		return "", ctx.Err()
	})
	return fmt.Errorf("holder was not killed: %v", err)
}

// invalidation follows the parent's invalidations of "k": it signals when
// it has seen v1, the hard invalidation, v2 and the soft invalidation.
func (c *child) invalidation(ctx context.Context) error {
	r, err := lockingRegion("inval", c.addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer r.Close()
	step := func(signal string, seen func() bool) error {
		for !seen() {
			select {
			case <-ctx.Done():
				return fmt.Errorf("before %s: %w", signal, ctx.Err())
			case <-time.After(5 * time.Millisecond):
			}
		}
		return c.raw.Set(ctx, signal, "1", 0).Err()
	}
	get := func(want string) func() bool {
		return func() bool {
			v, err := region.Get[string](ctx, r, "k")
			if want == "" {
				return errors.Is(err, region.ErrNotFound)
			}
			return err == nil && v == want
		}
	}
	if err := step("seen_v1", get("v1")); err != nil {
		return err
	}
	if err := step("seen_hard", get("")); err != nil {
		return err
	}
	if err := step("seen_v2", get("v2")); err != nil {
		return err
	}
	return step("seen_soft", func() bool {
		v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (string, error) { return "v3", nil })
		return err == nil && v == "v3"
	})
}

// updateRegion is the region of the counter test: the driver's default
// arguments (nothing but the server), optionally with compare-and-set
// hidden from the region.
func updateRegion(addr string, hideCAS bool) (*region.Region, error) {
	r := region.New("xproc-update")
	return r, r.Configure("redis", regiontest.ProcessConfig(map[string]any{"url": "redis://" + addr}, hideCAS))
}

// update increments "counter:<scenario>" with region.Update from
// regiontest.UpdateGoroutines goroutines once the parent says go.
func (c *child) update(ctx context.Context, hideCAS bool) error {
	r, err := updateRegion(c.addr, hideCAS)
	if err != nil {
		return err
	}
	return c.together(ctx, r, "update_ready", "update_go", func() error {
		return regiontest.CountUpdates(ctx, r, updateKey(hideCAS), regiontest.UpdateGoroutines, regiontest.UpdateIncrements)
	})
}

func updateKey(hideCAS bool) string {
	if hideCAS {
		return "counter:nocas"
	}
	return "counter:cas"
}

// childProc is a running child test process.
type childProc struct {
	cmd    *exec.Cmd
	out    bytes.Buffer // stdout and stderr
	exited chan struct{}
	err    error // Wait's error, set before exited is closed
}

// startChild starts the test binary as a child running scenario; it is
// killed when the test ends.
func startChild(t *testing.T, scenario, addr string, id int) *childProc {
	t.Helper()
	p := &childProc{cmd: testchild.Command(envChild, scenario, envAddr+"="+addr, envID+"="+strconv.Itoa(id)),
		exited: make(chan struct{})}
	p.cmd.Stdout = &p.out
	p.cmd.Stderr = &p.out
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// wait waits for the child to exit and fails the test unless it succeeded.
func (p *childProc) wait(t *testing.T, what string) {
	t.Helper()
	select {
	case <-p.exited:
		if p.err != nil {
			t.Fatalf("%s: %v\n%s", what, p.err, p.out.String())
		}
	case <-time.After(childWait + 5*time.Second):
		t.Fatalf("%s did not finish", what)
	}
}

func waitRawKey(t *testing.T, raw *goredis.Client, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), childWait)
	defer cancel()
	if err := waitKey(ctx, raw, key); err != nil {
		t.Fatal(err)
	}
}

// TestCrossProcessStampede: 4 processes × 16 goroutines call GetOrCreate
// on one cold key with distributed_lock; the creator runs once and every
// caller gets its value.
func TestCrossProcessStampede(t *testing.T) {
	s := testserver.Redis(t)
	raw := rawClient(t, s.Addr, 0)
	const procs = 4
	var ps []*childProc
	for i := range procs {
		ps = append(ps, startChild(t, "stampede", s.Addr, i))
	}
	testwait.Until(t, childWait, "children to be ready", func() bool {
		n, _ := raw.Get(t.Context(), "ready").Int()
		return n == procs
	})
	if err := raw.Set(t.Context(), "go", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	values := map[string]int{}
	for i, p := range ps {
		p.wait(t, fmt.Sprintf("child %d", i))
		for line := range strings.Lines(p.out.String()) {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "RESULT "); ok {
				values[v]++
			}
		}
	}
	runs, _ := raw.Get(t.Context(), "creator_runs").Int()
	if runs != 1 {
		t.Errorf("creator ran %d times across %d processes; want 1", runs, procs)
	}
	if len(values) != 1 {
		t.Errorf("callers got %d different values: %v", len(values), values)
	}
	total := 0
	for _, n := range values {
		total += n
	}
	if total != procs*16 {
		t.Errorf("%d results; want %d", total, procs*16)
	}
}

// TestCrossProcessKilledHolder: a process holding the distributed lock is
// killed with SIGKILL; a caller waiting for the lock gets it once the lock
// times out (lock_timeout 1s) and creates the value.
func TestCrossProcessKilledHolder(t *testing.T) {
	s := testserver.Redis(t)
	raw := rawClient(t, s.Addr, 0)
	holder := startChild(t, "holder", s.Addr, 0)
	waitRawKey(t, raw, "holding")
	locked := time.Now() // the holder took the lock a moment before

	r, err := lockingRegion("holder", s.Addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got := make(chan string, 1)
	go func() {
		v, err := region.GetOrCreate(t.Context(), r, "held", func(context.Context) (string, error) {
			return "created after the holder died", nil
		})
		if err != nil {
			v = "error: " + err.Error()
		}
		got <- v
	}()
	select {
	case v := <-got:
		t.Fatalf("GetOrCreate returned %q while the holder was alive and within lock_timeout", v)
	case <-time.After(100 * time.Millisecond):
	}
	if err := holder.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-holder.exited
	if holder.err == nil {
		t.Fatalf("holder exited cleanly; want killed\n%s", holder.out.String())
	}
	select {
	case v := <-got:
		if v != "created after the holder died" {
			t.Fatalf("GetOrCreate = %q", v)
		}
		if el := time.Since(locked); el > 3*time.Second {
			t.Errorf("waiter blocked %v; lock_timeout is 1s", el)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("waiter still blocked 10s after the holder was killed")
	}
}

// TestCrossProcessSharedInvalidation: hard and soft invalidations made by
// this process are seen by another process within the refresh interval of
// SharedInvalidation (100ms here).
func TestCrossProcessSharedInvalidation(t *testing.T) {
	s := testserver.Redis(t)
	raw := rawClient(t, s.Addr, 0)
	r, err := lockingRegion("inval", s.Addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := t.Context()
	if err := region.Set(ctx, r, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	other := startChild(t, "invalidation", s.Addr, 0)
	waitRawKey(t, raw, "seen_v1")

	const bound = 100*time.Millisecond + 2*time.Second // refresh + slack for -race on 2 cores
	start := time.Now()
	if err := r.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	waitRawKey(t, raw, "seen_hard")
	hard := time.Since(start)

	time.Sleep(time.Millisecond) // v2's creation time must follow the invalidation
	if err := region.Set(ctx, r, "k", "v2"); err != nil {
		t.Fatal(err)
	}
	waitRawKey(t, raw, "seen_v2")
	start = time.Now()
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	waitRawKey(t, raw, "seen_soft")
	soft := time.Since(start)
	other.wait(t, "invalidation child")
	t.Logf("other process saw hard invalidation after %v, soft after %v (refresh 100ms)", hard, soft)
	if hard > bound || soft > bound {
		t.Errorf("invalidation seen after %v (hard), %v (soft); want within %v", hard, soft, bound)
	}
}

// TestDriverErrorsAsMisses: with the server down, a region built with
// WithDriverErrorsAsMisses(true) serves the creator's value; the default
// region returns the driver's error.
func TestDriverErrorsAsMisses(t *testing.T) {
	s := testserver.Redis(t)
	for _, lock := range []bool{false, true} {
		t.Run("distributed_lock="+strconv.FormatBool(lock), func(t *testing.T) {
			args := map[string]any{"addrs": s.Addr, "distributed_lock": lock, "dial_timeout": "200ms", "read_timeout": "200ms"}
			lenient := region.New("lenient", region.WithDriverErrorsAsMisses(true))
			strict := region.New("strict")
			for _, r := range []*region.Region{lenient, strict} {
				if err := r.Configure("redis", region.Config{Expiration: time.Minute, Arguments: args}); err != nil {
					t.Fatal(err)
				}
				defer r.Close()
			}
			ctx := t.Context()
			if _, err := region.GetOrCreate(ctx, lenient, "k", func(context.Context) (string, error) { return "up", nil }); err != nil {
				t.Fatal(err)
			}
			s.Kill()
			defer func() {
				if err := s.Start(); err != nil {
					t.Fatal(err)
				}
			}()
			creator := func(context.Context) (string, error) { return "made while down", nil }
			v, err := region.GetOrCreate(ctx, lenient, "k2", creator)
			if err != nil || v != "made while down" {
				t.Errorf("lenient GetOrCreate with the server down = %q, %v; want the creator's value", v, err)
			}
			if _, err := region.GetOrCreate(ctx, strict, "k2", creator); err == nil {
				t.Error("strict GetOrCreate with the server down succeeded; want the driver error")
			}
		})
	}
}

// TestCrossProcessUpdate: 3 processes × 4 goroutines × 25 region.Update
// increments of one counter, on redis with the driver's default arguments
// (no distributed lock): every increment is kept, because the driver's
// compare-and-set script is run by redis. The same run with compare-and-set
// hidden from the region (so it compares and sets under its in-process
// lock) loses increments across processes; that count is logged, not
// asserted.
func TestCrossProcessUpdate(t *testing.T) {
	s := testserver.Redis(t)
	raw := rawClient(t, s.Addr, 0)
	run := func(t *testing.T, hideCAS bool) int {
		t.Helper()
		scenario := "update"
		if hideCAS {
			scenario = "update-nocas"
		}
		if err := raw.Del(t.Context(), "update_ready", "update_go").Err(); err != nil {
			t.Fatal(err)
		}
		var ps []*childProc
		for i := range regiontest.UpdateProcs {
			ps = append(ps, startChild(t, scenario, s.Addr, i))
		}
		testwait.Until(t, childWait, "children to be ready", func() bool {
			n, _ := raw.Get(t.Context(), "update_ready").Int()
			return n == regiontest.UpdateProcs
		})
		if err := raw.Set(t.Context(), "update_go", "1", 0).Err(); err != nil {
			t.Fatal(err)
		}
		for i, p := range ps {
			p.wait(t, fmt.Sprintf("child %d", i))
		}
		r, err := updateRegion(s.Addr, false)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		n, err := region.Get[int](t.Context(), r, updateKey(hideCAS))
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	regiontest.RunCrossProcessUpdate(t, run)
}
