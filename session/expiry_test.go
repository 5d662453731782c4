package session_test

import (
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
	"github.com/gosess/gosess/session"
)

// Port of test_session_expiry.test_refresh_on_access: a session whose last
// access is older than max_age loads as a new one, and its record is gone.
func TestExpiryRefreshOnAccess(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m, clk := clockedMaker(t, bc, session.Settings{"max_age": 10})
		old, c := saveNew(t, m, "k", "v")
		clk.Advance(9 * time.Second)
		s := load(t, m, c) // within max_age
		if s.IsNew() {
			t.Fatal("expired too early")
		}
		ck, err := s.Save(ctx) // records the access, re-issues the cookie
		if err != nil {
			t.Fatal(err)
		}
		c = ck.String()
		clk.Advance(9 * time.Second) // 18 s after creation, 9 after access
		if s := load(t, m, c); s.IsNew() || mustGet(t, s, "k") != "v" {
			t.Fatal("refresh on access did not extend the session")
		}
		clk.Advance(100 * time.Second)
		s = load(t, m, c)
		if !s.IsNew() || s.Has("k") || s.ID() == old.ID() {
			t.Fatal("expired session loaded")
		}
		if bc.serverSide {
			if ok, _ := m.Backend().Exists(ctx, old.ID()); ok {
				t.Error("expired record not removed")
			}
		}
	})
}

// Port of test_session_expiry.test_no_access_no_refresh: loading a session
// without saving it does not record an access.
func TestExpiryNoAccessNoRefresh(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m, clk := clockedMaker(t, bc, session.Settings{"max_age": 10})
		s, c := saveNew(t, m, "test", "val")
		access := s.LastAccess()
		clk.Advance(5 * time.Second)
		load(t, m, c) // read only
		clk.Advance(time.Second)
		if got := load(t, m, c).LastAccess(); !got.Equal(access) {
			t.Errorf("access moved by a read: %v -> %v", access, got)
		}
	})
}

// Port of test_session_expiry.test_static_expiry: without
// refresh_on_access, max_age counts from the creation whatever the
// accesses.
func TestExpiryStatic(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m, clk := clockedMaker(t, bc, session.Settings{"max_age": 10, "refresh_on_access": false})
		_, c := saveNew(t, m, "test", "val")
		clk.Advance(6 * time.Second)
		s := load(t, m, c)
		if s.IsNew() {
			t.Fatal("expired too early")
		}
		c2 := save(t, s)
		if c2.MaxAge != 4 {
			t.Errorf("cookie Max-Age %d, want the 4 s left", c2.MaxAge)
		}
		clk.Advance(6 * time.Second)
		if s := load(t, m, c2.String()); !s.IsNew() {
			t.Error("static expiry extended by an access")
		}
	})
}

// Port of test_session_expiry.test_no_expiry: without max_age or lifetime
// sessions do not expire on the server. (The cookie backend defaults to a
// finite max_age, so it is given max_age = 0 explicitly.)
func TestExpiryNone(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m, clk := clockedMaker(t, bc, session.Settings{"max_age": 0})
		s, c := saveNew(t, m, "k", "v")
		clk.Advance(10000 * time.Hour)
		back := load(t, m, c)
		if back.IsNew() || !back.Created().Equal(s.Created()) || !back.LastAccess().Equal(s.LastAccess()) {
			t.Error("session without max_age expired")
		}
	})
}

// lifetime caps a session however often it is used.
func TestExpiryLifetime(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m, clk := clockedMaker(t, bc, session.Settings{"max_age": "10s", "lifetime": "25s"})
		_, c := saveNew(t, m, "k", "v")
		for range 3 { // accesses at 8, 16, 24 s
			clk.Advance(8 * time.Second)
			s := load(t, m, c)
			if s.IsNew() {
				t.Fatalf("expired at %v", s.Created())
			}
			ck := save(t, s)
			c = ck.String()
		}
		clk.Advance(2 * time.Second) // 26 s
		if !load(t, m, c).IsNew() {
			t.Error("lifetime not enforced")
		}
	})
}

// The cookie's own age is checked too: a cookie older than max_age is
// refused even when the record would still be alive.
func TestExpiryCookieAge(t *testing.T) {
	m, clk := clockedMaker(t, localBackends[0], session.Settings{"max_age": 10})
	s, c := saveNew(t, m, "k", "v")
	clk.Advance(8 * time.Second)
	if _, err := load(t, m, c).Save(ctx); err != nil { // access, but c is not re-issued
		t.Fatal(err)
	}
	clk.Advance(4 * time.Second)
	if back := load(t, m, c); !back.IsNew() || back.ID() == s.ID() {
		t.Error("cookie older than max_age accepted")
	}
}

// Backends get a TTL: the driver under the dogpile backend receives one
// derived from max_age, and a file record carries its expiry.
func TestExpiryBackendTTL(t *testing.T) {
	rec := &ttlRecorder{}
	r := region.New("ttl")
	if err := r.Configure("memory", region.Config{Wrap: []region.Proxy{regiontest.WatchWrites(rec.record)}}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	m := newMaker(t, backendCase{name: "dogpile", settings: func(testing.TB) session.Settings {
		return session.Settings{"backend": "dogpile", "region": r}
	}}, session.Settings{"max_age": "30m"})
	saveNew(t, m, "k", "v")
	if got := rec.last(); got < 30*time.Minute || got > 61*time.Minute {
		t.Errorf("driver TTL %v for max_age 30m", got)
	}

	fm, clk := clockedMaker(t, localBackends[1], session.Settings{"max_age": "30m"})
	s, _ := saveNew(t, fm, "k", "v")
	stored, err := fm.Backend().Load(ctx, s.ID())
	if err != nil {
		t.Fatal(err)
	}
	if want := clk.Now().Add(30 * time.Minute); !stored.Expires.Equal(want) {
		t.Errorf("file record expires %v, want %v", stored.Expires, want)
	}
}

type ttlRecorder struct {
	mu   sync.Mutex
	ttls []time.Duration
}

func (r *ttlRecorder) record(_ string, _ []byte, ttl time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ttls = append(r.ttls, ttl)
}

func (r *ttlRecorder) last() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ttls) == 0 {
		return -1
	}
	return r.ttls[len(r.ttls)-1]
}
