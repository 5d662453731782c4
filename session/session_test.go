package session_test

import (
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/internal/testclock"
	"github.com/gosess/gosess/internal/testlog"
	"github.com/gosess/gosess/session"
)

// Port of test_session.test_session_new.
func TestSessionNew(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s := newSession(t, m)
		if !s.IsNew() || s.Modified() || s.Created().IsZero() || s.Len() != 0 {
			t.Fatalf("new session: new=%v modified=%v created=%v len=%d", s.IsNew(), s.Modified(), s.Created(), s.Len())
		}
		s.Set("testkey", "testval")
		if mustGet(t, s, "testkey") != "testval" || !s.Modified() {
			t.Fatal("Set")
		}
		c := save(t, s)
		back := load(t, m, c.String())
		if mustGet(t, back, "testkey") != "testval" {
			t.Error("value lost")
		}
	}))
}

// Port of test_session.test_session_empty: an empty session saves and
// loads back with its id and times.
func TestSessionEmpty(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, c := saveNew(t, m)
		before := time.Now()
		back := load(t, m, c)
		if back.IsNew() || back.ID() != s.ID() {
			t.Fatalf("reloaded: new=%v id %q vs %q", back.IsNew(), back.ID(), s.ID())
		}
		if !back.Created().Equal(s.Created()) || back.Created().After(before) || back.LastAccess().IsZero() {
			t.Errorf("times: created %v (saved %v), access %v", back.Created(), s.Created(), back.LastAccess())
		}
	}))
}

// Port of test_session.test_session_existing.
func TestSessionExisting(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, _ := loadSaved(t, m, "test", "testval")
		if s.IsNew() || s.Modified() {
			t.Errorf("existing session: new=%v modified=%v", s.IsNew(), s.Modified())
		}
	}))
}

// Port of test_session.test_session_dict_interface.
func TestSessionMapInterface(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, c := loadSaved(t, m, "kéy", "valué")
		if mustGet(t, s, "kéy") != "valué" || !s.Has("kéy") || s.Modified() {
			t.Fatal("loaded values")
		}
		s.Delete("kéy")
		if !s.Modified() || s.Has("kéy") {
			t.Fatal("Delete")
		}
		s2 := load(t, m, c)
		s2.Delete("absent")
		if s2.Modified() {
			t.Error("deleting an absent key modified the session")
		}
		s2.Set("kéy2", "valué2")
		if !s2.Modified() || s2.Len() != 2 {
			t.Fatalf("Set: len %d", s2.Len())
		}
		if got := s2.Keys(); !slices.Equal(got, []string{"kéy", "kéy2"}) {
			t.Errorf("Keys = %v", got)
		}
		var seen []string
		for k, v := range s2.All() {
			seen = append(seen, k+"="+v.(string))
		}
		if !slices.Equal(seen, []string{"kéy=valué", "kéy2=valué2"}) {
			t.Errorf("All = %v", seen)
		}
		if v, ok := s2.Pop("kéy2"); !ok || v != "valué2" || s2.Has("kéy2") {
			t.Error("Pop")
		}
		if _, ok := s2.Pop("kéy3"); ok {
			t.Error("Pop of an absent key")
		}
		if v, ok := s2.Get("kéy4"); ok || v != nil {
			t.Error("Get of an absent key")
		}
		// Internal keys: refused by Set (see TestReservedKeys), hidden
		// from Get, Keys and Len.
		s2.Set("_internal", 1)
		if err := s2.Err(); !errors.Is(err, session.ErrInternalKey) {
			t.Errorf("Set(_internal): Err = %v", err)
		}
		for _, k := range []string{"_creation", "_access", "_flash"} {
			if s2.Has(k) {
				t.Errorf("internal %s visible", k)
			}
			if _, ok := s2.Pop(k); ok {
				t.Errorf("internal %s popped", k)
			}
		}
		if s2.Len() != 1 || !slices.Equal(s2.Keys(), []string{"kéy"}) {
			t.Errorf("after internal ops: %v", s2.Keys())
		}
		s2.Clear()
		if s2.Len() != 0 || len(s2.Keys()) != 0 {
			t.Error("Clear")
		}
	}))
}

