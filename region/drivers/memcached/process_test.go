package memcached

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/gosess/gosess/internal/testchild"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
)

// Cross-process tests re-execute the test binary: TestMain sees childEnv
// and runs runChild instead of the tests. A child talks to the parent
// through its standard output (one line per event) and its exit status.
const (
	childEnv     = "GOSESS_MEMCACHED_CHILD"
	childAddrEnv = "GOSESS_MEMCACHED_ADDR"
	childKeyEnv  = "GOSESS_MEMCACHED_KEY"

	childGoroutines = 16
	counterKey      = "xproc:creator_runs"
	goKey           = "xproc:go"
)

func TestMain(m *testing.M) { testchild.Main(m, childEnv, runChild) }

// runChild runs one child role.
func runChild(role string) error {
	addr, key := os.Getenv(childAddrEnv), os.Getenv(childKeyEnv)
	switch role {
	case "stampede":
		return childStampede(addr, key)
	case "holder":
		return childHolder(addr, key)
	case "invalidate":
		return childInvalidate(addr)
	case "update", "update-nocas":
		return childUpdate(addr, key, role == "update-nocas")
	}
	return fmt.Errorf("unknown child role %q", role)
}

// processRegion is the region every process of a test configures alike.
func processRegion(addr string, inval region.InvalidationStrategy, opts ...region.Option) (*region.Region, error) {
	r := region.New("xproc", opts...)
	err := r.Configure(Name, region.Config{
		Expiration:   time.Minute,
		Invalidation: inval,
		Arguments: map[string]any{
			"url":              addr,
			"distributed_lock": true,
			"lock_timeout":     1,
			"lock_sleep":       "20ms",
		},
	})
	return r, err
}

// countingCreator is the creator of the stampede: it counts its runs in
// memcached (shared by all processes) and takes a while, so that the
// others pile up behind the lock.
func countingCreator(c *memcache.Client, value string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) {
		_ = c.Add(&memcache.Item{Key: counterKey, Value: []byte("0")})
		if _, err := c.Increment(counterKey, 1); err != nil {
			return "", err
		}
		time.Sleep(300 * time.Millisecond)
		return value, nil
	}
}

// together runs a child's work on r (and closes r): it says "ready" and
// waits for the parent's go (the key goKey, read through a client of its
// own), so that the children start together. The work runs under a
// 20-second context.
func together(addr string, r *region.Region, work func(ctx context.Context, c *memcache.Client) error) error {
	defer r.Close()
	c := memcache.New(addr)
	defer c.Close()
	fmt.Println("ready")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if _, err := c.Get(goKey); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return errors.New("no go from the parent")
		}
		time.Sleep(2 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return work(ctx, c)
}

func childStampede(addr, key string) error {
	r, err := processRegion(addr, nil)
	if err != nil {
		return err
	}
	return together(addr, r, func(ctx context.Context, c *memcache.Client) error {
		var wg sync.WaitGroup
		errs := make(chan error, childGoroutines)
		for range childGoroutines {
			wg.Go(func() {
				v, err := region.GetOrCreate(ctx, r, key, countingCreator(c, "created once"))
				if err == nil && v != "created once" {
					err = fmt.Errorf("GetOrCreate = %q", v)
				}
				if err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		return <-errs
	})
}

func childHolder(addr, key string) error {
	r, err := processRegion(addr, nil)
	if err != nil {
		return err
	}
	_, err = region.GetOrCreate(context.Background(), r, key, func(context.Context) (string, error) {
		fmt.Println("creating")
		select {} // hold the lock until killed
	})
	return err
}

func childInvalidate(addr string) error {
	r, err := processRegion(addr, region.SharedInvalidation(100*time.Millisecond))
	if err != nil {
		return err
	}
	defer r.Close()
	return r.Invalidate(region.Hard)
}

// updateRegion is the region of the counter test: the driver's default
// arguments (nothing but the server), optionally with compare-and-set
// hidden from the region.
func updateRegion(addr string, hideCAS bool) (*region.Region, error) {
	r := region.New("xproc-update")
	return r, r.Configure(Name, regiontest.ProcessConfig(map[string]any{"url": addr}, hideCAS))
}

func childUpdate(addr, key string, hideCAS bool) error {
	r, err := updateRegion(addr, hideCAS)
	if err != nil {
		return err
	}
	return together(addr, r, func(ctx context.Context, _ *memcache.Client) error {
		return regiontest.CountUpdates(ctx, r, key, regiontest.UpdateGoroutines, regiontest.UpdateIncrements)
	})
}

// child is a started child process.
type child struct {
	cmd    *exec.Cmd
	lines  chan string
	stderr strings.Builder
	done   chan error
}

func startChild(t *testing.T, role, addr, key string) *child {
	t.Helper()
	cmd := testchild.Command(childEnv, role, childAddrEnv+"="+addr, childKeyEnv+"="+key)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, lines: make(chan string, 16), done: make(chan error, 1)}
	cmd.Stderr = &c.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
		_, _ = io.Copy(io.Discard, out)
		c.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-c.done
	})
	return c
}

