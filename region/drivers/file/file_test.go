package file

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/flock"
	"github.com/gosess/gosess/internal/testclock"
	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

func newTestDriver(t *testing.T, c Config) *Driver {
	t.Helper()
	if c.Dir == "" {
		c.Dir = t.TempDir()
	}
	d, err := New(c)
	if err != nil {
		t.Fatalf("New(%+v): %v", c, err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func TestConformance(t *testing.T) {
	opts := regiontest.DriverOptions{} // default TTL 1s: a slow fsync must not expire a value before it is read back
	for _, tc := range []struct {
		name string
		c    Config
	}{
		{"Default", Config{}},
		{"LocalLock", Config{DisableDistributedLock: true}},
		{"NoSync", Config{NoSync: true, CleanupInterval: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			regiontest.RunDriverWith(t, opts, func(t *testing.T) driver.Driver {
				c := tc.c
				c.Dir = t.TempDir()
				d, err := New(c)
				if err != nil {
					t.Fatal(err)
				}
				return d
			})
		})
	}
}

// TestConformanceSharedDir runs the suite with a fresh Driver per subtest
// on one directory, as processes sharing it would.
func TestConformanceSharedDir(t *testing.T) {
	dir := t.TempDir()
	regiontest.RunDriverWith(t, regiontest.DriverOptions{},
		func(t *testing.T) driver.Driver {
			d, err := New(Config{Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			return d
		})
}

func TestRegistered(t *testing.T) {
	if !slices.Contains(region.Drivers(), "file") {
		t.Fatalf("region.Drivers() = %v; want it to list \"file\"", region.Drivers())
	}
	r := region.New("file-registered")
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := r.Configure("file", region.Config{Arguments: map[string]any{
		"dir": dir, "cleanup_interval": "0", "lock_timeout": "2s", "lock_sleep": "40ms", "sync": "false",
		"distributed_lock": "true", "file_mode": "0640", "dir_mode": "0750", "logger": slog.Default(),
	}}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := t.Context()
	if err := region.Set(ctx, r, "k", "v"); err != nil {
		t.Fatal(err)
	}
	if v, err := region.Get[string](ctx, r, "k"); err != nil || v != "v" {
		t.Fatalf("Get = %q, %v; want \"v\"", v, err)
	}
	d := r.ActualDriver().(*Driver)
	if d.stop != nil {
		t.Error("cleanup_interval=0 started a background cleanup")
	}
	if d.sync || !d.distLock || d.lockWait != 2*time.Second || d.lockSleep != 40*time.Millisecond {
		t.Errorf("arguments not applied: sync=%v distLock=%v lockWait=%v lockSleep=%v", d.sync, d.distLock, d.lockWait, d.lockSleep)
	}
	fi, err := os.Stat(dir)
	if err != nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("dir mode = %v, %v; want 0750", fi.Mode().Perm(), err)
	}
	_, path := d.entryPath("k")
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("entry file mode = %v, %v; want 0640", fi.Mode().Perm(), err)
	}
}

func TestArgumentErrors(t *testing.T) {
	dir := t.TempDir()
	notDir := filepath.Join(dir, "plain")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"MissingDir", map[string]any{}, `"dir"`},
		{"EmptyDir", map[string]any{"dir": ""}, `"dir"`},
		{"Unknown", map[string]any{"dir": dir, "dirr": "x"}, "dirr"},
		{"BadBool", map[string]any{"dir": dir, "distributed_lock": "maybe"}, "distributed_lock"},
		{"BadDuration", map[string]any{"dir": dir, "lock_timeout": "soon"}, "lock_timeout"},
		{"NegativeLockSleep", map[string]any{"dir": dir, "lock_sleep": "-1s"}, "lock_sleep"},
		{"NegativeDuration", map[string]any{"dir": dir, "cleanup_interval": -1}, "cleanup_interval"},
		{"FileModeNotOctal", map[string]any{"dir": dir, "file_mode": "0698"}, "file_mode"},
		{"FileModeNoOwnerWrite", map[string]any{"dir": dir, "file_mode": "0400"}, "0600"},
		{"FileModeNotPerm", map[string]any{"dir": dir, "file_mode": int(fs.ModeDir | 0o600)}, "file mode"},
		{"DirModeNoOwnerExec", map[string]any{"dir": dir, "dir_mode": "0600"}, "0700"},
		{"BadLogger", map[string]any{"dir": dir, "logger": "stderr"}, "logger"},
		{"DirIsAFile", map[string]any{"dir": notDir}, "not a directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := factory(driver.Info{Region: "x"}, driver.NewArguments("file", tc.args))
			if err == nil {
				d.(*Driver).Close()
				t.Fatalf("factory(%v) succeeded; want an error", tc.args)
			}
			if tc.name != "DirIsAFile" && !errors.Is(err, region.ErrInvalidArgument) {
				t.Errorf("error %v does not match region.ErrInvalidArgument", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
	if _, err := New(Config{Dir: dir, LockTimeout: -time.Second}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("New with a negative lock timeout: %v; want ErrInvalidArgument", err)
	}
}

func TestNewCreatesDirPrivate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x", "cache")
	d := newTestDriver(t, Config{Dir: dir, CleanupInterval: -1})
	for _, p := range []string{dir, d.dataDir, d.lockDir} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s has mode %v; want 0700", p, fi.Mode().Perm())
		}
	}
	if err := d.Set(t.Context(), "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	dataDir, path := d.entryPath("k")
	for p, want := range map[string]fs.FileMode{path: 0o600, dataDir: 0o700} {
		if fi, err := os.Stat(p); err != nil || fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, %v; want %v", p, fi.Mode().Perm(), err, want)
		}
	}
}

// TestKeysStayInsideDir stores hostile keys and checks that nothing was
// written outside the cache directory and that every key reads back.
func TestKeysStayInsideDir(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "cache")
	d := newTestDriver(t, Config{Dir: dir, CleanupInterval: -1})
	keys := []string{
		"../../etc/passwd", "/etc/passwd", "a/b/c", "..", ".", "", "\x00", "a\x00b",
		`..\..\windows`, "con", "ünïcödé 日本", "\xff\xfe invalid utf-8", strings.Repeat("k", 1<<20),
		strings.Repeat("../", 1000) + "x",
	}
	ctx := t.Context()
	for i, k := range keys {
		if err := d.Set(ctx, k, []byte{byte(i)}, 0); err != nil {
			t.Fatalf("Set(%.40q): %v", k, err)
		}
		m := d.Mutex(k)
		if ok, err := m.TryLock(ctx); !ok || err != nil {
			t.Fatalf("TryLock(%.40q) = %v, %v", k, ok, err)
		}
		if err := m.Unlock(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i, k := range keys {
		v, err := d.Get(ctx, k)
		if err != nil || !bytes.Equal(v, []byte{byte(i)}) {
			t.Errorf("Get(%.40q) = %v, %v; want [%d]", k, v, err, i)
		}
	}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if rel == "." || rel == "cache" || e.IsDir() && (rel == filepath.Join("cache", "data") || rel == filepath.Join("cache", "locks")) {
			return nil
		}
		parts := strings.Split(rel, string(filepath.Separator))
		switch {
		case len(parts) == 3 && parts[1] == "data" && e.IsDir() && len(parts[2]) == 2:
		case len(parts) == 4 && parts[1] == "data" && isEntryName(parts[3]) && strings.HasPrefix(parts[3], parts[2]):
		case len(parts) == 3 && parts[1] == "locks" && strings.HasPrefix(parts[2], writeLockPrefix) && len(parts[2]) == len(writeLockPrefix)+2:
			// the write lock of the keys in one fan-out directory
		default:
			t.Errorf("unexpected path %s", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := d.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := slices.Sorted(slices.Values(keys)); !slices.Equal(got, want) {
		t.Errorf("Keys returned %d keys; want the %d stored", len(got), len(want))
	}
}

func TestTwoDriversShareDir(t *testing.T) {
	dir := t.TempDir()
	d1 := newTestDriver(t, Config{Dir: dir})
	d2 := newTestDriver(t, Config{Dir: dir})
	ctx := t.Context()
	if err := d1.Set(ctx, "a", []byte("from d1"), 0); err != nil {
		t.Fatal(err)
	}
	if v, err := d2.Get(ctx, "a"); err != nil || string(v) != "from d1" {
		t.Fatalf("d2.Get = %q, %v", v, err)
	}
	if err := d2.SetMulti(ctx, map[string][]byte{"b": []byte("B"), "c": []byte("C")}, time.Hour); err != nil {
		t.Fatal(err)
	}
	m, err := driver.GetMulti(ctx, d1, []string{"a", "b", "c", "d"})
	if err != nil || len(m) != 3 || string(m["b"]) != "B" {
		t.Fatalf("d1.GetMulti = %q, %v", m, err)
	}
	if err := d2.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if _, err := d1.Get(ctx, "a"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("d1.Get after d2.Delete: %v; want ErrNotFound", err)
	}
	// The lock is shared too.
	m1 := d1.Mutex("a")
	if ok, _ := m1.TryLock(ctx); !ok {
		t.Fatal("d1 TryLock failed")
	}
	if ok, _ := d2.Mutex("a").TryLock(ctx); ok {
		t.Fatal("d2 got a lock d1 holds")
	}
	_ = m1.Unlock(ctx)
}

// TestCorruptEntriesAreMisses damages entry files in every way and checks
// that reads miss quietly.
func TestCorruptEntriesAreMisses(t *testing.T) {
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelInfo}))
	d := newTestDriver(t, Config{CleanupInterval: -1, Logger: logger})
	ctx := t.Context()
	value := bytes.Repeat([]byte("0123456789"), 100)
	for _, tc := range []struct {
		name    string
		damage  func(b []byte) []byte
		cleaned bool // removed by Cleanup
	}{
		{"Empty", func([]byte) []byte { return nil }, true},
		{"ShortHeader", func(b []byte) []byte { return b[:10] }, true},
		{"HeaderOnly", func(b []byte) []byte { return b[:headerLen] }, true},
		{"TruncatedValue", func(b []byte) []byte { return b[:len(b)/2] }, true},
		{"LastByteMissing", func(b []byte) []byte { return b[:len(b)-1] }, true},
		{"ExtraByte", func(b []byte) []byte { return append(b, 0) }, true},
		{"FlippedValueByte", func(b []byte) []byte { b[len(b)-3] ^= 1; return b }, false},
		{"FlippedKeyByte", func(b []byte) []byte { b[headerLen] ^= 1; return b }, false},
		{"FlippedExpiry", func(b []byte) []byte { b[9] ^= 1; return b }, true}, // now in the past
		{"HugeValueLength", func(b []byte) []byte {
			copy(b[20:28], []byte{0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
			return b
		}, true},
		{"HugeKeyLength", func(b []byte) []byte { copy(b[16:20], []byte{0xff, 0xff, 0xff, 0xff}); return b }, true},
		{"BadMagic", func(b []byte) []byte { b[0] = 'X'; return b }, true},
		{"ReservedSet", func(b []byte) []byte { b[6] = 1; return b }, true},
		{"Garbage", func([]byte) []byte { return bytes.Repeat([]byte{0xAB}, 5000) }, true},
		{"NewerVersion", func(b []byte) []byte { b[4] = formatVersion + 1; return b }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := "key-" + tc.name
			if err := d.Set(ctx, key, value, 0); err != nil {
				t.Fatal(err)
			}
			_, path := d.entryPath(key)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, tc.damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			if v, err := d.Get(ctx, key); !errors.Is(err, region.ErrNotFound) {
				t.Fatalf("Get of a damaged entry = %d bytes, %v; want ErrNotFound", len(v), err)
			}
			if m, err := driver.GetMulti(ctx, d, []string{key}); err != nil || len(m) != 0 {
				t.Fatalf("GetMulti of a damaged entry = %d items, %v; want none and no error", len(m), err)
			}
			if keys, err := d.Keys(ctx); err != nil || slices.Contains(keys, key) && tc.cleaned {
				t.Fatalf("Keys = %q, %v; want no damaged key", keys, err)
			}
			n, err := d.Cleanup(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(path)
			if gone := errors.Is(statErr, fs.ErrNotExist); gone != tc.cleaned || (n == 1) != tc.cleaned {
				t.Fatalf("after Cleanup (removed %d) file gone = %v; want %v", n, gone, tc.cleaned)
			}
			// A new Set replaces a damaged file.
			if err := d.Set(ctx, key, value, 0); err != nil {
				t.Fatal(err)
			}
			if v, err := d.Get(ctx, key); err != nil || !bytes.Equal(v, value) {
				t.Fatalf("Get after rewriting = %d bytes, %v", len(v), err)
			}
		})
	}
	if logged.Len() > 0 {
		t.Errorf("damaged entries were logged above debug level:\n%s", logged.String())
	}
}

func TestTTL(t *testing.T) {
	clock := testclock.New(time.Unix(1_700_000_000, 0))
	d := newTestDriver(t, Config{CleanupInterval: -1})
	d.now = clock.Now
	ctx := t.Context()
	if err := d.Set(ctx, "short", []byte("s"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := d.SetMulti(ctx, map[string][]byte{"forever": []byte("f"), "forever2": []byte("g")}, 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "huge", []byte("h"), time.Duration(math.MaxInt64)); err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "neg", []byte("n"), -time.Second); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("Set with a negative ttl: %v; want ErrInvalidArgument", err)
	}
	clock.Advance(time.Minute - time.Nanosecond)
	if v, err := d.Get(ctx, "short"); err != nil || string(v) != "s" {
		t.Fatalf("Get just before expiry = %q, %v", v, err)
	}
	clock.Advance(time.Nanosecond)
	if _, err := d.Get(ctx, "short"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get at expiry: %v; want ErrNotFound", err)
	}
	keys, err := d.Keys(ctx)
	if err != nil || !slices.Equal(keys, []string{"forever", "forever2", "huge"}) {
		t.Fatalf("Keys = %q, %v", keys, err)
	}
	n, err := d.Cleanup(ctx)
	if err != nil || n != 1 {
		t.Fatalf("Cleanup = %d, %v; want 1 removed", n, err)
	}
	_, path := d.entryPath("short")
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("expired entry still on disk after Cleanup: %v", err)
	}
	for _, k := range []string{"forever", "huge"} {
		if _, err := d.Get(ctx, k); err != nil {
			t.Fatalf("Get(%q) after Cleanup: %v", k, err)
		}
	}
}

func TestCleanupTempAndLockFiles(t *testing.T) {
	d := newTestDriver(t, Config{CleanupInterval: -1})
	ctx := t.Context()
	fan := filepath.Join(d.dataDir, "ab")
	if err := os.MkdirAll(fan, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-2 * staleTempAge)
	mk := func(path string, mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(path, []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	dead := filepath.Join(fan, tempPrefix+"dead")
	young := filepath.Join(fan, tempPrefix+"young")
	live := filepath.Join(fan, tempPrefix+"live")
	mk(dead, old)
	mk(young, time.Now())
	mk(live, old)
	lf, err := os.Open(live) // a writer that is still alive holds its flock
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if ok, err := flock.TryLock(lf); !ok || err != nil {
		t.Fatalf("flock: %v %v", ok, err)
	}

	orphan := filepath.Join(d.lockDir, name("orphan"))
	mk(orphan, time.Now())
	held := d.Mutex("held")
	if ok, err := held.TryLock(ctx); !ok || err != nil {
		t.Fatal("TryLock", ok, err)
	}
	stranger := filepath.Join(d.lockDir, "not-a-lock")
	mk(stranger, old)

	n, err := d.Cleanup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("Cleanup removed %d files; want 2 (dead temp, orphan lock)", n)
	}
	for path, want := range map[string]bool{dead: false, young: true, live: true, orphan: false, stranger: true,
		filepath.Join(d.lockDir, name("held")): true} {
		_, err := os.Stat(path)
		if exists := err == nil; exists != want {
			t.Errorf("%s exists = %v; want %v", filepath.Base(path), exists, want)
		}
	}
	if ok, _ := d.Mutex("held").TryLock(ctx); ok {
		t.Fatal("a held lock was free after Cleanup")
	}
	if err := held.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(d.lockDir, name("held"))); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Unlock left the lock file: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Cleanup(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Cleanup with a cancelled context: %v; want context.Canceled", err)
	}
}

func TestBackgroundCleanup(t *testing.T) {
	clock := testclock.New(time.Now())
	d, err := newDriver(Config{Dir: t.TempDir(), CleanupInterval: 5 * time.Millisecond}, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if err := d.Set(ctx, "k", []byte("v"), time.Second); err != nil {
		t.Fatal(err)
	}
	_, path := d.entryPath("k")
	clock.Advance(time.Hour)
	testwait.Until(t, 10*time.Second, "the background cleanup to remove an expired entry", func() bool {
		_, err := os.Stat(path)
		return errors.Is(err, fs.ErrNotExist)
	})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	// Still usable after Close.
	if err := d.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatalf("Set after Close: %v", err)
	}
}

func TestMutexDetails(t *testing.T) {
	ctx := t.Context()
	for _, tc := range []struct {
		name string
		c    Config
	}{{"Flock", Config{}}, {"Local", Config{DisableDistributedLock: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			tc.c.LockTimeout = 30 * time.Millisecond
			tc.c.CleanupInterval = -1
			d := newTestDriver(t, tc.c)
			m1, m2 := d.Mutex("k"), d.Mutex("k")
			locked := func(want bool) {
				t.Helper()
				for _, m := range []driver.Mutex{m1, m2} {
					got, err := m.(interface {
						Locked(context.Context) (bool, error)
					}).Locked(ctx)
					if err != nil || got != want {
						t.Fatalf("Locked = %v, %v; want %v", got, err, want)
					}
				}
			}
			locked(false)
			if err := m1.Unlock(ctx); err == nil {
				t.Error("Unlock of a mutex not held succeeded")
			}
			if ok, err := m1.TryLock(ctx); !ok || err != nil {
				t.Fatal(ok, err)
			}
			if ok, err := m1.TryLock(ctx); ok || err != nil {
				t.Errorf("second TryLock on the holding value = %v, %v; want false, nil (the lock is not free)", ok, err)
			}
			locked(true)
			start := time.Now()
			err := m2.Lock(ctx)
			if !errors.Is(err, ErrLockTimeout) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Lock past lock_timeout = %v; want ErrLockTimeout", err)
			}
			if el := time.Since(start); el < 25*time.Millisecond {
				t.Errorf("Lock gave up after %v, before lock_timeout", el)
			}
			if err := m1.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
			if err := m2.Lock(ctx); err != nil {
				t.Fatalf("Lock of a free lock: %v", err)
			}
			if err := m2.Unlock(ctx); err != nil {
				t.Fatal(err)
			}
			locked(false)
			if tc.c.DisableDistributedLock && len(d.local.m) != 0 {
				t.Errorf("local lock table keeps %d entries after every unlock", len(d.local.m))
			}
		})
	}
}

func TestRegionConformance(t *testing.T) {
	opts := regiontest.RegionOptions{SharedStore: true}
	t.Run("DistributedLock", func(t *testing.T) {
		regiontest.RunRegionWith(t, opts, "file", map[string]any{"dir": t.TempDir()})
	})
	t.Run("LocalLockNoSync", func(t *testing.T) {
		regiontest.RunRegionWith(t, opts, "file", map[string]any{
			"dir": t.TempDir(), "distributed_lock": false, "sync": false, "cleanup_interval": 0,
		})
	})
}
