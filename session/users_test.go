package session_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cookiebackend "github.com/gosess/gosess/backends/cookie"
	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/backends/file"
	"github.com/gosess/gosess/session"
)

// userBackends are the backends with per-user records: the server-side
// ones (sessions are deleted) and the cookie backend with a store
// (sessions carry a generation).
var userBackends = append([]backendCase{
	localBackends[0], // dogpile on a memory region
	{"file", true, func(t testing.TB) session.Settings {
		return session.Settings{"backend": "file", "dir": filepath.Join(t.TempDir(), "sessions"), "sync": false}
	}},
	{"cookie", false, func(t testing.TB) session.Settings {
		return session.Settings{"backend": "cookie", "encryption_key": encKey, "region": memoryRegion(t)}
	}},
}, serverBackends...)

func forEachUserBackend(t *testing.T, f func(t *testing.T, bc backendCase)) {
	for _, bc := range userBackends {
		t.Run(bc.name, func(t *testing.T) { f(t, bc) })
	}
}

// login saves a new session bound to user and returns it and its cookie.
func login(t testing.TB, m *session.Maker, user string) (*session.Session, string) {
	t.Helper()
	s := newSession(t, m)
	s.SetUser(user)
	s.Set("who", user)
	c, err := s.Save(ctx)
	if err != nil {
		t.Fatalf("login %s: %v", user, err)
	}
	return s, c.String()
}

func sessionIDs(list []session.UserSession) []string {
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

// The per-user revoke test, on memory (dogpile), file, the cookie
// backend with a store, redis and memcached: a user's sessions are
// listed, RevokeUser ends them all (their cookies load as new sessions),
// other users' and anonymous sessions stay, and a new login works.
func TestRevokeUser(t *testing.T) {
	forEachUserBackend(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, session.Settings{"max_age": "1h"})
		var annIDs []string
		var annCookies []string
		for range 3 {
			s, c := login(t, m, "ann")
			annIDs = append(annIDs, s.ID())
			annCookies = append(annCookies, c)
		}
		slices.Sort(annIDs)
		_, bob := login(t, m, "bob")
		_, anon := saveNew(t, m, "a", 1)
		if back := load(t, m, annCookies[0]); back.User() != "ann" || back.IsNew() {
			t.Fatalf("the binding does not load: user %q", back.User())
		}

		list, err := m.UserSessions(ctx, "ann")
		switch {
		case !bc.serverSide:
			if !errors.Is(err, session.ErrUnsupported) || !strings.Contains(err.Error(), "cannot list") {
				t.Errorf("cookie UserSessions: %v", err)
			}
		case err != nil:
			t.Fatal(err)
		case !slices.Equal(sessionIDs(list), annIDs):
			t.Errorf("UserSessions %v, want %v", sessionIDs(list), annIDs)
		case list[0].Created.IsZero() || list[0].LastAccess.IsZero() || list[0].Expires.IsZero():
			t.Errorf("times missing: %+v", list[0])
		}
		// A request that loaded one of them before the revocation.
		inFlight := load(t, m, annCookies[1])

		n, err := m.RevokeUser(ctx, "ann")
		if err != nil || n != 3 {
			t.Fatalf("RevokeUser = %d, %v; want 3", n, err)
		}
		for i, c := range annCookies {
			if back := load(t, m, c); !back.IsNew() || back.User() != "" {
				t.Errorf("ann's session %d still loads after RevokeUser", i)
			}
		}
		if back := load(t, m, bob); back.IsNew() || back.User() != "bob" {
			t.Error("bob's session ended too")
		}
		if back := load(t, m, anon); back.IsNew() {
			t.Error("an anonymous session ended")
		}
		if bc.serverSide {
			inFlight.Set("late", true)
			var ce *session.ConflictError
			if _, err := inFlight.Save(ctx); !errors.As(err, &ce) || !ce.Gone {
				t.Errorf("a save of a revoked session: %v, want a ConflictError (gone)", err)
			}
			if list, err := m.UserSessions(ctx, "ann"); err != nil || len(list) != 0 {
				t.Errorf("after RevokeUser: %v, %v", list, err)
			}
		}
		if n, err := m.RevokeUser(ctx, "ann"); err != nil || n != 0 {
			t.Errorf("second RevokeUser = %d, %v", n, err)
		}
		_, again := login(t, m, "ann")
		if back := load(t, m, again); back.IsNew() || back.User() != "ann" {
			t.Error("a login after RevokeUser does not last")
		}
		if n, err := m.RevokeUser(ctx, "ann"); err != nil || n != 1 {
			t.Errorf("RevokeUser of the new login = %d, %v", n, err)
		}
	})
}

