package session_test

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testlog"
	"github.com/gosess/gosess/session"
)

// app is a small application behind the middleware.
func app(t *testing.T) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/count", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		n, _ := session.GetAs[int](s, "n")
		s.Set("n", n+1)
		fmt.Fprint(w, n+1)
	})
	mux.HandleFunc("/peek", func(w http.ResponseWriter, r *http.Request) {
		n, _ := session.GetAs[int](session.FromContext(r.Context()), "n")
		fmt.Fprint(w, n)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		if err := s.Renew(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		s.Set("user", r.URL.Query().Get("u"))
		s.AddFlash("welcome " + r.URL.Query().Get("u"))
	})
	mux.HandleFunc("/logout", func(w http.ResponseWriter, r *http.Request) {
		if err := session.FromContext(r.Context()).Invalidate(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("/flashes", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, session.FromContext(r.Context()).Flashes())
	})
	mux.HandleFunc("/whoami", func(w http.ResponseWriter, r *http.Request) {
		u, _ := session.FromContext(r.Context()).Get("user")
		fmt.Fprint(w, u)
	})
	mux.HandleFunc("/bad", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Set("ch", make(chan int))
		w.Header().Set("Content-Length", "13")
		io.WriteString(w, "handler body!")
	})
	mux.HandleFunc("/abort", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		s.Set("n", 1000)
		s.Abort()
	})
	mux.HandleFunc("/save", func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		s.Set("explicit", true)
		if _, err := s.Save(r.Context()); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Set("flushed", true)
		io.WriteString(w, "part1 ")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("Flush through ResponseController: %v", err)
		}
		session.FromContext(r.Context()).Set("late", true) // after the cookie went out: not saved
		io.WriteString(w, "part2")
	})
	mux.HandleFunc("/deadline", func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Errorf("SetWriteDeadline through Unwrap: %v", err)
		}
		io.WriteString(w, "ok")
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Set("hijacked", true)
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		rw.Flush()
	})
	return mux
}

type client struct {
	t   *testing.T
	srv *httptest.Server
	c   *http.Client
	jar http.CookieJar
}

func newClient(t *testing.T, m *session.Maker) *client { return serve(t, m.Middleware(app(t))) }

// serve serves h on a test server, closed when t ends, to a client that
// keeps cookies.
func serve(t *testing.T, h http.Handler) *client {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	return &client{t: t, srv: srv, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}, jar: jar}
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.c.Get(c.srv.URL + path)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (c *client) cookies() []*http.Cookie {
	u, _ := url.Parse(c.srv.URL)
	return c.jar.Cookies(u)
}

// The middleware makers use a host-only cookie (the test server is not
// example.com).
func middlewareMaker(t *testing.T, bc backendCase, extra session.Settings, opts ...session.MakerOption) *session.Maker {
	s := session.Settings{"domain": ""}
	for k, v := range extra {
		s[k] = v
	}
	return newMaker(t, bc, s, opts...)
}

func TestMiddlewareCounter(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		c := newClient(t, middlewareMaker(t, bc, nil))
		for want := 1; want <= 3; want++ {
			resp, body := c.get("/count")
			if body != fmt.Sprint(want) {
				t.Fatalf("request %d: %q", want, body)
			}
			if len(resp.Header.Values("Set-Cookie")) != 1 {
				t.Errorf("modified session: Set-Cookie %q", resp.Header.Values("Set-Cookie"))
			}
			if resp.Header.Get("Vary") != "Cookie" {
				t.Errorf("Vary = %q", resp.Header.Get("Vary"))
			}
		}
		resp, body := c.get("/peek")
		if body != "3" || resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("read-only request: body %q, Set-Cookie %q", body, resp.Header.Get("Set-Cookie"))
		}
		if resp.Header.Get("Vary") != "Cookie" {
			t.Error("no Vary on a read-only response")
		}
	})
}

func TestMiddlewareNoCookieForUntouchedNewSession(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		c := newClient(t, middlewareMaker(t, bc, nil))
		resp, body := c.get("/peek")
		if body != "0" || resp.Header.Get("Set-Cookie") != "" || len(c.cookies()) != 0 {
			t.Errorf("new unmodified session sent a cookie: %q", resp.Header.Get("Set-Cookie"))
		}
	})
}

