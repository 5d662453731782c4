package session_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gosess/gosess/session"
)

// BenchmarkMiddleware is one request through the middleware on a memory
// region: load the session from the cookie, set a value, save it.
func BenchmarkMiddleware(b *testing.B) {
	m := newMaker(b, localBackends[0], session.Settings{"domain": ""})
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := session.FromContext(r.Context())
		n, _ := session.GetAs[int](s, "n")
		s.Set("n", n+1)
		w.WriteHeader(http.StatusNoContent)
	}))
	_, c := saveNew(b, m, "n", 0, "user", "ann")
	req := httptest.NewRequest("GET", "/", nil)
	if v, ok := cookieValue(c); ok {
		req.Header.Set("Cookie", "session="+v)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusNoContent {
			b.Fatal(rec.Code)
		}
	}
}

func BenchmarkLoadSave(b *testing.B) {
	noSync := backendCase{"file-nosync", true, func(t testing.TB) session.Settings {
		s := localBackends[1].settings(t)
		s["sync"] = false
		return s
	}}
	for _, bc := range append(localBackends, noSync) {
		b.Run(bc.name, func(b *testing.B) {
			m := newMaker(b, bc, nil)
			_, c := saveNew(b, m, "n", 0, "user", "ann")
			b.ReportAllocs()
			for b.Loop() {
				s, err := m.Load(ctx, c)
				if err != nil || s.IsNew() {
					b.Fatal(err)
				}
				s.Set("n", 1)
				if _, err := s.Save(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func cookieValue(setCookie string) (string, bool) {
	s := setCookie
	for i := 0; i < len(s); i++ {
		if s[i] == ';' {
			s = s[:i]
			break
		}
	}
	const p = "session="
	if len(s) < len(p) || s[:len(p)] != p {
		return "", false
	}
	return s[len(p):], true
}