// Port of test_session.test_session_clear.
func TestSessionClear(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, _ := loadSaved(t, m, "kéy", "valué")
		if s.IsNew() || s.Modified() {
			t.Fatal("loaded state")
		}
		id := s.ID()
		s.Clear()
		if s.Len() != 0 || !s.Modified() || s.ID() != id {
			t.Fatalf("Clear: len %d modified %v", s.Len(), s.Modified())
		}
		c2 := save(t, s)
		if back := load(t, m, c2.String()); back.Len() != 0 || back.IsNew() {
			t.Error("cleared session reloaded with values")
		}
		empty := load(t, m, c2.String())
		empty.Clear()
		if empty.Modified() {
			t.Error("clearing an empty session modified it")
		}
	}))
}

// Port of test_session.test_session_not_new_after_save.
func TestSessionNotNewAfterSave(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		s, _ := saveNew(t, newMaker(t, bc, nil))
		if s.IsNew() || s.Modified() {
			t.Errorf("after save: new=%v modified=%v", s.IsNew(), s.Modified())
		}
	})
}

// Port of test_session.test_session_create_id: ids are 256-bit, URL-safe,
// unique.
func TestSessionIDs(t *testing.T) {
	m := newMaker(t, localBackends[0], nil)
	seen := map[string]bool{}
	for range 1000 {
		s := newSession(t, m)
		id := s.ID()
		b, err := base64.RawURLEncoding.DecodeString(id)
		if err != nil || len(b) != 32 || !session.ValidID(id) {
			t.Fatalf("id %q: %d bytes, %v", id, len(b), err)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

// Port of test_session.test_session: created survives a round trip.
func TestSessionCreatedKept(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, c := saveNew(t, m, "kéy", "valué")
		back := load(t, m, c)
		if back.IsNew() || mustGet(t, back, "kéy") != "valué" || !back.Created().Equal(s.Created()) {
			t.Errorf("created %v vs %v", back.Created(), s.Created())
		}
	}))
}

// Port of test_session.test_session_delete_other: deleting another
// session's record ends that session (server-side backends only: cookies
// cannot delete foreign data).
func TestSessionDeleteOther(t *testing.T) {
	forEachLocalStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s1, c1 := saveNew(t, m, "key", "value1")
		s2 := newSession(t, m)
		s2.Set("key", "value2")
		if err := m.Backend().Delete(ctx, s1.ID(), nil); err != nil {
			t.Fatal(err)
		}
		c2 := save(t, s2)
		if back := load(t, m, c2.String()); mustGet(t, back, "key") != "value2" || back.ID() != s2.ID() {
			t.Error("session 2 damaged")
		}
		back1 := load(t, m, c1)
		if back1.Has("key") || back1.ID() == s1.ID() || !back1.IsNew() {
			t.Error("deleted session 1 still loads (or its id was reused)")
		}
	}))
}

// Port of test_session.test_refresh (PySess's name; here Renew): new id,
// same data and times, old id gone; plus: the cookie from before the
// renewal never loads again, and Refresh is the same call.
func TestSessionRenew(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, nil)
		s, oldCookie := loadSaved(t, m, "kéy", "valué")
		oldID, created, access := s.ID(), s.Created(), s.LastAccess()
		if err := s.Renew(ctx); err != nil {
			t.Fatal(err)
		}
		if s.ID() == oldID || !s.Created().Equal(created) || !s.LastAccess().Equal(access) ||
			mustGet(t, s, "kéy") != "valué" || !s.Modified() {
			t.Fatalf("after Renew: id %q, modified %v", s.ID(), s.Modified())
		}
		c := save(t, s)
		if back := load(t, m, c.String()); back.ID() != s.ID() || mustGet(t, back, "kéy") != "valué" {
			t.Error("renewed session does not load")
		}
		id := s.ID()
		if err := s.Refresh(ctx); err != nil || s.ID() == id || mustGet(t, s, "kéy") != "valué" {
			t.Errorf("Refresh, the alias of Renew: %v, id kept: %v", err, s.ID() == id)
		}
		if !bc.serverSide {
			return // documented: a cookie session cannot be revoked
		}
		if ok, err := m.Backend().Exists(ctx, oldID); ok || err != nil {
			t.Errorf("old id still exists: %v %v", ok, err)
		}
		if old := load(t, m, oldCookie); !old.IsNew() || old.Has("kéy") {
			t.Error("the cookie from before Renew loads the session")
		}
	})
}