// refresh_on_access with a touch interval: reads re-send the cookie only
// once the last recorded access is older than touch_interval.
func TestMiddlewareTouch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		clk := newClock()
		m := middlewareMaker(t, bc, session.Settings{"max_age": "1h", "touch_interval": "1m"}, session.WithClock(clk.Now))
		c := newClient(t, m)
		c.get("/count")
		clk.Advance(30 * time.Second)
		if resp, _ := c.get("/peek"); resp.Header.Get("Set-Cookie") != "" {
			t.Error("touched before the interval")
		}
		clk.Advance(time.Minute)
		resp, body := c.get("/peek")
		if resp.Header.Get("Set-Cookie") == "" || body != "1" {
			t.Errorf("not touched after the interval (body %q)", body)
		}
		// The touch moved the access: 59 minutes later the session lives.
		clk.Advance(59 * time.Minute)
		if _, body := c.get("/peek"); body != "1" {
			t.Errorf("touched session expired: %q", body)
		}
		// Without refresh_on_access nothing is touched.
		m2 := middlewareMaker(t, bc, session.Settings{"max_age": "1h", "refresh_on_access": false}, session.WithClock(clk.Now))
		c2 := newClient(t, m2)
		c2.get("/count")
		clk.Advance(30 * time.Minute)
		if resp, _ := c2.get("/peek"); resp.Header.Get("Set-Cookie") != "" {
			t.Error("touched without refresh_on_access")
		}
	})
}

func TestMiddlewareLoginLogoutFlashes(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m := middlewareMaker(t, bc, nil)
		c := newClient(t, m)
		c.get("/count")
		before := c.cookies()[0].Value
		c.get("/login?u=ann")
		after := c.cookies()[0].Value
		if before == after {
			t.Fatal("login did not re-issue the cookie")
		}
		if _, body := c.get("/whoami"); body != "ann" {
			t.Fatalf("whoami %q", body)
		}
		if _, body := c.get("/flashes"); body != "[welcome ann]" {
			t.Errorf("flashes %q", body)
		}
		if _, body := c.get("/flashes"); body != "[]" {
			t.Errorf("flashes read twice: %q", body)
		}
		if bc.serverSide {
			if s := load(t, m, before); !s.IsNew() {
				t.Error("pre-login cookie still loads the session (fixation)")
			}
		}
		resp, _ := c.get("/logout")
		if sc := resp.Header.Get("Set-Cookie"); !strings.Contains(sc, "Max-Age=0") {
			t.Errorf("logout Set-Cookie %q", sc)
		}
		if len(c.cookies()) != 0 {
			t.Errorf("cookie kept after logout: %v", c.cookies())
		}
		if _, body := c.get("/whoami"); body != "<nil>" {
			t.Errorf("after logout: %q", body)
		}
		if bc.serverSide {
			if s := load(t, m, after); !s.IsNew() {
				t.Error("logged-out cookie still loads")
			}
		}
	})
}

// A save error replaces the response with a 500 and is logged.
func TestMiddlewareSaveError(t *testing.T) {
	var logs testlog.Buffer
	m := middlewareMaker(t, localBackends[0], nil, session.WithLogger(logs.Logger(slog.LevelDebug)))
	c := newClient(t, m)
	resp, body := c.get("/bad")
	if resp.StatusCode != 500 || strings.Contains(body, "handler body") || resp.Header.Get("Set-Cookie") != "" {
		t.Errorf("status %d body %q", resp.StatusCode, body)
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "cannot be encoded") {
		t.Errorf("not logged: %q", logs.String())
	}
}

