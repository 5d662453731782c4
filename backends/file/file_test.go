package file_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/backends/file"
	"github.com/gosess/gosess/internal/testchild"
	"github.com/gosess/gosess/internal/testclock"
	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

func TestMain(m *testing.M) { testchild.Main(m, "GOSESS_FILE_HELPER_DIR", helperProcess) }

var (
	ctx = context.Background()
	key = bytes.Repeat([]byte("k"), 32)
)

func sessionDir(t *testing.T) string { return filepath.Join(t.TempDir(), "sessions") }

func TestContract(t *testing.T) {
	b, err := file.Open(sessionDir(t), file.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sessiontest.Backend(t, b)
}

func TestPermissions(t *testing.T) {
	dir := sessionDir(t)
	b, err := file.Open(dir, file.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %#o", fi.Mode().Perm())
	}
	if err := b.Save(ctx, "abc", session.Record{Version: 1, Data: []byte("x")}, nil, 0); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if fi, _ := e.Info(); e.Type().IsRegular() && fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %#o", e.Name(), fi.Mode().Perm())
		}
	}
	if !slices.Equal(names, []string{".locks", "abc.session"}) {
		t.Errorf("directory holds %v (temporary files left?)", names)
	}
	open := t.TempDir()
	os.Chmod(open, 0o755)
	if _, err := file.Open(open, file.Options{}); !errors.Is(err, file.ErrDirPerm) || !strings.Contains(err.Error(), "chmod 700") {
		t.Errorf("0755 dir: %v", err)
	}
	f := filepath.Join(t.TempDir(), "f")
	os.WriteFile(f, nil, 0o600)
	if _, err := file.Open(f, file.Options{}); err == nil {
		t.Error("a file accepted as directory")
	}
}

// No id can name a path outside the directory.
func TestPathEscape(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "sessions")
	b, err := file.Open(dir, file.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"../escape", "a/b", "..", "", "/etc/passwd", "x\x00y", `a\b`, "a.b"} {
		if err := b.Save(ctx, id, session.Record{Version: 1}, nil, 0); !errors.Is(err, file.ErrInvalidID) {
			t.Errorf("Save(%q) = %v", id, err)
		}
		if _, err := b.Load(ctx, id); !errors.Is(err, file.ErrInvalidID) {
			t.Errorf("Load(%q) = %v", id, err)
		}
		if err := b.Delete(ctx, id, nil); !errors.Is(err, file.ErrInvalidID) {
			t.Errorf("Delete(%q) = %v", id, err)
		}
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Errorf("files outside the directory: %v", entries)
	}
}

