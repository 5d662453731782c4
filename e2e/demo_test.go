package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/gosess/gosess/internal/testserver"
)

// chromiumPath finds Debian's chromium (or $CHROMIUM); without one the
// test skips, or fails under CI=true.
func chromiumPath(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "chromium"}
	for _, c := range candidates {
		if c == "" {
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "chromium not found (apt-get install -y chromium, or set CHROMIUM); the browser test needs Debian's chromium"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// buildGosess builds the gosess command of this checkout.
func buildGosess(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "gosess")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/gosess")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/gosess: %v\n%s", err, out)
	}
	return bin
}

// startDemo runs `gosess demo` on a free port and returns its base URL;
// the process is interrupted (and waited for) when the test ends.
func startDemo(t *testing.T, bin string, args ...string) string {
	t.Helper()
	return testserver.StartDemo(t, exec.Command(bin, append([]string{"demo", "-addr", "127.0.0.1:0"}, args...)...)).URL
}

// newBrowser starts a headless chromium with a fresh profile.
func newBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs one browser action with a deadline and fails the test on error.
func step[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// load runs actions that load a page and returns the page's response.
func load(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) *network.Response {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	resp, err := chromedp.RunResponse(sctx, actions...)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return resp
}

// header reads a response header whatever its case.
func header(resp *network.Response, name string) string {
	for k, v := range resp.Headers {
		if strings.EqualFold(k, name) {
			return fmt.Sprint(v)
		}
	}
	return ""
}

// sessionCookie returns the browser's session cookie for base, or nil.
func sessionCookie(t *testing.T, ctx context.Context, base string) *network.Cookie {
	t.Helper()
	cookies := step(t, ctx, "get cookies", func(ctx context.Context, tg *chromedp.Target) ([]*network.Cookie, error) {
		res, err := cdp.Call(ctx, tg, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
		return res.Cookies, err
	})
	for _, c := range cookies {
		if c.Name == "session" {
			return c
		}
	}
	return nil
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return strings.TrimSpace(step(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

func eval[T any](t *testing.T, ctx context.Context, js string) T {
	t.Helper()
	return step(t, ctx, js, chromedp.Evaluate[T](js))
}

// TestDemoInChromium walks through the demo as a user: first visit,
// login with a name full of HTML, the counter, both stampede buttons,
// the figures panel, a cross-site form, and logout, checking the cookie's
// flags and the caching headers on the way.
func TestDemoInChromium(t *testing.T) {
	begin := time.Now()
	chromium := chromiumPath(t)
	base := startDemo(t, buildGosess(t))
	ctx := newBrowser(t, chromium)
	t.Logf("demo on %s, chromium started after %v", base, time.Since(begin).Round(time.Millisecond))

	// A first visit: nothing saved, no cookie, but Vary: Cookie.
	resp := load(t, ctx, "first visit", chromedp.Navigate(base+"/"))
	if resp.Status != http.StatusOK || header(resp, "Vary") != "Cookie" {
		t.Errorf("first visit: %d, headers %v", resp.Status, resp.Headers)
	}
	if !strings.Contains(text(t, ctx, "#session"), "not saved yet") {
		t.Error(`no "not saved yet" on a first visit`)
	}
	if c := sessionCookie(t, ctx, base); c != nil {
		t.Errorf("cookie on a first visit: %+v", c)
	}

	// Login with a name that is HTML: shown as text, never run.
	name := `<img src=x onerror="document.title='pwned'"><b>Ann</b> & "co"`
	step(t, ctx, "type the name", chromedp.SetValue(chromedp.CSS(`input[name=name]`), name))
	resp = load(t, ctx, "log in", chromedp.Click(chromedp.CSS("#login-button")))
	if got := text(t, ctx, "#user"); got != name {
		t.Errorf("user shown as %q, want the name as text %q", got, name)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#user *, img').length`); n != 0 {
		t.Errorf("the name became %d element(s)", n)
	}
	if title := eval[string](t, ctx, `document.title`); title == "pwned" {
		t.Error("the name's script ran")
	}
	// The page after the login shows the welcome flash, so it changed the
	// session and sets a cookie: no cache may keep it.
	if header(resp, "Cache-Control") != "no-store" || header(resp, "Vary") != "Cookie" {
		t.Errorf("page after login: headers %v", resp.Headers)
	}
	c := sessionCookie(t, ctx, base)
	if c == nil {
		t.Fatal("no session cookie after login")
	}
	if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Secure || c.Path != "/" || c.Session {
		t.Errorf("cookie flags: httpOnly %v sameSite %q secure %v path %q session %v", c.HTTPOnly, c.SameSite, c.Secure, c.Path, c.Session)
	}
	if left := time.Until(time.Unix(int64(c.Expires), 0)); left < 29*time.Minute || left > 31*time.Minute {
		t.Errorf("cookie expires in %v, want the demo's max_age of 30m", left)
	}
	loggedIn := c.Value

	// The counter; a page that only reads the session is private.
	for i := 1; i <= 3; i++ {
		resp = load(t, ctx, "count", chromedp.Click(chromedp.CSS("#increment")))
		if got := text(t, ctx, "#count"); got != strconv.Itoa(i) {
			t.Fatalf("counter %q after %d clicks", got, i)
		}
	}
	if header(resp, "Cache-Control") != "private" || header(resp, "Vary") != "Cookie" {
		t.Errorf("page that reads the session: headers %v", resp.Headers)
	}

	// The stampede buttons.
	load(t, ctx, "cold stampede", chromedp.Click(chromedp.CSS("#stampede-cold")))
	if runs, waited := text(t, ctx, "#creator-runs"), text(t, ctx, "#waited"); runs != "1" || waited != "99" {
		t.Errorf("cold stampede: creator ran %s time(s), %s waited", runs, waited)
	}
	bars := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('#chart rect')).map(r => r.getAttribute('class'))`)
	if len(bars) != 100 || bars[0] != "created" {
		t.Errorf("cold chart: %d bars, first %v", len(bars), bars[:min(1, len(bars))])
	}
	// The waiters' bars are about as tall as the creator's.
	if h := eval[[]float64](t, ctx, `Array.from(document.querySelectorAll('#chart rect')).map(r => r.height.baseVal.value)`); len(h) == 100 && h[99] < h[0]/2 {
		t.Errorf("cold chart: the shortest wait is %v px against the creator's %v px", h[99], h[0])
	}
	load(t, ctx, "back", chromedp.Navigate(base+"/"))
	load(t, ctx, "stale stampede", chromedp.Click(chromedp.CSS("#stampede-stale")))
	if runs, stale := text(t, ctx, "#creator-runs"), text(t, ctx, "#served-stale"); runs != "1" || stale != "99" {
		t.Errorf("stale stampede: creator ran %s time(s), %s served stale", runs, stale)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('#chart rect.stale').length`); n != 99 {
		t.Errorf("stale chart: %d green bars", n)
	}

	// The figures panel splits app data and sessions.
	if runs := text(t, ctx, "#app-creator-runs"); runs != "2" {
		t.Errorf("panel: %s app creator runs, want 2", runs)
	}
	if hits, _ := strconv.Atoi(text(t, ctx, "#session-hits")); hits < 4 {
		t.Errorf("panel: %d session hits", hits)
	}

	// A form on another site posting to the demo is refused.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<form method="post" action="%s/count"><button id="go">win a prize</button></form>`, base)
	}))
	defer evil.Close()
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) // another site than 127.0.0.1
	load(t, ctx, "evil page", chromedp.Navigate(evilURL))
	resp = load(t, ctx, "cross-site post", chromedp.Click(chromedp.CSS("#go")))
	if resp.Status != http.StatusForbidden {
		t.Errorf("cross-site POST /count: %d", resp.Status)
	}
	load(t, ctx, "home", chromedp.Navigate(base+"/"))
	if got := text(t, ctx, "#count"); got != "3" {
		t.Errorf("counter %s after a cross-site post", got)
	}

	// Logout: the user is gone, and the cookie from before no longer works.
	load(t, ctx, "log out", chromedp.Click(chromedp.CSS("#logout")))
	if n := eval[int](t, ctx, `document.querySelectorAll('#user').length`); n != 0 || !strings.Contains(text(t, ctx, ".flash"), "logged out") {
		t.Error("still logged in after logout")
	}
	step(t, ctx, "restore the old cookie", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
			Name: "session", Value: loggedIn, URL: base + "/", HTTPOnly: new(true), SameSite: network.CookieSameSiteLax,
		})
		return chromedp.Void{}, err
	})
	load(t, ctx, "visit with the old cookie", chromedp.Navigate(base+"/"))
	if n := eval[int](t, ctx, `document.querySelectorAll('#user').length`); n != 0 {
		t.Error("the cookie from before logout still logs in")
	}
	if got := text(t, ctx, "#count"); got != "0" {
		t.Errorf("counter %s with the old cookie", got)
	}

	// Log out everywhere: the browser and another device (a Go client)
	// log in as the same user; the browser lists both sessions, and its
	// button ends both.
	step(t, ctx, "type the name again", chromedp.SetValue(chromedp.CSS(`input[name=name]`), "Ann"))
	load(t, ctx, "log in again", chromedp.Click(chromedp.CSS("#login-button")))
	jar, _ := cookiejar.New(nil)
	device := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	defer device.CloseIdleConnections()
	deviceGet := func() string {
		resp, err := device.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if resp, err := device.PostForm(base+"/login", url.Values{"name": {"Ann"}}); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	if !strings.Contains(deviceGet(), `<b id="user">Ann</b>`) {
		t.Fatal("the other device did not log in")
	}
	load(t, ctx, "reload", chromedp.Navigate(base+"/"))
	if got := text(t, ctx, "#session-count"); got != "2" {
		t.Errorf("the browser lists %s sessions of Ann, want 2 (its own and the other device's)", got)
	}
	load(t, ctx, "log out everywhere", chromedp.Click(chromedp.CSS("#logout-everywhere")))
	if n := eval[int](t, ctx, `document.querySelectorAll('#user').length`); n != 0 || !strings.Contains(text(t, ctx, ".flash"), "2 session(s) ended") {
		t.Errorf("after log out everywhere: flash %q", text(t, ctx, ".flash"))
	}
	if strings.Contains(deviceGet(), `id="user"`) {
		t.Error("the other device is still logged in after log out everywhere")
	}

	took := time.Since(begin)
	t.Logf("browser test took %v", took.Round(time.Millisecond))
	if took > 60*time.Second {
		t.Errorf("browser test took %v, more than a minute", took)
	}
}