func TestMiddlewareBackendDown(t *testing.T) {
	m := session.NewMaker(session.WithLogger(discard))
	if err := m.Configure(session.Settings{"backend": "failing", "signature_key": sigKey}); err != nil {
		t.Fatal(err)
	}
	good := middlewareMaker(t, localBackends[0], nil)
	_, ck := saveNew(t, good)
	srv := httptest.NewServer(m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("handler called although the session could not load")
	})))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Cookie", strings.SplitN(ck, ";", 2)[0])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 500 {
		t.Errorf("status %d", resp.StatusCode)
	}
	// Unconfigured maker: 500 as well.
	rec := httptest.NewRecorder()
	session.NewMaker(session.WithLogger(discard)).Middleware(http.NotFoundHandler()).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 500 {
		t.Errorf("unconfigured: %d", rec.Code)
	}
}

func TestMiddlewareAbortAndExplicitSave(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		c := newClient(t, middlewareMaker(t, bc, nil))
		c.get("/count")
		if resp, _ := c.get("/abort"); resp.Header.Get("Set-Cookie") != "" {
			t.Error("aborted session sent a cookie")
		}
		if _, body := c.get("/peek"); body != "1" {
			t.Errorf("aborted change stored: %q", body)
		}
		resp, _ := c.get("/save")
		if n := len(resp.Header.Values("Set-Cookie")); n != 1 {
			t.Errorf("explicit save: %d Set-Cookie headers", n)
		}
		if _, body := c.get("/peek"); body != "1" {
			t.Errorf("after explicit save: %q", body)
		}
	})
}

// The cookie goes out with the first flushed bytes; Flush and deadlines
// work through http.ResponseController.
func TestMiddlewareFlushAndController(t *testing.T) {
	m := middlewareMaker(t, localBackends[0], nil)
	c := newClient(t, m)
	resp, body := c.get("/flush")
	if body != "part1 part2" || resp.Header.Get("Set-Cookie") == "" {
		t.Fatalf("flush: body %q, Set-Cookie %q", body, resp.Header.Get("Set-Cookie"))
	}
	s := load(t, m, resp.Header.Get("Set-Cookie"))
	if !s.Has("flushed") || s.Has("late") {
		t.Errorf("saved keys %v", s.Keys())
	}
	if resp, _ := c.get("/deadline"); resp.StatusCode != 200 {
		t.Errorf("deadline: %d", resp.StatusCode)
	}
	var _ http.Flusher = rwOf(t, m)
	var _ http.Hijacker = rwOf(t, m)
	if _, ok := any(rwOf(t, m)).(interface{ Unwrap() http.ResponseWriter }); !ok {
		t.Error("no Unwrap")
	}
}

// rwOf returns the ResponseWriter the middleware hands to handlers.
func rwOf(t *testing.T, m *session.Maker) interface {
	http.ResponseWriter
	http.Flusher
	http.Hijacker
} {
	var got http.ResponseWriter
	m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = w })).
		ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	rw, ok := got.(interface {
		http.ResponseWriter
		http.Flusher
		http.Hijacker
	})
	if !ok {
		t.Fatalf("%T is not a Flusher and Hijacker", got)
	}
	return rw
}

// A hijacked connection still has its session saved.
func TestMiddlewareHijack(t *testing.T) {
	m := middlewareMaker(t, localBackends[0], nil)
	var id string
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id = session.FromContext(r.Context()).ID()
		app(t).ServeHTTP(w, r)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/hijack")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "hijacked" {
		t.Fatalf("body %q", b)
	}
	if ok, err := m.Backend().Exists(ctx, id); !ok || err != nil {
		t.Errorf("hijacked session not saved: %v %v", ok, err)
	}
	// Hijack on a writer that cannot: an error, not a panic.
	rec := httptest.NewRecorder()
	m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, _, err := w.(http.Hijacker).Hijack(); !errors.Is(err, http.ErrNotSupported) {
			t.Errorf("Hijack on a recorder: %v", err)
		}
	})).ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
}

// A session cookie among other cookies, and a stale duplicate, are handled.
func TestMiddlewareCookieHeader(t *testing.T) {
	m := middlewareMaker(t, localBackends[0], nil)
	_, ck := saveNew(t, m, "n", 41)
	value := strings.TrimPrefix(strings.SplitN(ck, ";", 2)[0], "session=")
	h := m.Middleware(app(t))
	req := httptest.NewRequest("GET", "/count", nil)
	req.Header.Set("Cookie", "theme=dark; session=stale-garbage; session="+value)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Body.String() != "42" {
		t.Errorf("body %q", rec.Body.String())
	}
	if rec.Header().Get("Vary") != "Cookie" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("headers %v", rec.Header())
	}
	if session.FromContext(req.Context()) != nil {
		t.Error("FromContext outside the middleware")
	}
}

