package session_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
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

func newClient(t *testing.T, m *session.Maker) *client {
	srv := httptest.NewServer(m.Middleware(app(t)))
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
	var _ = bufio.NewReader
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
