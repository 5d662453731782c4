package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// newDemo serves the demo app as `gosess demo` builds it without flags
// (openDemoArgs), with a quicker report and quicker stampedes.
func newDemo(t *testing.T) (*httptest.Server, *demoApp) {
	t.Helper()
	app, _ := openDemoArgs(t)
	app.reportCost = 50 * time.Millisecond
	app.reportTTL = time.Minute
	app.stampede = stampedeSettings{callers: 100, cost: 150 * time.Millisecond, expiration: 100 * time.Millisecond}
	return serveDemo(t, app), app
}

// serveDemo serves app on a test server, closed when t ends.
func serveDemo(t *testing.T, app *demoApp) *httptest.Server {
	srv := httptest.NewServer(app.handler())
	t.Cleanup(srv.Close)
	return srv
}

func client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// reader reads responses for a test: reader{t}.body(c.Get(url)).
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
	req, _ := http.NewRequest("GET", srv.URL+"/", nil)
	req.AddCookie(&http.Cookie{Name: "session", Value: before})
	if page := (reader{t}).body(http.DefaultClient.Do(req)); strings.Contains(page, "Ann") {
		t.Fatal("old cookie still logs in")
	}
}

func TestDemoReportIsCachedInTheSessionRegion(t *testing.T) {
	srv, app := newDemo(t)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() { (reader{t}).body(client(t).Get(srv.URL + "/report")) })
	}
	wg.Wait()
	if runs := app.region.Stats().CreatorRuns; runs != 1 {
		t.Fatalf("report built %d times for 20 concurrent requests", runs)
	}
	if page := (reader{t}).body(client(t).Get(srv.URL + "/report")); !strings.Contains(page, "Served from the cache") {
		t.Fatal(page)
	}
}

// Cross-origin POSTs are refused before the session is touched;
// same-origin ones (and clients that send neither header, such as curl)
// go through.
func TestDemoCrossOriginProtection(t *testing.T) {
	srv, app := newDemo(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, headers map[string]string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader("name=Mallory"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	cross := map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
	for _, path := range []string{"/login", "/count", "/logout", "/stampede/cold"} {
		resp := post(path, cross)
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("cross-origin POST %s: %d, Set-Cookie %q", path, resp.StatusCode, resp.Header.Get("Set-Cookie"))
		}
	}
	if st := app.maker.Stats(); st.New != 0 || st.Saves != 0 {
		t.Errorf("refused requests touched sessions: %+v", st)
	}
	if resp := post("/login", map[string]string{"Origin": "https://evil.example"}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin POST with Origin only: %d", resp.StatusCode)
	}
	for name, h := range map[string]map[string]string{
		"same-origin":   {"Origin": srv.URL, "Sec-Fetch-Site": "same-origin"},
		"Origin only":   {"Origin": srv.URL},
		"no header":     nil,
		"user-typed":    {"Sec-Fetch-Site": "none"},
		"same-origin 2": {"Sec-Fetch-Site": "same-origin"},
	} {
		resp := post("/login", h)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Set-Cookie") == "" {
			t.Errorf("%s POST /login: %d, Set-Cookie %q", name, resp.StatusCode, resp.Header.Get("Set-Cookie"))
		}
	}
}

