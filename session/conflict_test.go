package session_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/session"
)

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
		srv := httptest.NewServer(m.Middleware(app))
		defer srv.Close()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
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
		srv := httptest.NewServer(m.Middleware(app))
		defer srv.Close()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
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
