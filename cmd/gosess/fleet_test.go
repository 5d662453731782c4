package main

// The fleet test: two demo instances, real processes (this test binary
// re-executed as `gosess demo`), share one redis or memcached server and
// one secret file, and users' requests go to either at random. Sessions
// must move between them without losing an update.

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testserver"
)

// envCommandChild, set to 1, makes this test binary the gosess command:
// it runs its arguments as the command's instead of the tests.
const envCommandChild = "GOSESS_TEST_COMMAND"

func TestMain(m *testing.M) {
	if os.Getenv(envCommandChild) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// startDemoProcess runs `gosess demo -addr 127.0.0.1:0 args...` in a
// child process (this test binary as the command) and returns once it
// listens; it is interrupted (and waited for) when the test ends.
func startDemoProcess(t *testing.T, args ...string) *testserver.Demo {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, append([]string{"demo", "-addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), envCommandChild+"=1")
	return testserver.StartDemo(t, cmd)
}

// fleetFigures are what a run of users against the instances measured.
type fleetFigures struct {
	requests int // HTTP requests sent
	moved    int // requests served by another instance than the user's previous one
	lost     int // counter increments missing at the end
	failed   int // responses other than the expected redirect, final pages without the user's name
}

// driveFleet has users log in and press "+1" clicks times each, every
// request going to one of the instances at random (one user's requests in
// turn, the users at once), then reads every user's counter.
func driveFleet(t *testing.T, instances []*testserver.Demo, users, clicks int) fleetFigures {
	t.Helper()
	var (
		mu  sync.Mutex
		fig fleetFigures
		wg  sync.WaitGroup
	)
	countRe := regexp.MustCompile(`<b id="count">(\d+)</b>`)
	for u := range users {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(u), 11))
			jar, _ := cookiejar.New(nil) // cookies are host-only: 127.0.0.1, whatever the port
			c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			defer c.CloseIdleConnections()
			var f fleetFigures
			prev := -1
			pick := func() string {
				i := rng.IntN(len(instances))
				if prev >= 0 && i != prev {
					f.moved++
				}
				prev = i
				f.requests++
				return instances[i].URL
			}
			post := func(path string, form url.Values) {
				resp, err := c.PostForm(pick()+path, form)
				if err != nil {
					t.Error(err)
					f.failed++
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusSeeOther {
					f.failed++
				}
			}
			name := fmt.Sprintf("user%d", u)
			post("/login", url.Values{"name": {name}})
			for range clicks {
				post("/count", nil)
			}
			resp, err := c.Get(pick() + "/")
			count := 0
			if err == nil {
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if m := countRe.FindSubmatch(body); m != nil {
					count, _ = strconv.Atoi(string(m[1]))
				}
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `<b id="user">`+name+`</b>`) {
					f.failed++ // not the user's session any more
				}
			} else {
				f.failed++
			}
			f.lost = clicks - count
			mu.Lock()
			fig.requests += f.requests
			fig.moved += f.moved
			fig.lost += f.lost
			fig.failed += f.failed
			mu.Unlock()
		})
	}
	wg.Wait()
	return fig
}

// The fleet test of issue 11: two demo instances on one redis (or
// memcached) server with one secret file. Every session moves between
// them and no update is lost. The control run gives each instance a
// secret file of its own, the failure a per-process key causes: then
// updates are lost, and the test sees it.
func TestFleetSharesSessions(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes and servers")
	}
	const users, clicks = 24, 25
	for _, driver := range []string{"redis", "memcached"} {
		t.Run(driver, func(t *testing.T) {
			var arg string
			if driver == "redis" {
				arg = "url=redis://" + testserver.Redis(t).Addr
			} else {
				arg = "url=" + testserver.Memcached(t).Addr
			}
			dir := t.TempDir()
			secret := filepath.Join(dir, "secret")
			// Both start at once: one creates the secret file, the other
			// reads it (the creation race is settled by a hard link).
			instances := make([]*testserver.Demo, 2)
			var wg sync.WaitGroup
			for i := range instances {
				wg.Go(func() { instances[i] = startDemoProcess(t, "-driver", driver, "-arg", arg, "-secret-file", secret) })
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			fig := driveFleet(t, instances, users, clicks)
			// (The children's stderr is copied by goroutines of exec: read
			// it once the traffic is done.)
			created := 0
			for _, p := range instances {
				created += strings.Count(p.Stderr.String(), "created a new secret file")
			}
			if created != 1 {
				t.Errorf("%d instances created the secret file, want 1", created)
			}
			t.Logf("fleet on %s, shared secret file: %d users, %d requests, %d sessions moved between the instances, %d updates lost, %d failed responses",
				driver, users, fig.requests, fig.moved, fig.lost, fig.failed)
			if fig.lost != 0 || fig.failed != 0 || fig.moved < users*clicks/4 {
				t.Errorf("shared secret: %+v", fig)
			}

			// Control: a secret file per instance splits the fleet.
			control := []*testserver.Demo{
				startDemoProcess(t, "-driver", driver, "-arg", arg, "-secret-file", filepath.Join(dir, "a")),
				startDemoProcess(t, "-driver", driver, "-arg", arg, "-secret-file", filepath.Join(dir, "b")),
			}
			fig = driveFleet(t, control, users/4, clicks)
			t.Logf("control on %s, a secret file per instance: %d requests, %d updates lost of %d, %d of %d users logged out",
				driver, fig.requests, fig.lost, users/4*clicks, fig.failed, users/4)
			if fig.lost == 0 {
				t.Errorf("control: instances with different keys lost no update: the test cannot see a split fleet (%+v)", fig)
			}
		})
	}
}