func TestSessionInvalidate(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, nil)
		s, oldCookie := loadSaved(t, m, "user", "alice")
		oldID := s.ID()
		s.AddFlash("bye")
		if err := s.Invalidate(ctx); err != nil {
			t.Fatal(err)
		}
		if s.ID() == oldID || s.Len() != 0 || !s.IsNew() || s.Modified() || s.Flashes() != nil {
			t.Fatalf("after Invalidate: id changed %v, len %d, new %v", s.ID() != oldID, s.Len(), s.IsNew())
		}
		s.Set("user", "bob")
		c := save(t, s)
		if back := load(t, m, c.String()); mustGet(t, back, "user") != "bob" {
			t.Error("new session after Invalidate")
		}
		if !bc.serverSide {
			return
		}
		if ok, _ := m.Backend().Exists(ctx, oldID); ok {
			t.Error("invalidated record still stored")
		}
		if old := load(t, m, oldCookie); !old.IsNew() {
			t.Error("invalidated cookie loads")
		}
	})
}

// Port of test_session.test_session_enc: with encryption the cookie does
// not reveal its payload; without it the (signed) payload is readable.
func TestSessionEncryption(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		secret := "a-very-recognisable-secret-value"
		plain := newMaker(t, bc, session.Settings{"encryption_key": nil})
		enc := newMaker(t, bc, session.Settings{"encryption_key": encKey})
		ps, pc := saveNew(t, plain, "k", secret)
		es, ec := saveNew(t, enc, "k", secret)
		decodedPlain := decodeValue(t, pc)
		decodedEnc := decodeValue(t, ec)
		if bc.serverSide {
			if !strings.Contains(decodedPlain, ps.ID()) {
				t.Error("signed cookie does not carry the id")
			}
		} else if !strings.Contains(decodedPlain, secret) {
			t.Error("signed cookie backend: value not in the payload (expected readable)")
		}
		if strings.Contains(decodedEnc, es.ID()) || strings.Contains(decodedEnc, secret) {
			t.Error("encrypted cookie reveals its payload")
		}
		if back := load(t, enc, ec); mustGet(t, back, "k") != secret {
			t.Error("encrypted round trip")
		}
		// A signed-only cookie is refused by an encrypting maker.
		if !load(t, enc, pc).IsNew() {
			t.Error("signed-only cookie accepted by an encrypting maker")
		}
	})
}

