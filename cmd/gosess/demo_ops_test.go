package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosess/gosess/internal/testlog"
	"github.com/gosess/gosess/internal/testserver"
)

// openDemoArgs builds the demo app from command-line flags, as cmdDemo
// does, logging to the returned buffer.
func openDemoArgs(t *testing.T, args ...string) (*demoApp, *testlog.Buffer) {
	t.Helper()
	var logs testlog.Buffer
	fs := newFlags("demo", "demo", &logs)
	var s storeFlags
	s.register(fs)
	var df demoFlags
	df.register(fs)
	if err := parse(fs, args); err != nil {
		t.Fatal(err)
	}
	app, closeApp, err := openDemo(&s, &df, s.logger(&logs))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(closeApp)
	return app, &logs
}

// With -config the session layer logs through the demo's logger, and -v
// shows its debug lines (why a cookie was refused).
func TestDemoConfigFileLogsThroughTheDemoLogger(t *testing.T) {
	cfg := writeConfig(t, `
[regions.app]
driver = "memory"
expiration = "5m"
[regions.app.arguments]
life_window = "1h"

[sessions.web]
backend = "dogpile"
region = "app"
key_prefix = "s:"
signature_key = "0123456789abcdef0123456789abcdef-test-key"
max_age = "30m"
`)
	for _, verbose := range []bool{false, true} {
		args := []string{"-config", cfg}
		if verbose {
			args = append(args, "-v")
		}
		app, logs := openDemoArgs(t, args...)
		if app.sessionPrefix != "s:" {
			t.Errorf("session prefix %q, want the config's key_prefix", app.sessionPrefix)
		}
		req, _ := http.NewRequest("GET", serveDemo(t, app).URL+"/", nil)
		req.Header.Set("Cookie", "session=forged-value")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		debug := strings.Contains(logs.String(), `level=DEBUG msg="session: new session" reason="cookie refused`)
		if debug != verbose {
			t.Errorf("-v %v: session debug line logged: %v\n%s", verbose, debug, logs.String())
		}
		if app.maker.Stats().Rejected["malformed"] != 1 {
			t.Errorf("rejected %v", app.maker.Stats().Rejected)
		}
	}
}

// /healthz pings the region's store and the sessions' backend: 503 with
// the failing check when the server is down.
func TestDemoHealthzOnRedis(t *testing.T) {
	rs := testserver.Redis(t)
	app, _ := openDemoArgs(t, "-driver", "redis", "-arg", "url=redis://"+rs.Addr, "-arg", "dial_timeout=200ms",
		"-secret-file", filepath.Join(t.TempDir(), "secret"))
	srv := serveDemo(t, app)
	get := func() (int, string) {
		resp, err := http.Get(srv.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := get(); code != http.StatusOK || !strings.Contains(body, "region app (driver redis): ok") || !strings.Contains(body, "sessions web (backend dogpile): ok") {
		t.Errorf("server up: %d %q", code, body)
	}
	if err := app.checkAtStartup(context.Background()); err != nil {
		t.Errorf("start-up check with the server up: %v", err)
	}
	rs.Kill()
	code, body := get()
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "unavailable\n") || strings.Count(body, "FAIL") != 2 {
		t.Errorf("server down: %d %q", code, body)
	}
}

// The demo refuses to start on an unreachable store, with a clear error
// and exit code 1, unless -check=false.
func TestDemoStartupCheck(t *testing.T) {
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("url=redis://127.0.0.1:%d", port)
	code, _, errs := runCLI(t, "demo", "-addr", "127.0.0.1:0", "-driver", "redis", "-arg", url, "-arg", "dial_timeout=200ms",
		"-secret-file", filepath.Join(t.TempDir(), "secret"))
	if code != exitFailure || !strings.Contains(errs, "start-up check failed") || !strings.Contains(errs, `region app (driver redis)`) ||
		!strings.Contains(errs, "-check=false") {
		t.Fatalf("code %d, stderr %s", code, errs)
	}
}

// The value that overflowed in config files is refused as a flag too.
func TestOverflowingDurationFlag(t *testing.T) {
	for _, v := range []string{"18446744074s", "18446744074"} {
		if code, _, errs := runCLI(t, "region", "get", "k", "-expiration", v); code != exitUsage || !strings.Contains(errs, "expiration") {
			t.Errorf("-expiration %s: code %d, %s", v, code, errs)
		}
	}
}

// Without -secret-file the demo signs with a key of its own process,
// which the session layer refuses for a store other processes share: the
// demo says which flag fixes it. -secret-file with a maker from -config
// is a usage error.
func TestDemoRefusesAPerProcessKeyOnASharedStore(t *testing.T) {
	rs := testserver.Redis(t)
	code, _, errs := runCLI(t, "demo", "-addr", "127.0.0.1:0", "-driver", "redis", "-arg", "url=redis://"+rs.Addr)
	if code != exitFailure || !strings.Contains(errs, "other processes") || !strings.Contains(errs, "-secret-file") {
		t.Fatalf("code %d, stderr %s", code, errs)
	}
	cfg := writeConfig(t, "[regions.app]\ndriver = \"memory\"\n[sessions.web]\nbackend = \"dogpile\"\nregion = \"app\"\nephemeral_key = true\n")
	code, _, errs = runCLI(t, "demo", "-addr", "127.0.0.1:0", "-config", cfg, "-secret-file", "x")
	if code != exitUsage || !strings.Contains(errs, "-secret-file applies only") {
		t.Fatalf("code %d, stderr %s", code, errs)
	}
}
