package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
)

// TestKilledWriterNeverLeavesTornValue SIGKILLs a process that keeps
// overwriting one key with big values, at random moments, and checks that
// the key then holds one whole value (or none), never a torn one; Cleanup
// then removes the temporary file the dead writer may have left.
func TestKilledWriterNeverLeavesTornValue(t *testing.T) {
	dir := t.TempDir()
	d := newTestDriver(t, Config{Dir: dir, CleanupInterval: -1})
	ctx := t.Context()
	const key = "big"
	for round := range 10 {
		sync := "1"
		if round%2 == 1 {
			sync = "0"
		}
		c := startChild(t, "writer", "DIR="+dir, "KEY="+key, "SYNC="+sync)
		c.expect("ready")
		// Reads while the writer runs see whole values only.
		for range 3 {
			v, err := d.Get(ctx, key)
			if err != nil {
				t.Fatalf("Get while writing: %v", err)
			}
			if err := checkTornTestValue(v); err != nil {
				t.Fatalf("Get while writing: %v", err)
			}
		}
		time.Sleep(time.Duration(rand.N(20_000)) * time.Microsecond)
		c.kill()
		v, err := d.Get(ctx, key)
		if err != nil {
			t.Fatalf("round %d: Get after the writer was killed: %v", round, err)
		}
		if err := checkTornTestValue(v); err != nil {
			t.Fatalf("round %d: torn value after the writer was killed: %v", round, err)
		}
	}
	old := staleTempAge
	staleTempAge = 0
	defer func() { staleTempAge = old }()
	n, err := d.Cleanup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	temps, _ := filepath.Glob(filepath.Join(dir, "data", "*", tempPrefix+"*"))
	if len(temps) != 0 {
		t.Fatalf("Cleanup (removed %d) left temporary files: %v", n, temps)
	}
	t.Logf("Cleanup removed %d temporary files left by killed writers", n)
	if _, err := d.Get(ctx, key); err != nil {
		t.Fatalf("Get after Cleanup: %v", err)
	}
}

// TestLockAcrossProcesses: a child process holds the flock of a key; this
// process cannot take it; it can once the child unlocks, and once the
// child is SIGKILLed while holding it.
func TestLockAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	d := newTestDriver(t, Config{Dir: dir, CleanupInterval: -1})
	ctx := t.Context()
	const key = "shared-lock"

	c := startChild(t, "locker", "DIR="+dir, "KEY="+key)
	c.expect("locked")
	m := d.Mutex(key)
	if ok, err := m.TryLock(ctx); ok || err != nil {
		t.Fatalf("TryLock of a lock another process holds = %v, %v; want false", ok, err)
	}
	if locked, err := m.(*fileMutex).Locked(ctx); !locked || err != nil {
		t.Fatalf("Locked while another process holds the lock = %v, %v; want true", locked, err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	err := m.Lock(short)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a lock another process holds = %v; want a deadline error", err)
	}
	// Waiting Lock gets it when the child unlocks.
	done := make(chan error, 1)
	go func() {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		done <- m.Lock(wctx)
	}()
	c.send("unlock")
	c.expect("unlocked")
	if err := <-done; err != nil {
		t.Fatalf("Lock after the other process unlocked: %v", err)
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	c.wait()

	// A holder killed with SIGKILL releases the lock at once.
	c = startChild(t, "locker", "DIR="+dir, "KEY="+key)
	c.expect("locked")
	if ok, _ := m.TryLock(ctx); ok {
		t.Fatal("TryLock succeeded while the second child holds the lock")
	}
	c.kill()
	start := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := m.Lock(wctx); err != nil {
		t.Fatalf("Lock after the holder was killed: %v", err)
	}
	t.Logf("lock acquired %v after its holder was killed", time.Since(start))
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}

	// The killed holder's lock file is an orphan that Cleanup removes (the
	// Unlock above removed it already; a third holder leaves one behind).
	c = startChild(t, "locker", "DIR="+dir, "KEY="+key)
	c.expect("locked")
	c.kill()
	n, err := d.Cleanup(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Cleanup after a killed holder = %d, %v; want the lock file removed", n, err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "locks")); len(ents) != 0 {
		t.Fatalf("lock files left: %d", len(ents))
	}
}

