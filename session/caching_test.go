package session_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gosess/gosess/session"
)

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