func TestCleanup(t *testing.T) {
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	dir := sessionDir(t)
	b, err := file.Open(dir, file.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	save := func(id string, exp time.Time) {
		t.Helper()
		if err := b.Save(ctx, id, session.Record{Version: 1, Expires: exp, Data: []byte(id)}, nil, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		save(fmt.Sprintf("old%d", i), now.Add(time.Duration(i+1)*time.Minute))
	}
	save("alive", now.Add(time.Hour))
	save("forever", time.Time{})
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a session"), 0o600)
	stale := filepath.Join(dir, ".tmp-crashed")
	os.WriteFile(stale, []byte("half"), 0o600)
	os.Chtimes(stale, now.Add(-2*time.Hour), now.Add(-2*time.Hour))
	fresh := filepath.Join(dir, ".tmp-inflight")
	os.WriteFile(fresh, []byte("half"), 0o600)
	os.Chtimes(fresh, now, now)

	ids := map[string]bool{}
	for id, err := range b.IDs(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		ids[id] = true
	}
	if len(ids) != 7 {
		t.Errorf("IDs = %v", ids)
	}

	now = now.Add(3*time.Minute + time.Second) // old0..old2 expired
	var calls, lastScanned, lastRemoved int
	n, err := b.CleanupProgress(ctx, func(scanned, removed int) { calls, lastScanned, lastRemoved = calls+1, scanned, removed })
	if err != nil || n != 3 {
		t.Fatalf("Cleanup = %d, %v", n, err)
	}
	if calls != 7 || lastScanned != 7 || lastRemoved != 3 {
		t.Errorf("progress: %d calls, last %d/%d", calls, lastScanned, lastRemoved)
	}
	for _, id := range []string{"old3", "old4", "alive", "forever"} {
		if ok, _ := b.Exists(ctx, id); !ok {
			t.Errorf("%s removed", id)
		}
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("stale temporary file kept")
	}
	for _, keep := range []string{fresh, filepath.Join(dir, "README")} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s removed", keep)
		}
	}
	now = now.Add(24 * time.Hour)
	if n, err := b.Cleanup(ctx); err != nil || n != 3 {
		t.Errorf("second Cleanup = %d, %v", n, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := b.Cleanup(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled Cleanup: %v", err)
	}
}

func TestMakerCleanup(t *testing.T) {
	clock := testclock.New(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	m := session.NewMaker(session.WithClock(clock.Now))
	if err := m.Configure(session.Settings{"backend": "file", "dir": sessionDir(t), "signature_key": key, "max_age": "10m"}); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		sessiontest.SaveNew(t, m, map[string]any{"k": 1})
	}
	clock.Advance(11 * time.Minute)
	if n, err := m.Cleanup(ctx); err != nil || n != 3 {
		t.Errorf("Maker.Cleanup = %d, %v", n, err)
	}
}

func TestFactorySettings(t *testing.T) {
	for name, s := range map[string]session.Settings{"missing dir": {}, "bad type": {"dir": 3}} {
		s["backend"], s["signature_key"] = "file", key
		if err := session.NewMaker().Configure(s); !errors.Is(err, session.ErrInvalidSetting) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Writers in several processes (and goroutines) increment one counter
// with load-modify-save, retrying on ErrConflict: no increment is lost,
// which needs the flock to work across processes.
func TestCrossProcessWriters(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	dir := sessionDir(t)
	m := helperMaker(dir)
	_, c := sessiontest.SaveNew(t, m, map[string]any{"n": 0})
	const procs, each = 2, 15
	var cmds []*exec.Cmd
	for range procs {
		cmd := testchild.Command("GOSESS_FILE_HELPER_DIR", dir, "GOSESS_FILE_HELPER_COOKIE="+c.String(),
			"GOSESS_FILE_HELPER_N="+strconv.Itoa(each))
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	if err := increment(m, c.String(), each); err != nil {
		t.Error(err)
	}
	for _, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper: %v", err)
		}
	}
	back, err := m.Load(ctx, c.String())
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := session.GetAs[int](back, "n"); n != (procs+1)*each {
		t.Errorf("counter %d, want %d", n, (procs+1)*each)
	}
}

func helperMaker(dir string) *session.Maker {
	m := session.NewMaker()
	if err := m.Configure(session.Settings{"backend": "file", "dir": dir, "signature_key": key}); err != nil {
		panic(err)
	}
	return m
}

// helperProcess is a child (testchild.Main): it adds 1 to the counter of
// the session in dir GOSESS_FILE_HELPER_N times.
func helperProcess(dir string) error {
	n, _ := strconv.Atoi(os.Getenv("GOSESS_FILE_HELPER_N"))
	return increment(helperMaker(dir), os.Getenv("GOSESS_FILE_HELPER_COOKIE"), n)
}

func increment(m *session.Maker, cookie string, times int) error {
	_, err := sessiontest.Increment(ctx, m, cookie, "n", times)
	return err
}

func TestSyncSetting(t *testing.T) {
	for _, v := range []any{false, "false", true} {
		m := session.NewMaker()
		if err := m.Configure(session.Settings{"backend": "file", "dir": sessionDir(t), "signature_key": key, "sync": v}); err != nil {
			t.Fatal(err)
		}
		_, c := sessiontest.SaveNew(t, m, map[string]any{"k": 1})
		if back, _ := m.Load(ctx, c.String()); back.IsNew() {
			t.Errorf("sync=%v: not stored", v)
		}
	}
	if err := session.NewMaker().Configure(session.Settings{"backend": "file", "dir": sessionDir(t), "signature_key": key, "sync": "maybe"}); !errors.Is(err, session.ErrInvalidSetting) {
		t.Errorf("sync=maybe: %v", err)
	}
}

func TestLockSleepSetting(t *testing.T) {
	for _, v := range []any{"5ms", 0.01, time.Millisecond} {
		if err := session.NewMaker().Configure(session.Settings{"backend": "file", "dir": sessionDir(t), "signature_key": key, "lock_sleep": v}); err != nil {
			t.Errorf("lock_sleep=%v: %v", v, err)
		}
	}
	for _, v := range []any{"0s", "-1s", "soon"} {
		if err := session.NewMaker().Configure(session.Settings{"backend": "file", "dir": sessionDir(t), "signature_key": key, "lock_sleep": v}); !errors.Is(err, session.ErrInvalidSetting) {
			t.Errorf("lock_sleep=%v: %v", v, err)
		}
	}
}

// A lock file that cannot be opened is a lock failure: the error wraps
// session.ErrLock, nothing is written, and the Maker counts it.
func TestLockFailure(t *testing.T) {
	dir := sessionDir(t)
	m := session.NewMaker()
	if err := m.Configure(session.Settings{"backend": "file", "dir": dir, "signature_key": key}); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, ".locks")); err != nil {
		t.Fatal(err)
	}
	writeLocks := func(data string) {
		if err := os.WriteFile(filepath.Join(dir, ".locks"), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	writeLocks("not a directory")
	s, _ := m.New(ctx)
	s.Set("k", 1)
	if _, err := s.Save(ctx); !errors.Is(err, session.ErrLock) {
		t.Fatalf("Save with a broken lock directory = %v, want ErrLock", err)
	}
	if st := m.Stats(); st.LockErrors != 1 || st.SaveErrors != 1 {
		t.Errorf("stats: %d lock errors, %d save errors; want 1, 1", st.LockErrors, st.SaveErrors)
	}
	if names, _ := filepath.Glob(filepath.Join(dir, "*.session")); len(names) != 0 {
		t.Errorf("written without the lock: %v", names)
	}
}