// The middleware keeps shared caches away from session-dependent
// responses: no-store with a Set-Cookie, private when the handler used the
// session, nothing when it did not, and the handler's own Cache-Control
// always wins. Vary: Cookie is on every response.
func TestMiddlewareCachingHeaders(t *testing.T) {
	m := middlewareMaker(t, localBackends[0], nil)
	mux := http.NewServeMux()
	mux.HandleFunc("/set", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Set("user", "ann")
		w.Write([]byte("set"))
	})
	mux.HandleFunc("/read", func(w http.ResponseWriter, r *http.Request) {
		v, _ := session.FromContext(r.Context()).Get("user")
		w.Write([]byte(v.(string)))
	})
	mux.HandleFunc("/static", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("logo"))
	})
	mux.HandleFunc("/own", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Set("seen", true)
		w.Header().Set("Cache-Control", "no-cache, private")
		w.Write([]byte("own"))
	})
	mux.HandleFunc("/empty", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Set("touched", 1) // returns without writing
	})
	h := m.Middleware(mux)
	get := func(path, cookie string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", path, nil)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}

	rec := get("/set", "")
	setCookie := rec.Header().Get("Set-Cookie")
	if setCookie == "" {
		t.Fatal("no cookie")
	}
	cookie := strings.SplitN(setCookie, ";", 2)[0]
	for _, tc := range []struct{ path, cookie, cacheControl string }{
		{"/set", "", "no-store"},
		{"/read", cookie, "private"},
		{"/static", cookie, ""},
		{"/static", "", ""},
		{"/own", cookie, "no-cache, private"},
		{"/empty", "", "no-store"},
	} {
		rec := get(tc.path, tc.cookie)
		if got := rec.Header().Values("Cache-Control"); strings.Join(got, ", ") != tc.cacheControl {
			t.Errorf("%s (cookie %v): Cache-Control %q, want %q", tc.path, tc.cookie != "", got, tc.cacheControl)
		}
		if got := rec.Header().Values("Vary"); len(got) != 1 || got[0] != "Cookie" {
			t.Errorf("%s: Vary %q", tc.path, got)
		}
	}
	// A response that sets a cookie never says a shared cache may keep it
	// (no-cache="Set-Cookie" alone allowed storing the page).
	if rec := get("/set", ""); strings.Contains(rec.Header().Get("Cache-Control"), `no-cache="Set-Cookie"`) {
		t.Error(rec.Header())
	}
}

// heldApp sets one session key per request (/set?k=a&v=1) and reads one
// (/get?k=a). A request with hold=1 sets its key, says so on held and
// waits for release before it returns, so that another request of the
// same client can change the session in between.
type heldApp struct {
	held, release chan struct{}
}

func newHeldApp() *heldApp {
	return &heldApp{held: make(chan struct{}), release: make(chan struct{})}
}