// A session bound to one user and then to another belongs to the second
// only; unbinding takes it from both.
func TestRebindAndUnbind(t *testing.T) {
	forEachUserBackend(t, func(t *testing.T, bc backendCase) {
		if strings.Contains(bc.name, "-") {
			t.Skip("the local backends show it")
		}
		m := newMaker(t, bc, session.Settings{"max_age": "1h"})
		s, c := login(t, m, "ann")
		s = load(t, m, c)
		s.SetUser("bob")
		cb := save(t, s)
		if n, err := m.RevokeUser(ctx, "ann"); err != nil || (bc.serverSide && n != 0) {
			t.Fatalf("RevokeUser(ann) = %d, %v", n, err)
		}
		if back := load(t, m, cb.String()); back.IsNew() || back.User() != "bob" {
			t.Fatal("revoking the former user ended the session")
		}
		if n, err := m.RevokeUser(ctx, "bob"); err != nil || n != 1 {
			t.Fatalf("RevokeUser(bob) = %d, %v", n, err)
		}
		if back := load(t, m, cb.String()); !back.IsNew() {
			t.Fatal("revoking the user it is bound to did not end it")
		}
		_, c = login(t, m, "carl")
		s = load(t, m, c)
		s.SetUser("")
		cu := save(t, s)
		if n, _ := m.RevokeUser(ctx, "carl"); bc.serverSide && n != 0 {
			t.Errorf("RevokeUser ended %d unbound sessions", n)
		}
		if back := load(t, m, cu.String()); back.IsNew() || back.User() != "" {
			t.Error("an unbound session was ended")
		}
	})
}

// Login with Renew: the new id is indexed, the old one leaves the index
// at once, and so does a session at Invalidate (logout).
func TestRenewAndInvalidateLeaveTheIndex(t *testing.T) {
	for _, bc := range userBackends[:2] {
		t.Run(bc.name, func(t *testing.T) {
			m := newMaker(t, bc, nil) // no max_age: entries leave only this way
			s, _ := loadSaved(t, m, "cart", 3)
			if err := s.Renew(ctx); err != nil {
				t.Fatal(err)
			}
			s.SetUser("ann")
			c2 := save(t, s)
			s = load(t, m, c2.String())
			if err := s.Renew(ctx); err != nil {
				t.Fatal(err)
			}
			c3 := save(t, s)
			if ids, err := session.UserIndex(ctx, m, "ann"); err != nil || !slices.Equal(ids, []string{s.ID()}) {
				t.Fatalf("index after two renewals %v (%v), want only %s", ids, err, s.ID())
			}
			s = load(t, m, c3.String())
			if err := s.Invalidate(ctx); err != nil {
				t.Fatal(err)
			}
			if ids, err := session.UserIndex(ctx, m, "ann"); err != nil || len(ids) != 0 {
				t.Fatalf("index after logout %v (%v)", ids, err)
			}
			if s.User() != "" {
				t.Error("Invalidate kept the user")
			}
		})
	}
}

// The index does not grow without bound: sessions that expired leave it
// at the next write (here 40 logins that are never used again, then one
// more 10 minutes later). On the file backend Cleanup removes the record
// of a user whose sessions all ended.
func TestUserIndexForgetsExpiredSessions(t *testing.T) {
	for _, bc := range userBackends[:3] {
		t.Run(bc.name, func(t *testing.T) {
			m, clk := clockedMaker(t, bc, session.Settings{"max_age": "1m"})
			for range 40 {
				login(t, m, "ann")
			}
			if ids, _ := session.UserIndex(ctx, m, "ann"); len(ids) != 40 {
				t.Fatalf("index holds %d of 40 live sessions", len(ids))
			}
			clk.Advance(10 * time.Minute)
			s, _ := login(t, m, "ann")
			ids, err := session.UserIndex(ctx, m, "ann")
			if err != nil || !slices.Equal(ids, []string{s.ID()}) {
				t.Fatalf("index after the others expired: %d ids (%v)", len(ids), err)
			}
			if fb, ok := m.Backend().(*file.Backend); ok {
				clk.Advance(10 * time.Minute)
				if _, err := m.Cleanup(ctx); err != nil {
					t.Fatal(err)
				}
				if left, _ := filepath.Glob(filepath.Join(fb.Dir(), ".users", "*")); len(left) != 0 {
					t.Errorf("Cleanup left user records: %v", left)
				}
			}
		})
	}
}