func decodeValue(t *testing.T, setCookie string) string {
	t.Helper()
	v, ok := cookie.Extract(setCookie, "session")
	if !ok {
		t.Fatalf("no cookie in %q", setCookie)
	}
	b, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Port of test_util.test_max_age_to_expires: Max-Age and Expires are set
// from the access time, Expires in the RFC 1123 GMT form.
func TestSessionCookieExpires(t *testing.T) {
	clk := testclock.New(time.Date(2013, 1, 1, 14, 35, 23, 0, time.UTC))
	m := newMaker(t, localBackends[0], session.Settings{"max_age": time.Hour}, session.WithClock(clk.Now))
	_, c := saveNew(t, m)
	if !strings.Contains(c, "Expires=Tue, 01 Jan 2013 15:35:23 GMT") || !strings.Contains(c, "Max-Age=3600") {
		t.Errorf("cookie %q", c)
	}
	// A browser-session cookie has neither.
	m2 := newMaker(t, localBackends[0], nil)
	_, c2 := saveNew(t, m2)
	if strings.Contains(c2, "Expires") || strings.Contains(c2, "Max-Age") {
		t.Errorf("session cookie %q", c2)
	}
}

func TestSessionTypedValues(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		at := time.Date(2024, 5, 6, 7, 8, 9, 10, time.FixedZone("X", 3600))
		values := map[string]any{
			"string": "s", "bool": true, "int": 1, "int8": int8(-8), "int16": int16(16), "int32": int32(-32),
			"int64": int64(1 << 40), "uint": uint(1), "uint8": uint8(8), "uint16": uint16(16),
			"uint32": uint32(32), "uint64": uint64(1 << 63), "float32": float32(1.5), "float64": 2.25,
			"bytes": []byte{0, 1, 2}, "time": at, "duration": 90 * time.Second, "nil": nil,
			"list":   []any{1, "two", []any{3.0, map[string]any{"four": int64(4)}}},
			"map":    map[string]any{"a": 1, "b": []any{true, nil}},
			"strs":   []string{"x", "y"},
			"strmap": map[string]string{"k": "v"},
			"user":   testUser{Name: "ann", Age: 41},
		}
		var kv []any
		for k, v := range values {
			kv = append(kv, k, v)
		}
		back, _ := loadSaved(t, m, kv...)
		for k, want := range values {
			got := mustGet(t, back, k)
			if k == "time" {
				if !got.(time.Time).Equal(at) {
					t.Errorf("time: %v", got)
				}
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s: got %#v (%T), want %#v (%T)", k, got, got, want, want)
			}
		}
		n, err := session.GetAs[int](back, "int")
		if err != nil || n != 1 {
			t.Errorf("GetAs[int] = %v, %v", n, err)
		}
		u, err := session.GetAs[testUser](back, "user")
		if err != nil || u.Name != "ann" {
			t.Errorf("GetAs[testUser] = %v, %v", u, err)
		}
		if _, err := session.GetAs[int64](back, "int"); !errors.Is(err, session.ErrWrongType) ||
			!strings.Contains(err.Error(), "int64") {
			t.Errorf("GetAs wrong type: %v", err)
		}
		if _, err := session.GetAs[string](back, "absent"); !errors.Is(err, session.ErrKeyNotFound) {
			t.Errorf("GetAs missing: %v", err)
		}
	}))
}

type testUser struct {
	Name string
	Age  int
}

func init() { session.RegisterType[testUser]("session_test.user") }

// A value the codec cannot encode fails Save, stores nothing and keeps
// the session's data.
func TestSessionUnsupportedValue(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, nil)
		s, c := saveNew(t, m, "kept", "yes")
		s.Set("bad", make(chan int))
		_, err := s.Save(ctx)
		if !errors.Is(err, session.ErrUnsupportedValue) || !strings.Contains(err.Error(), `"bad"`) {
			t.Fatalf("Save = %v", err)
		}
		if mustGet(t, s, "kept") != "yes" || !s.Modified() {
			t.Error("data lost on a failed save")
		}
		if bc.serverSide {
			if back := load(t, m, c); back.Has("bad") || mustGet(t, back, "kept") != "yes" {
				t.Error("failed save changed the store")
			}
		}
		s.Delete("bad")
		c2 := save(t, s)
		if back := load(t, m, c2.String()); mustGet(t, back, "kept") != "yes" {
			t.Error("save after fixing the value")
		}
	})
}

