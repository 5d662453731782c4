package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

// writeConfig writes a configuration file and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "gosess.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestUsageAndExitCodes(t *testing.T) {
	if code, _, errs := runCLI(t); code != exitUsage || !strings.Contains(errs, "Usage") {
		t.Fatal(code, errs)
	}
	if code, _, errs := runCLI(t, "frobnicate"); code != exitUsage || !strings.Contains(errs, "unknown command") {
		t.Fatal(code, errs)
	}
	if code, out, _ := runCLI(t, "help"); code != exitOK || !strings.Contains(out, "gosess demo") {
		t.Fatal(code)
	}
	for _, cmd := range [][]string{{"demo", "-h"}, {"keygen", "-h"}, {"region", "get", "-h"}, {"bench", "-h"}, {"sessions", "gc", "-h"}} {
		if code, _, errs := runCLI(t, cmd...); code != exitOK || !strings.Contains(errs, "Usage: gosess") {
			t.Errorf("%v: code %d, stderr %q", cmd, code, errs)
		}
	}
	if code, _, errs := runCLI(t, "region", "get"); code != exitUsage || !strings.Contains(errs, "argument") {
		t.Fatal(code, errs)
	}
	if code, _, errs := runCLI(t, "region", "get", "k", "-driver", "nosuch"); code != exitUsage || !strings.Contains(errs, "nosuch") {
		t.Fatal(code, errs)
	}
	if code, _, errs := runCLI(t, "region", "get", "k", "-arg", "bogus=1"); code != exitUsage || !strings.Contains(errs, "bogus") {
		t.Fatal(code, errs)
	}
}

func TestKeygen(t *testing.T) {
	p := filepath.Join(t.TempDir(), "secret")
	if code, out, errs := runCLI(t, "keygen", p); code != exitOK || !strings.Contains(out, "wrote") {
		t.Fatal(code, out, errs)
	}
	st, err := os.Stat(p)
	if err != nil || st.Mode().Perm() != 0o600 || st.Size() < 32 {
		t.Fatal(st, err)
	}
	if code, _, _ := runCLI(t, "keygen", p); code != exitFailure {
		t.Fatal("overwrote without -force")
	}
	if code, _, _ := runCLI(t, "keygen", "-force", p); code != exitOK {
		t.Fatal("-force failed")
	}
}

func TestRegionCommandsOnFileDriver(t *testing.T) {
	dir := t.TempDir()
	cfg := writeConfig(t, `
[regions.app]
driver = "file"
expiration = "1h"
invalidation = "shared"
[regions.app.arguments]
dir = "`+filepath.Join(dir, "cache")+`"
`)
	if code, _, errs := runCLI(t, "region", "set", "greeting", "hello", "-config", cfg); code != exitOK {
		t.Fatal(code, errs)
	}
	code, out, errs := runCLI(t, "region", "get", "-config", cfg, "greeting")
	if code != exitOK || out != "hello\n" || !strings.Contains(errs, "created") {
		t.Fatal(code, out, errs)
	}
	if code, _, _ := runCLI(t, "region", "get", "missing", "-config", cfg); code != exitNotFound {
		t.Fatal("missing key exit code", code)
	}
	if code, _, errs := runCLI(t, "region", "invalidate", "-config", cfg); code != exitOK {
		t.Fatal(code, errs)
	}
	if code, _, _ := runCLI(t, "region", "get", "greeting", "-config", cfg); code != exitNotFound {
		t.Fatal("shared invalidation not seen by the next process", code)
	}
	runCLI(t, "region", "set", "greeting", "again", "-config", cfg)
	if code, _, _ := runCLI(t, "region", "delete", "greeting", "-config", cfg); code != exitOK {
		t.Fatal(code)
	}
	if code, _, _ := runCLI(t, "region", "get", "greeting", "-config", cfg); code != exitNotFound {
		t.Fatal("delete did not delete")
	}
}

func TestBenchCommand(t *testing.T) {
	code, out, errs := runCLI(t, "bench", "-n", "500", "-workers", "4")
	if code != exitOK || !strings.Contains(out, "get_or_create (hit)") || !strings.Contains(out, "creator ran 1 time(s)") {
		t.Fatal(code, out, errs)
	}
}

func TestSessionsGC(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sessions")
	ctx := context.Background()
	// Sessions saved an hour ago with a one-minute max age are expired now;
	// one saved with the real clock is not.
	past := session.NewMaker(session.WithClock(func() time.Time { return time.Now().Add(-time.Hour) }))
	now := session.NewMaker()
	for _, m := range []*session.Maker{past, now} {
		if err := m.Configure(session.Settings{"backend": "file", "dir": dir, "max_age": time.Minute,
			"signature_key": make([]byte, 32)}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		sessiontest.SaveNew(t, past, map[string]any{"k": 1})
	}
	_, c := sessiontest.SaveNew(t, now, map[string]any{"k": 1})
	code, out, errs := runCLI(t, "sessions", "gc", "-dir", dir)
	if code != exitOK || !strings.Contains(out, "removed 3 expired sessions") {
		t.Fatal(code, out, errs)
	}
	if back, _ := now.Load(ctx, c.String()); back.IsNew() {
		t.Fatal("gc removed a live session")
	}
	if code, _, _ := runCLI(t, "sessions", "gc"); code != exitUsage {
		t.Fatal(code)
	}
}
