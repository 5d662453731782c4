package file_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosess/gosess/backends/file"
	"github.com/gosess/gosess/session"
)

// A truncated session file loads as a new session (the reason is logged),
// behind the middleware too, instead of answering 500 to every request
// that carries its cookie; Cleanup removes it.
func TestCorruptFileLoadsAsNewSession(t *testing.T) {
	for _, size := range []int{0, 5, session.RecordHeaderSize + 3} {
		dir := sessionDir(t)
		var logs bytes.Buffer
		m := session.NewMaker(session.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
		if err := m.Configure(session.Settings{"backend": "file", "dir": dir, "signature_key": key}); err != nil {
			t.Fatal(err)
		}
		s, _ := m.New(ctx)
		s.Set("user", "ann")
		s.Set("notes", strings.Repeat("n", 100))
		c, err := s.Save(ctx)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, s.ID()+".session")
		if err := os.Truncate(p, int64(size)); err != nil {
			t.Fatal(err)
		}

		// Without a whole header the file holds no record; with one, the
		// record loads and its cut data fails to decode in the Maker.
		headerCut := size < session.RecordHeaderSize
		if _, err := m.Backend().Load(ctx, s.ID()); headerCut && (!errors.Is(err, session.ErrNotFound) || !errors.Is(err, session.ErrBadRecord)) {
			t.Errorf("%d bytes: backend Load = %v", size, err)
		}
		back, err := m.Load(ctx, c.String())
		if err != nil || !back.IsNew() || back.Has("user") {
			t.Fatalf("%d bytes: Load = new %v, %v", size, back != nil && back.IsNew(), err)
		}
		if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "new session") {
			t.Errorf("%d bytes: reason not logged: %s", size, logs.String())
		}

		h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if session.FromContext(r.Context()).IsNew() {
				w.Write([]byte("new"))
			}
		}))
		req := httptest.NewRequest("GET", "/", nil)
		req.Header.Set("Cookie", c.Name+"="+c.Value)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.String() != "new" {
			t.Errorf("%d bytes: middleware answered %d %q", size, rec.Code, rec.Body)
		}
		if st := m.Stats(); st.Rejected[session.RejectUndecodable] != 2 {
			t.Errorf("%d bytes: rejected %v", size, st.Rejected)
		}

		if !headerCut {
			continue // a readable header: Cleanup judges it by its expiry
		}
		n, err := m.Cleanup(ctx)
		if err != nil || n != 1 {
			t.Errorf("%d bytes: Cleanup = %d, %v", size, n, err)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%d bytes: corrupt file kept: %v", size, err)
		}
	}
}

func TestPing(t *testing.T) {
	dir := sessionDir(t)
	b, err := file.Open(dir, file.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("Ping left files: %v", entries)
	}
	os.RemoveAll(dir)
	if err := b.Ping(ctx); err == nil {
		t.Error("Ping of a removed directory succeeded")
	}
	m := session.NewMaker()
	if err := m.Configure(session.Settings{"backend": "file", "dir": filepath.Join(t.TempDir(), "s"), "signature_key": key}); err != nil {
		t.Fatal(err)
	}
	if err := m.Ping(ctx); err != nil {
		t.Errorf("Maker.Ping: %v", err)
	}
}