// A session used for long (refresh on access: every access moves its
// expiry) renews its index entry as it goes, about once per max_age, and
// stays revocable: the index never forgets a live session.
func TestLongUsedSessionStaysRevocable(t *testing.T) {
	for _, bc := range userBackends[:3] {
		t.Run(bc.name, func(t *testing.T) {
			m, clk := clockedMaker(t, bc, session.Settings{"max_age": "10m", "touch_interval": "1m"})
			long, c := login(t, m, "ann")
			for i := range 40 { // 40 x 4 minutes: 16 times max_age
				clk.Advance(4 * time.Minute)
				s := load(t, m, c)
				if s.IsNew() {
					t.Fatal("the session expired while in use")
				}
				s.Set("n", i)
				nc := save(t, s)
				c = nc.String()
				if i%5 == 4 {
					// A login of the same user on another device writes
					// the index, which drops the entries it may drop.
					login(t, m, "ann")
					if ids, _ := session.UserIndex(ctx, m, "ann"); !slices.Contains(ids, long.ID()) {
						t.Fatalf("after %v of use the index forgot the session", time.Duration(i+1)*4*time.Minute)
					}
				}
			}
			if n, err := m.RevokeUser(ctx, "ann"); err != nil || n < 2 || n > 3 {
				t.Fatalf("RevokeUser after long use = %d, %v; want the long session and the last logins", n, err)
			}
			if !load(t, m, c).IsNew() {
				t.Fatal("the session outlived RevokeUser")
			}
		})
	}
}

