package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

func newDemo(t *testing.T) (*httptest.Server, *demoApp) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	r := region.New("app")
	if err := r.Configure("memory", region.Config{Expiration: 5 * time.Minute, Arguments: map[string]any{"life_window": "1h"}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	m, err := defaultMaker(r, log)
	if err != nil {
		t.Fatal(err)
	}
	app := &demoApp{region: r, maker: m, log: log, reportCost: 50 * time.Millisecond, reportTTL: time.Minute, now: time.Now}
	srv := httptest.NewServer(app.handler())
	t.Cleanup(srv.Close)
	return srv, app
}

func client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar}
}

// pages reads responses for a test: pages{t}.body(c.Get(url)).
type reader struct{ t *testing.T }

func (p reader) body(resp *http.Response, err error) string {
	t := p.t
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: status %d: %s", resp.Request.URL, resp.StatusCode, b)
	}
	return string(b)
}

func TestDemoLoginCounterLogout(t *testing.T) {
	srv, _ := newDemo(t)
	c := client(t)
	home := (reader{t}).body(c.Get(srv.URL + "/"))
	if !strings.Contains(home, `name="name"`) {
		t.Fatal("login form missing")
	}
	page := (reader{t}).body(c.PostForm(srv.URL+"/login", url.Values{"name": {"Ann"}}))
	if !strings.Contains(page, `<b id="user">Ann</b>`) || !strings.Contains(page, "Welcome, Ann.") {
		t.Fatalf("after login: %s", page)
	}
	u, _ := url.Parse(srv.URL)
	before := c.Jar.Cookies(u)[0].Value
	for range 3 {
		page = (reader{t}).body(c.PostForm(srv.URL+"/count", nil))
	}
	if !strings.Contains(page, `<b id="count">3</b>`) {
		t.Fatalf("counter: %s", page)
	}
	if strings.Contains(page, "Welcome") {
		t.Fatal("flash shown twice")
	}
	// Another browser has its own session.
	other := (reader{t}).body(client(t).Get(srv.URL + "/"))
	if strings.Contains(other, "Ann") || !strings.Contains(other, `<b id="count">0</b>`) {
		t.Fatal("sessions leak between clients")
	}
	page = (reader{t}).body(c.PostForm(srv.URL+"/logout", nil))
	if strings.Contains(page, `id="user"`) || !strings.Contains(page, "logged out") || !strings.Contains(page, `<b id="count">0</b>`) {
		t.Fatalf("after logout: %s", page)
	}
	// The cookie from before logout no longer loads the session.
	stale := &http.Client{}
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: before})
	if page := (reader{t}).body(stale.Do(req)); strings.Contains(page, "Ann") {
		t.Fatal("old cookie still logs in")
	}
}

func TestDemoReportIsCachedInTheSessionRegion(t *testing.T) {
	srv, app := newDemo(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			(reader{t}).body(client(t).Get(srv.URL + "/report"))
		}()
	}
	wg.Wait()
	if runs := app.region.Stats().CreatorRuns; runs != 1 {
		t.Fatalf("report built %d times for 20 concurrent requests", runs)
	}
	if page := (reader{t}).body(client(t).Get(srv.URL + "/report")); !strings.Contains(page, "Served from the cache") {
		t.Fatal(page)
	}
}

func TestDemoMetrics(t *testing.T) {
	srv, _ := newDemo(t)
	(reader{t}).body(client(t).Get(srv.URL + "/report"))
	m := (reader{t}).body(http.Get(srv.URL + "/metrics"))
	if !strings.Contains(m, `gosess_region_creator_duration_seconds_count{driver="memory",region="app"} 1`) ||
		!strings.Contains(m, `gosess_session_new_total{maker="web"}`) {
		t.Fatal(m)
	}
	if got := (reader{t}).body(http.Get(srv.URL + "/healthz")); got != "ok\n" {
		t.Fatal(got)
	}
}