func (a *heldApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := session.FromContext(r.Context())
	q := r.URL.Query()
	switch r.URL.Path {
	case "/set":
		v, _ := strconv.Atoi(q.Get("v"))
		s.Set(q.Get("k"), v)
		if q.Get("hold") == "1" {
			a.held <- struct{}{}
			<-a.release
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"ok":true}`)
	case "/get":
		v, _ := s.Get(q.Get("k"))
		fmt.Fprint(w, v)
	}
}

type reply struct {
	status int
	body   string
	header http.Header
	err    error
}

// send serves one request with the client's cookies.
func send(c *http.Client, url string) reply {
	resp, err := c.Get(url)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, string(b), resp.Header, err}
}

// race sends held (which holds its session open) and, while it is held,
// other; it returns held's reply.
func race(t *testing.T, c *http.Client, app *heldApp, base, held, other string) reply {
	t.Helper()
	out := make(chan reply, 1)
	go func() { out <- send(c, base+held) }()
	select {
	case <-app.held:
	case r := <-out:
		t.Fatalf("held request returned early: %+v", r)
	}
	if r := send(c, base+other); r.err != nil || r.status != http.StatusOK {
		t.Fatalf("%s: %+v", other, r)
	}
	close(app.release)
	r := <-out
	if r.err != nil {
		t.Fatal(r.err)
	}
	app.release = make(chan struct{})
	return r
}

// Two requests of one client change the session at the same time, through
// the middleware: different keys are both kept (200 for both); the same
// key is a conflict for the later save, answered by the conflict handler
// (409 by default), and the earlier request's value stands.
func TestMiddlewareConflict(t *testing.T) {
	forEachStore(t, func(t *testing.T, bc backendCase) {
		app := newHeldApp()
		m := middlewareMaker(t, bc, nil)
		cl := serve(t, m.Middleware(app))
		c, srv := cl.c, cl.srv
		get := func(path string) string {
			t.Helper()
			r := send(c, srv.URL+path)
			if r.err != nil || r.status != http.StatusOK {
				t.Fatalf("%s: %+v", path, r)
			}
			return r.body
		}
		get("/set?k=a&v=0")

		r := race(t, c, app, srv.URL, "/set?k=b&v=1&hold=1", "/set?k=a&v=1")
		if r.status != http.StatusOK {
			t.Fatalf("different keys: %d %q, want a merge", r.status, r.body)
		}
		if a, b := get("/get?k=a"), get("/get?k=b"); a != "1" || b != "1" {
			t.Errorf("after the merge: a=%s b=%s, want both changes", a, b)
		}

		r = race(t, c, app, srv.URL, "/set?k=a&v=10&hold=1", "/set?k=a&v=20")
		if r.status != http.StatusConflict || !strings.Contains(r.body, "409 Conflict") {
			t.Fatalf("same key: %d %q, want 409 from the default handler", r.status, r.body)
		}
		if r.header.Get("Set-Cookie") != "" || r.header.Get("Cache-Control") != "no-store" ||
			r.header.Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("conflict headers %v", r.header)
		}
		if a := get("/get?k=a"); a != "20" {
			t.Errorf("a = %s, want the other request's 20", a)
		}
		if st := m.Stats(); st.Conflicts != 1 || st.Merges != 1 {
			t.Errorf("stats: %d conflicts, %d merges; want 1, 1", st.Conflicts, st.Merges)
		}
	})
}

// WithConflictHandler replaces the 409: the handler gets the
// ConflictError and the request, whose session holds this request's
// values.
func TestMiddlewareConflictHandler(t *testing.T) {
	forEachStore(t, func(t *testing.T, bc backendCase) {
		app := newHeldApp()
		handler := func(w http.ResponseWriter, r *http.Request, err error) {
			var ce *session.ConflictError
			if !errors.As(err, &ce) {
				t.Errorf("handler got %v", err)
			}
			mine, _ := session.FromContext(r.Context()).Get("a")
			w.WriteHeader(http.StatusTeapot)
			fmt.Fprintf(w, "keys=%v mine=%v path=%s", ce.Keys, mine, r.URL.Path)
		}
		m := middlewareMaker(t, bc, nil, session.WithConflictHandler(handler))
		cl := serve(t, m.Middleware(app))
		c, srv := cl.c, cl.srv
		if r := send(c, srv.URL+"/set?k=a&v=0"); r.status != http.StatusOK {
			t.Fatalf("first request: %+v", r)
		}
		r := race(t, c, app, srv.URL, "/set?k=a&v=1&hold=1", "/set?k=a&v=2")
		if r.status != http.StatusTeapot || r.body != "keys=[a] mine=1 path=/set" {
			t.Errorf("custom handler: %d %q", r.status, r.body)
		}
	})
}

func TestDefaultConflictHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	session.DefaultConflictHandler(rec, httptest.NewRequest(http.MethodPost, "/", nil), session.ErrConflict)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), "reload and try again") {
		t.Errorf("%d %q", rec.Code, rec.Body.String())
	}
}