// Without per-user records the binding still round-trips, and listing or
// revoking fails with ErrUnsupported saying why.
func TestUserSessionsUnsupported(t *testing.T) {
	m := newMaker(t, localBackends[2], nil) // the cookie backend, no store
	_, c := login(t, m, "ann")
	if back := load(t, m, c); back.User() != "ann" {
		t.Fatalf("binding %q", back.User())
	}
	_, err := m.RevokeUser(ctx, "ann")
	if !errors.Is(err, session.ErrUnsupported) || !strings.Contains(err.Error(), "WithUserStore") {
		t.Errorf("RevokeUser without a store: %v", err)
	}
	if _, err := m.UserSessions(ctx, "ann"); !errors.Is(err, session.ErrUnsupported) {
		t.Errorf("UserSessions: %v", err)
	}
	custom, err := session.New(session.Config{Backend: plainBackend{cookiebackend.New()}, SignatureKeys: [][]byte{sigKey}},
		session.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := custom.RevokeUser(ctx, "ann"); !errors.Is(err, session.ErrUnsupported) || !strings.Contains(err.Error(), "UserStore") {
		t.Errorf("a backend without UserStore: %v", err)
	}
	if _, err := newMaker(t, userBackends[0], nil).RevokeUser(ctx, ""); !errors.Is(err, session.ErrInvalidSetting) {
		t.Errorf("the empty user: %v", err)
	}
}

// plainBackend hides every optional capability of a backend.
type plainBackend struct{ session.Backend }

// The user binding merges as a key: a request that binds and one that
// sets a value both keep their change; two that bind conflict.
func TestUserBindingMerges(t *testing.T) {
	m := newMaker(t, userBackends[0], session.Settings{"max_age": "1h"})
	_, c := saveNew(t, m, "n", 0)
	a, b := load(t, m, c), load(t, m, c)
	a.SetUser("ann")
	if _, err := a.Save(ctx); err != nil {
		t.Fatal(err)
	}
	b.Set("theme", "dark")
	if _, err := b.Save(ctx); err != nil {
		t.Fatalf("merge with a binding: %v", err)
	}
	back := load(t, m, c)
	if back.User() != "ann" || mustGet(t, back, "theme") != "dark" {
		t.Fatalf("merged: user %q, keys %v", back.User(), back.Keys())
	}
	if n, err := m.RevokeUser(ctx, "ann"); err != nil || n != 1 {
		t.Fatalf("RevokeUser of the merged session = %d, %v", n, err)
	}
	_, c = saveNew(t, m, "n", 0)
	a, b = load(t, m, c), load(t, m, c)
	a.SetUser("ann")
	b.SetUser("bob")
	if _, err := a.Save(ctx); err != nil {
		t.Fatal(err)
	}
	var ce *session.ConflictError
	if _, err := b.Save(ctx); !errors.As(err, &ce) || !slices.Equal(ce.Keys, []string{"_user"}) {
		t.Fatalf("two bindings: %v", err)
	}
}

// Logins and saves racing with RevokeUser (goroutines; the same with
// processes is in backends/dogpile): every session that existed before
// RevokeUser began is gone when it returns, whatever was saved
// meanwhile, and every bound session that survives (logins that raced
// with the revocations) is in the user's index, so a last RevokeUser
// ends it.
func TestRevokeUserRaces(t *testing.T) {
	for _, bc := range []backendCase{userBackends[0], userBackends[1], userBackends[3]} {
		t.Run(bc.name, func(t *testing.T) {
			m := newMaker(t, bc, session.Settings{"max_age": "1h"})
			var before []string
			for range 12 {
				_, c := login(t, m, "ann")
				before = append(before, c)
			}
			var (
				mu     sync.Mutex
				during []string
				wg     sync.WaitGroup
			)
			stop := make(chan struct{})
			for i := range 4 {
				wg.Go(func() { // saves of the existing sessions
					for j := 0; ; j++ {
						select {
						case <-stop:
							return
						default:
						}
						s, err := m.Load(ctx, before[(i*3+j)%len(before)])
						if err != nil {
							t.Error(err)
							return
						}
						s.Set(fmt.Sprint("k", i), j)
						s.Save(ctx) // may conflict: revoked meanwhile
					}
				})
				wg.Go(func() { // logins
					for range 60 {
						select {
						case <-stop:
							return
						default:
						}
						s, err := m.New(ctx)
						if err != nil {
							t.Error(err)
							return
						}
						s.SetUser("ann")
						c, err := s.Save(ctx)
						if err == nil {
							mu.Lock()
							during = append(during, c.String())
							mu.Unlock()
						}
						time.Sleep(300 * time.Microsecond) // spread the logins over the revocations
					}
				})
			}
			time.Sleep(20 * time.Millisecond)
			if _, err := m.RevokeUser(ctx, "ann"); err != nil {
				t.Fatal(err)
			}
			for i, c := range before {
				if !load(t, m, c).IsNew() {
					t.Errorf("session %d from before RevokeUser survived it", i)
				}
			}
			for range 20 { // more revocations while the logins go on
				if _, err := m.RevokeUser(ctx, "ann"); err != nil {
					t.Fatal(err)
				}
				time.Sleep(time.Millisecond)
			}
			close(stop)
			wg.Wait()
			survivors := 0
			for _, c := range during {
				if !load(t, m, c).IsNew() {
					survivors++
				}
			}
			n, err := m.RevokeUser(ctx, "ann")
			if err != nil || n != survivors {
				t.Fatalf("second RevokeUser = %d, %v; %d logins of %d survived the first: the index missed %d",
					n, err, survivors, len(during), survivors-n)
			}
			for _, c := range during {
				if !load(t, m, c).IsNew() {
					t.Fatal("a login survived the second RevokeUser")
				}
			}
			t.Logf("%d logins raced with RevokeUser, %d survived it and were in the index", len(during), survivors)
		})
	}
}

// The typed configuration: cookie.New with a user store revokes too.
func TestCookieBackendWithUserStore(t *testing.T) {
	r := memoryRegion(t)
	m, err := session.New(session.Config{
		Backend:        cookiebackend.New(cookiebackend.WithUserStore(dogpile.New(r))),
		SignatureKeys:  [][]byte{sigKey},
		EncryptionKeys: [][]byte{encKey},
	}, session.WithLogger(discard))
	if err != nil {
		t.Fatal(err)
	}
	_, c := login(t, m, "ann")
	if n, err := m.RevokeUser(ctx, "ann"); err != nil || n != 1 {
		t.Fatalf("RevokeUser = %d, %v", n, err)
	}
	if back := load(t, m, c); !back.IsNew() || m.Stats().Rejected[session.RejectRevoked] != 1 {
		t.Fatalf("a revoked cookie session loads (rejected %v)", m.Stats().Rejected)
	}
	// An unconfigured region in the store is refused when the maker is.
	_, err = session.New(session.Config{
		Backend:       cookiebackend.New(cookiebackend.WithUserStore(dogpile.New(nil))),
		SignatureKeys: [][]byte{sigKey},
	}, session.WithLogger(discard))
	if !errors.Is(err, session.ErrInvalidSetting) {
		t.Errorf("an unconfigured store: %v", err)
	}
}