// Pages that depend on the session are never stored by shared caches.
func TestDemoCachingHeaders(t *testing.T) {
	srv, _ := newDemo(t)
	c := client(t)
	noRedirect := *c
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.PostForm(srv.URL+"/login", url.Values{"name": {"Ann"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Set-Cookie") == "" || resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Vary") != "Cookie" {
		t.Errorf("login response: %v", resp.Header)
	}
	// The first page after the login shows (and so removes) the welcome
	// flash: the session changed, the response sets a cookie. The next
	// one only reads the session.
	for i, want := range []string{"no-store", "private"} {
		resp, err = c.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if (resp.Header.Get("Set-Cookie") != "") != (i == 0) || resp.Header.Get("Cache-Control") != want || resp.Header.Get("Vary") != "Cookie" {
			t.Errorf("logged-in page %d: %v", i+1, resp.Header)
		}
	}
	resp, err = c.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("/healthz: %v", resp.Header)
	}
}

// No <form> inside a <p> (the parser would close the paragraph), and
// "(not saved yet)" shows until the session is stored.
func TestDemoHTML(t *testing.T) {
	srv, _ := newDemo(t)
	c := client(t)
	first := (reader{t}).body(c.Get(srv.URL + "/"))
	if !strings.Contains(first, "not saved yet") {
		t.Error(`"not saved yet" missing on a first visit`)
	}
	logged := (reader{t}).body(c.PostForm(srv.URL+"/login", url.Values{"name": {"Ann"}}))
	if strings.Contains(logged, "not saved yet") {
		t.Error(`"not saved yet" on a saved session`)
	}
	paragraph := regexp.MustCompile(`(?s)<p[ >].*?</p>`)
	for name, page := range map[string]string{"first visit": first, "logged in": logged} {
		for _, p := range paragraph.FindAllString(page, -1) {
			if strings.Contains(p, "<form") || strings.Contains(p, "<section") {
				t.Errorf("%s: block inside a paragraph: %s", name, p)
			}
		}
	}
}

func TestDemoStampedes(t *testing.T) {
	srv, app := newDemo(t)
	c := client(t)
	cold := (reader{t}).body(c.PostForm(srv.URL+"/stampede/cold", nil))
	if !strings.Contains(cold, `<b id="creator-runs">1</b>`) || !strings.Contains(cold, `<b id="waited">99</b>`) {
		t.Errorf("cold stampede: %s", cold)
	}
	if n := strings.Count(cold, "<rect "); n != 100 || strings.Count(cold, `<rect class="created"`) != 1 {
		t.Errorf("cold chart: %d bars", n)
	}
	stale := (reader{t}).body(c.PostForm(srv.URL+"/stampede/stale", nil))
	if !strings.Contains(stale, `<b id="creator-runs">1</b>`) || !strings.Contains(stale, `<b id="served-stale">99</b>`) {
		t.Errorf("stale stampede: %s", stale)
	}
	if strings.Count(stale, `<rect class="stale"`) != 99 {
		t.Error("stale chart")
	}
	if st := app.region.Stats(); st.CreatorRuns != 2 || st.LockWaits < 99 || st.StaleServed < 99 {
		t.Errorf("region stats %+v", st)
	}
	resp, err := c.Get(srv.URL + "/stampede/nosuch")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown run: %d", resp.StatusCode)
	}
}

// The panel splits the region's figures between sessions and app data:
// session traffic does not show as app hits or misses.
func TestDemoFiguresPanel(t *testing.T) {
	srv, app := newDemo(t)
	c := client(t)
	(reader{t}).body(c.PostForm(srv.URL+"/login", url.Values{"name": {"Ann"}}))
	for range 3 {
		(reader{t}).body(c.PostForm(srv.URL+"/count", nil))
	}
	f := app.figures()
	if !f.SessionsInRegion || f.Sessions.Hits == 0 || f.App.Hits != 0 || f.App.Misses != 0 || f.App.CreatorRuns != 0 {
		t.Errorf("after session traffic only: %+v", f)
	}
	page := (reader{t}).body(c.Get(srv.URL + "/report"))
	f = app.figures()
	if f.App.Misses != 1 || f.App.CreatorRuns != 1 || f.Sessions.Hits == 0 {
		t.Errorf("after the report: %+v", f)
	}
	if !strings.Contains(page, `<td id="app-creator-runs">1</td>`) || !regexp.MustCompile(`<td id="session-hits">[1-9]`).MatchString(page) {
		t.Errorf("panel: %s", page)
	}
	total := app.region.Stats()
	if f.App.Hits+f.Sessions.Hits != total.Hits || f.App.Misses+f.Sessions.Misses != total.Misses {
		t.Errorf("split %+v does not add up to %+v", f, total)
	}
}

