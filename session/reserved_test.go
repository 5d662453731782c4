package session_test

import (
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gosess/gosess/internal/testlog"
	"github.com/gosess/gosess/session"
)

// Set has no error result; a reserved key ("_...") is refused by storing
// nothing and failing every later Save with ErrInternalKey, so that the
// mistake is neither silent nor lost.
func TestReservedKeys(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, nil)
		s, c := saveNew(t, m, "user", "ann")
		s = load(t, m, c)
		if s.Err() != nil {
			t.Fatal(s.Err())
		}
		s.Set("_creation", "forged")
		s.Set("user", "bob")
		if err := s.Err(); !errors.Is(err, session.ErrInternalKey) {
			t.Fatalf("Err after Set(_creation) = %v", err)
		}
		if s.Has("_creation") {
			t.Error("reserved key stored")
		}
		for range 2 {
			if _, err := s.Save(ctx); !errors.Is(err, session.ErrInternalKey) {
				t.Fatalf("Save after Set(_creation) = %v, want ErrInternalKey", err)
			}
		}
		// Nothing of that request was stored: the old cookie loads the
		// old values.
		if back := load(t, m, c); mustGet(t, back, "user") != "ann" {
			t.Error("a failed Save changed the stored session")
		}
		if st := m.Stats(); st.SaveErrors != 2 {
			t.Errorf("SaveErrors = %d, want 2", st.SaveErrors)
		}
	})
}

// Behind the middleware a reserved key is a 500 with the error logged,
// never a page that pretends it worked.
func TestReservedKeyInMiddleware(t *testing.T) {
	var logs testlog.Buffer
	m := newMaker(t, localBackends[0], nil, session.WithLogger(logs.Logger(slog.LevelDebug)))
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).Set("_flash", []any{"x"})
		w.Write([]byte("ok"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != http.StatusInternalServerError || rec.Header().Get("Set-Cookie") != "" {
		t.Errorf("status %d, Set-Cookie %q", rec.Code, rec.Header().Get("Set-Cookie"))
	}
	if !strings.Contains(logs.String(), `Set(\"_flash\")`) {
		t.Errorf("error not logged: %s", logs.String())
	}
}