func TestSessionFlashes(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s := newSession(t, m)
		s.AddFlash("saved!")
		s.AddFlash(map[string]any{"level": "warn"})
		if s.Len() != 0 {
			t.Error("flashes counted as values")
		}
		c := save(t, s)
		back := load(t, m, c.String())
		f := back.Flashes()
		if len(f) != 2 || f[0] != "saved!" || !back.Modified() {
			t.Fatalf("Flashes = %v", f)
		}
		if back.Flashes() != nil {
			t.Error("flashes read twice")
		}
		c2 := save(t, back)
		if again := load(t, m, c2.String()); again.Flashes() != nil {
			t.Error("read flashes came back")
		}
	}))
}

func TestSessionAbort(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, _ := loadSaved(t, m, "k", "v")
		s.Set("k", "changed")
		ac := s.Abort()
		if ac.Value == "" || ac.MaxAge < 0 {
			t.Fatalf("Abort of a loaded session: %s", ac)
		}
		if back := load(t, m, ac.String()); mustGet(t, back, "k") != "v" {
			t.Error("aborted change stored, or the abort cookie does not load the session")
		}
		fresh, _ := m.New(ctx)
		if ec := fresh.Abort(); ec.MaxAge >= 0 || ec.Value != "" {
			t.Errorf("Abort of a new session: %s", ec)
		}
	}))
}

func TestCookieTooLarge(t *testing.T) {
	m := newMaker(t, localBackends[2], nil) // cookie backend
	s, _ := m.New(ctx)
	s.Set("big", strings.Repeat("x", 5000))
	if _, err := s.Save(ctx); !errors.Is(err, cookie.ErrTooLarge) {
		t.Fatalf("Save of a 5 kB cookie session = %v", err)
	}
	s.Set("big", strings.Repeat("x", 2000))
	c := save(t, s)
	if len(c.String()) > cookie.MaxCookieSize {
		t.Errorf("cookie of %d bytes", len(c.String()))
	}
	var _ http.Cookie = *c
}

func TestSessionAbortAfterSaveAndRenew(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, _ := saveNew(t, m, "k", "v")
		s.Set("k", "unsaved")
		if ac := s.Abort(); load(t, m, ac.String()).ID() != s.ID() {
			t.Error("Abort after Save does not return the saved session's cookie")
		}
		if err := s.Renew(ctx); err != nil {
			t.Fatal(err)
		}
		if ac := s.Abort(); ac.MaxAge >= 0 {
			t.Errorf("Abort after Renew: %s", ac)
		}
	}))
}

// ValidID accepts exactly the ids every backend can store: up to
// MaxIDLength characters, which is what the longest session_id_length
// (128 bytes) gives.
func TestValidIDBoundary(t *testing.T) {
	if !session.ValidID(strings.Repeat("a", session.MaxIDLength)) {
		t.Errorf("an id of MaxIDLength (%d) characters is refused", session.MaxIDLength)
	}
	if session.ValidID(strings.Repeat("a", session.MaxIDLength+1)) {
		t.Errorf("an id of %d characters is accepted", session.MaxIDLength+1)
	}
	// A 256-character id was accepted before, and the file backend
	// cannot name a file after it (NAME_MAX is 255 bytes).
	if session.ValidID(strings.Repeat("a", 256)) {
		t.Error("a 256-character id is accepted")
	}
}

// The longest ids the Maker makes are valid and stored by every backend.
func TestLongestIDsOnEveryBackend(t *testing.T) {
	forEachBackendWithServers(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, session.Settings{"session_id_length": 128})
		s, c := saveNew(t, m, "k", "v")
		if len(s.ID()) != session.MaxIDLength || !session.ValidID(s.ID()) {
			t.Fatalf("id of %d characters, valid %v", len(s.ID()), session.ValidID(s.ID()))
		}
		if back := load(t, m, c); back.IsNew() || mustGet(t, back, "k") != "v" {
			t.Error("a session with the longest id does not load")
		}
	})
}

// Set has no error result; a reserved key ("_...") is refused by storing
// nothing and failing every later Save with ErrInternalKey, so that the
// mistake is neither silent nor lost.
func TestReservedKeys(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
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
	}))
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