// expect waits for line from the child.
func (c *child) expect(t *testing.T, line string) {
	t.Helper()
	timer := time.NewTimer(20 * time.Second)
	defer timer.Stop()
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				t.Fatalf("child exited before printing %q; stderr: %s", line, c.stderr.String())
			}
			if l == line {
				return
			}
		case <-timer.C:
			t.Fatalf("child did not print %q within 20s", line)
		}
	}
}

// wait waits for the child to exit and fails the test if it failed.
func (c *child) wait(t *testing.T) {
	t.Helper()
	for range c.lines {
	}
	select {
	case err := <-c.done:
		c.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("child failed: %v; stderr: %s", err, c.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("child still running after 30s")
	}
}

// TestCrossProcessStampede: 4 processes x 16 goroutines call GetOrCreate
// on one cold key with distributed_lock on; the creator runs once.
func TestCrossProcessStampede(t *testing.T) {
	srv := testserver.Memcached(t)
	const key = "stampede:cold"
	var children []*child
	for range 4 {
		children = append(children, startChild(t, "stampede", srv.Addr, key))
	}
	for _, c := range children {
		c.expect(t, "ready")
	}
	mc := memcache.New(srv.Addr)
	defer mc.Close()
	if err := mc.Set(&memcache.Item{Key: goKey, Value: []byte("go")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range children {
		c.wait(t)
	}
	it, err := mc.Get(counterKey)
	if err != nil {
		t.Fatalf("creator run counter: %v", err)
	}
	if n, _ := strconv.Atoi(string(it.Value)); n != 1 {
		t.Fatalf("the creator ran %d times across 4 processes x %d goroutines; want once", n, childGoroutines)
	}
}

// TestKilledHolderDoesNotBlock: a process killed with SIGKILL while it
// holds the lock (inside its creator) blocks the others for lock_timeout
// at most.
func TestKilledHolderDoesNotBlock(t *testing.T) {
	srv := testserver.Memcached(t)
	const key = "killed:holder"
	c := startChild(t, "holder", srv.Addr, key)
	c.expect(t, "creating")
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	r, err := processRegion(srv.Addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if locked, err := r.KeyIsLocked(t.Context(), key); err != nil || !locked {
		t.Fatalf("KeyIsLocked right after the holder died = %v, %v; want true (its lock has not expired)", locked, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	start := time.Now()
	v, err := region.GetOrCreate(ctx, r, key, func(context.Context) (string, error) { return "after the crash", nil })
	el := time.Since(start)
	if err != nil || v != "after the crash" {
		t.Fatalf("GetOrCreate after the holder died = %q, %v (after %v)", v, err, el)
	}
	// lock_timeout is 1s, and the lock lives up to a second more on
	// memcached's clock; allow for the waiters' backoff and a busy machine
	// on top.
	if el > 4*time.Second {
		t.Fatalf("the dead holder blocked GetOrCreate for %v; lock_timeout is 1s", el)
	}
	t.Logf("dead holder's lock taken over after %v", el)
}

// TestSharedInvalidationAcrossProcesses: a hard invalidation made by
// another process is seen here within the refresh interval.
func TestSharedInvalidationAcrossProcesses(t *testing.T) {
	srv := testserver.Memcached(t)
	r, err := processRegion(srv.Addr, region.SharedInvalidation(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := t.Context()
	get := func(v string) string {
		t.Helper()
		got, err := region.GetOrCreate(ctx, r, "inval:key", func(context.Context) (string, error) { return v, nil })
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := get("v1"); got != "v1" {
		t.Fatalf("first GetOrCreate = %q", got)
	}
	// Creation times and invalidation times are in nanoseconds; make
	// sure the invalidation is strictly later.
	time.Sleep(10 * time.Millisecond)
	if got := get("v2"); got != "v1" {
		t.Fatalf("before the invalidation: %q; want the cached v1", got)
	}
	c := startChild(t, "invalidate", srv.Addr, "")
	c.wait(t)
	invalidated := time.Now()
	for get("v2") != "v2" {
		if time.Since(invalidated) > 2*time.Second {
			t.Fatal("another process's hard invalidation not seen after 2s (refresh is 100ms)")
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("invalidation seen within %v", time.Since(invalidated))
}

// TestErrorsAsMissesServerDown: with WithDriverErrorsAsMisses, GetOrCreate
// serves the creator's value while memcached is down, and goes back to
// caching when it is up again.
func TestErrorsAsMissesServerDown(t *testing.T) {
	for _, locking := range []bool{false, true} {
		t.Run(fmt.Sprintf("distributed_lock=%v", locking), func(t *testing.T) {
			srv := testserver.Memcached(t)
			r := region.New("down", region.WithDriverErrorsAsMisses(true))
			err := r.Configure(Name, region.Config{Expiration: time.Minute, Arguments: map[string]any{
				"url": srv.Addr, "timeout": "200ms", "distributed_lock": locking,
			}})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ctx := t.Context()
			runs := 0
			creator := func(context.Context) (string, error) { runs++; return fmt.Sprint("value ", runs), nil }
			if v, err := region.GetOrCreate(ctx, r, "k", creator); err != nil || v != "value 1" {
				t.Fatalf("server up: %q, %v", v, err)
			}
			srv.Kill()
			for i := 2; i <= 3; i++ {
				v, err := region.GetOrCreate(ctx, r, "k", creator)
				if err != nil || v != fmt.Sprint("value ", i) {
					t.Fatalf("server down, call %d: %q, %v; want the creator's value", i, v, err)
				}
			}
			// Without the option the same call fails.
			strict := region.New("down-strict")
			if err := strict.Configure(Name, region.Config{Arguments: map[string]any{"url": srv.Addr}}); err != nil {
				t.Fatal(err)
			}
			defer strict.Close()
			if _, err := region.GetOrCreate(ctx, strict, "k", creator); err == nil {
				t.Fatal("server down, default region: GetOrCreate succeeded; want the driver error")
			}
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			// Connections broken by the kill fail once each; wait until
			// the driver answers again.
			deadline := time.Now().Add(5 * time.Second)
			for {
				_, err := r.Driver().Get(ctx, "probe")
				if errors.Is(err, region.ErrNotFound) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("driver not back 5s after the restart: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
			v, err := region.GetOrCreate(ctx, r, "k", creator)
			if err != nil || v != "value 4" {
				t.Fatalf("server back: %q, %v; want a new value (the restarted server is empty)", v, err)
			}
			if v, err := region.GetOrCreate(ctx, r, "k", creator); err != nil || v != "value 4" {
				t.Fatalf("server back, second call: %q, %v; want the cached value 4", v, err)
			}
		})
	}
}

// TestCrossProcessUpdate: 3 processes × 4 goroutines × 25 region.Update
// increments of one counter, on memcached with the driver's default
// arguments (no distributed lock): every increment is kept, because the
// driver's compare-and-set (gets/cas/add) is decided by memcached. The
// same run with compare-and-set hidden from the region (so it compares and
// sets under its in-process lock) loses increments across processes; that
// count is logged, not asserted.
func TestCrossProcessUpdate(t *testing.T) {
	srv := testserver.Memcached(t)
	run := func(t *testing.T, hideCAS bool) int {
		t.Helper()
		role := "update"
		if hideCAS {
			role = "update-nocas"
		}
		key := "xproc:counter:" + role
		mc := memcache.New(srv.Addr)
		defer mc.Close()
		_ = mc.Delete(goKey)
		var children []*child
		for range regiontest.UpdateProcs {
			children = append(children, startChild(t, role, srv.Addr, key))
		}
		for _, c := range children {
			c.expect(t, "ready")
		}
		if err := mc.Set(&memcache.Item{Key: goKey, Value: []byte("go")}); err != nil {
			t.Fatal(err)
		}
		for _, c := range children {
			c.wait(t)
		}
		r, err := updateRegion(srv.Addr, false)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		n, err := region.Get[int](t.Context(), r, key)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	regiontest.RunCrossProcessUpdate(t, run)
}