// TestDemoPanelShowsConcurrentSaves sends concurrent "+1" requests of one
// session: each is either counted (303) or refused as a conflict (409),
// none is lost, and the panel shows the maker's conflicts and merges.
func TestDemoPanelShowsConcurrentSaves(t *testing.T) {
	srv, app := newDemo(t)
	c := client(t)
	(reader{t}).body(c.PostForm(srv.URL+"/count", nil)) // the session exists
	noFollow := &http.Client{Jar: c.Jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
	const requests = 40
	var counted, refused atomic.Int64
	var wg sync.WaitGroup
	for range requests {
		wg.Go(func() {
			resp, err := noFollow.PostForm(srv.URL+"/count", nil)
			if err != nil {
				t.Error(err)
				return
			}
			_ = resp.Body.Close()
			switch resp.StatusCode {
			case http.StatusSeeOther:
				counted.Add(1)
			case http.StatusConflict:
				refused.Add(1)
			default:
				t.Errorf("POST /count: %s", resp.Status)
			}
		})
	}
	wg.Wait()
	page := (reader{t}).body(c.Get(srv.URL + "/"))
	if want := fmt.Sprintf(`<b id="count">%d</b>`, 1+counted.Load()); !strings.Contains(page, want) {
		t.Errorf("after %d counted and %d refused requests the page lacks %s", counted.Load(), refused.Load(), want)
	}
	st := app.maker.Stats()
	if st.Conflicts != uint64(refused.Load()) {
		t.Errorf("maker counted %d conflicts; %d requests got 409", st.Conflicts, refused.Load())
	}
	for id, n := range map[string]uint64{"session-conflicts": st.Conflicts, "session-merges": st.Merges} {
		if want := fmt.Sprintf(`<td id="%s">%d</td>`, id, n); !strings.Contains(page, want) {
			t.Errorf("panel lacks %s", want)
		}
	}
	t.Logf("%d requests: %d counted, %d conflicts, %d merges", requests, counted.Load(), refused.Load(), st.Merges)
}

func TestDemoMetricsAndHealth(t *testing.T) {
	srv, _ := newDemo(t)
	(reader{t}).body(client(t).Get(srv.URL + "/report"))
	m := (reader{t}).body(http.Get(srv.URL + "/metrics"))
	for _, want := range []string{
		`gosess_region_creator_duration_seconds_count{driver="memory",region="app"} 1`,
		`gosess_session_new_total{maker="web"}`,
		"go_goroutines ", "go_memstats_heap_alloc_bytes ", "process_resident_memory_bytes ", "process_open_fds ",
	} {
		if !strings.Contains(m, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	h := (reader{t}).body(http.Get(srv.URL + "/healthz"))
	if !strings.HasPrefix(h, "ok\n") || !strings.Contains(h, "region app (driver memory): ok") || !strings.Contains(h, "sessions web (backend dogpile): ok") {
		t.Errorf("/healthz: %q", h)
	}
}

// TestDemoOnObjectsDriver: the demo's -driver flag accepts the objects
// driver, and sessions and the cached report work on it.
func TestDemoOnObjectsDriver(t *testing.T) {
	app, _ := openDemoArgs(t, "-driver", "objects", "-arg", "max_entries=10000")
	if got := app.region.DriverName(); got != "objects" {
		t.Fatalf("driver %q", got)
	}
	app.reportCost = 10 * time.Millisecond
	srv := serveDemo(t, app)
	c := client(t)
	(reader{t}).body(c.PostForm(srv.URL+"/login", url.Values{"name": {"Ann"}}))
	var page string
	for range 2 {
		page = (reader{t}).body(c.PostForm(srv.URL+"/count", nil))
	}
	if !strings.Contains(page, `<b id="user">Ann</b>`) || !strings.Contains(page, `<b id="count">2</b>`) {
		t.Fatalf("on the objects driver: %s", page)
	}
}

// "Log out everywhere": two browsers of one user are listed on the home
// page; the button in one ends both sessions.
func TestDemoLogoutEverywhere(t *testing.T) {
	srv, _ := newDemo(t)
	a, b, other := client(t), client(t), client(t)
	for _, c := range []*http.Client{a, b} {
		(reader{t}).body(c.PostForm(srv.URL+"/login", url.Values{"name": {"Ann"}}))
	}
	(reader{t}).body(other.PostForm(srv.URL+"/login", url.Values{"name": {"Bob"}}))
	page := (reader{t}).body(a.Get(srv.URL + "/"))
	if !strings.Contains(page, `<span id="session-count">2</span>`) || !strings.Contains(page, "(this one)") {
		t.Fatalf("the home page does not list Ann's two sessions:\n%s", page)
	}
	page = (reader{t}).body(a.PostForm(srv.URL+"/logout-everywhere", nil))
	if !strings.Contains(page, "2 session(s) ended") || strings.Contains(page, `id="user"`) {
		t.Fatalf("after log out everywhere:\n%s", page)
	}
	if page := (reader{t}).body(b.Get(srv.URL + "/")); strings.Contains(page, `id="user"`) {
		t.Error("the other browser is still logged in")
	}
	if page := (reader{t}).body(other.Get(srv.URL + "/")); !strings.Contains(page, `<b id="user">Bob</b>`) {
		t.Error("another user was logged out")
	}
}