const (
	stampedeProcs      = 4
	stampedeGoroutines = 16
)

// stampedeChild is a helper process for the cross-process region tests.
// It configures a region on $DIR with the file driver and shared
// invalidation, says "ready", then obeys stdin commands:
//
//	stampede  16 goroutines GetOrCreate $KEY; the creator appends a line
//	          to $COUNTER; says "value <v>" once all agree
//	get       says "value <v>" or "miss" for region.Get of $KEY
//	invalidate-hard, invalidate-soft
//	          invalidates the region; says "done"
func stampedeChild(dir, key string) error {
	r := region.New("stampede")
	err := r.Configure("file", region.Config{
		Expiration:   time.Hour,
		Arguments:    map[string]any{"dir": dir, "cleanup_interval": 0},
		Invalidation: region.SharedInvalidation(20 * time.Millisecond),
	})
	if err != nil {
		return err
	}
	defer r.Close()
	ctx := context.Background()
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		switch in.Text() {
		case "stampede":
			creator := func(context.Context) (string, error) {
				f, err := os.OpenFile(os.Getenv("COUNTER"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
				if err != nil {
					return "", err
				}
				_, err = fmt.Fprintf(f, "%d\n", os.Getpid())
				if cerr := f.Close(); err == nil {
					err = cerr
				}
				// Hold the lock long enough for every other caller to
				// arrive and wait.
				time.Sleep(200 * time.Millisecond)
				return fmt.Sprintf("created by %d", os.Getpid()), err
			}
			var wg sync.WaitGroup
			results := make([]string, stampedeGoroutines)
			errs := make([]error, stampedeGoroutines)
			for g := range stampedeGoroutines {
				wg.Go(func() {
					cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					defer cancel()
					results[g], errs[g] = region.GetOrCreate(cctx, r, key, creator)
				})
			}
			wg.Wait()
			if err := errors.Join(errs...); err != nil {
				return err
			}
			for _, v := range results[1:] {
				if v != results[0] {
					return fmt.Errorf("goroutines got different values: %q", results)
				}
			}
			fmt.Println("value", results[0])
		case "get":
			v, err := region.Get[string](ctx, r, key)
			switch {
			case errors.Is(err, region.ErrNotFound):
				fmt.Println("miss")
			case err != nil:
				return err
			default:
				fmt.Println("value", v)
			}
		case "invalidate-hard", "invalidate-soft":
			mode := region.Hard
			if in.Text() == "invalidate-soft" {
				mode = region.Soft
			}
			if err := r.InvalidateContext(ctx, mode); err != nil {
				return err
			}
			fmt.Println("done")
		default:
			return fmt.Errorf("unknown command %q", in.Text())
		}
	}
	return in.Err()
}

// TestCrossProcessStampede: 4 processes × 16 goroutines call GetOrCreate
// on one cold key at once; with the file driver's distributed lock the
// creator runs once in all.
func TestCrossProcessStampede(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(t.TempDir(), "creator-calls")
	var children []*child
	for range stampedeProcs {
		c := startChild(t, "stampede", "DIR="+dir, "KEY=cold-key", "COUNTER="+counter)
		children = append(children, c)
	}
	for _, c := range children {
		c.expect("ready")
	}
	start := time.Now()
	for _, c := range children {
		c.send("stampede")
	}
	var values []string
	for _, c := range children {
		values = append(values, c.expect("value "))
	}
	t.Logf("%d processes × %d goroutines served in %v (the creator takes 200ms)",
		stampedeProcs, stampedeGoroutines, time.Since(start).Round(time.Millisecond))
	for _, c := range children {
		c.wait()
	}
	b, err := os.ReadFile(counter)
	if err != nil {
		t.Fatal(err)
	}
	if calls := strings.Count(string(b), "\n"); calls != 1 {
		t.Fatalf("creator ran %d times across %d processes × %d goroutines; want 1 (pids %q)",
			calls, stampedeProcs, stampedeGoroutines, b)
	}
	for _, v := range values[1:] {
		if v != values[0] {
			t.Fatalf("processes got different values: %q", values)
		}
	}
}

// TestSharedInvalidationAcrossProcesses: an invalidation made in one
// process is seen by another within the refresh interval.
func TestSharedInvalidationAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	counter := filepath.Join(t.TempDir(), "creator-calls")
	ctx := t.Context()
	r := region.New("stampede") // same name: the invalidation key is per region name
	if err := r.Configure("file", region.Config{
		Expiration:   time.Hour,
		Arguments:    map[string]any{"dir": dir, "cleanup_interval": 0},
		Invalidation: region.SharedInvalidation(20 * time.Millisecond),
	}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := region.Set(ctx, r, "k", "v1"); err != nil {
		t.Fatal(err)
	}
	c := startChild(t, "stampede", "DIR="+dir, "KEY=k", "COUNTER="+counter)
	c.expect("ready")
	c.send("get")
	if got := c.expect("value "); got != "value v1" {
		t.Fatalf("other process read %q; want \"value v1\"", got)
	}

	// Hard invalidation in the child: this process sees a miss.
	c.send("invalidate-hard")
	c.expect("done")
	testwait.Until(t, 10*time.Second, "hard invalidation from another process", func() bool {
		_, err := region.Get[string](ctx, r, "k")
		return errors.Is(err, region.ErrNotFound)
	})

	// Soft invalidation in the child: GetOrCreate here regenerates.
	if err := region.Set(ctx, r, "k", "v2"); err != nil {
		t.Fatal(err)
	}
	c.send("invalidate-soft")
	c.expect("done")
	testwait.Until(t, 10*time.Second, "soft invalidation from another process", func() bool {
		v, err := region.GetOrCreate(ctx, r, "k", func(context.Context) (string, error) { return "v3", nil })
		return err == nil && v == "v3"
	})
	// And the child reads the regenerated value.
	c.send("get")
	if got := c.expect("value "); got != "value v3" {
		t.Fatalf("other process read %q after regeneration; want \"value v3\"", got)
	}
	c.wait()
}

// updateRegion is the region of the counter test: the driver's default
// arguments (nothing but the directory), optionally with compare-and-set
// (and with it every other capability, the lock included) hidden from the
// region.
func updateRegion(dir string, hideCAS bool) (*region.Region, error) {
	r := region.New("xproc-update")
	return r, r.Configure("file", regiontest.ProcessConfig(map[string]any{"dir": dir}, hideCAS))
}

// updateChild configures the counter region on dir, says "ready", and on
// "go" from stdin increments key with region.Update from regiontest.UpdateGoroutines
// goroutines, then says "done".
func updateChild(dir, key string, hideCAS bool) error {
	r, err := updateRegion(dir, hideCAS)
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Println("ready")
	in := bufio.NewScanner(os.Stdin)
	if !in.Scan() || in.Text() != "go" {
		return fmt.Errorf("no go from the parent: %v", in.Err())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := regiontest.CountUpdates(ctx, r, key, regiontest.UpdateGoroutines, regiontest.UpdateIncrements); err != nil {
		return err
	}
	fmt.Println("done")
	return nil
}

// TestCrossProcessUpdate: 3 processes × 4 goroutines × 25 region.Update
// increments of one counter in one directory, with the driver's default
// arguments: every increment is kept (the driver's compare-and-set works
// under a flock every process takes). With compare-and-set hidden from the
// region, it compares and sets under its in-process lock and loses
// increments across processes; that count is logged, not asserted.
func TestCrossProcessUpdate(t *testing.T) {
	run := func(t *testing.T, hideCAS bool) int {
		t.Helper()
		mode := "update"
		if hideCAS {
			mode = "update-nocas"
		}
		dir := t.TempDir()
		var children []*child
		for range regiontest.UpdateProcs {
			children = append(children, startChild(t, mode, "DIR="+dir, "KEY=counter"))
		}
		for _, c := range children {
			c.expect("ready")
		}
		for _, c := range children {
			c.send("go")
		}
		for _, c := range children {
			c.expect("done")
			c.wait()
		}
		r, err := updateRegion(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		n, err := region.Get[int](t.Context(), r, "counter")
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	regiontest.RunCrossProcessUpdate(t, run)
}
