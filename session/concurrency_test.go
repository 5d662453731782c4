package session_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

// Port of test_concurrency.test_no_read_lock: a reader is not blocked by a
// writer that has loaded the session, and does not see its unsaved
// changes.
func TestConcurrencyNoReadLock(t *testing.T) {
	forEachBackend(t, withMaker(func(t *testing.T, m *session.Maker) {
		writer, c := loadSaved(t, m)
		writer.Set("kéy", "valué")
		read := make(chan bool)
		go func() {
			s, err := m.Load(ctx, c)
			read <- err == nil && !s.Has("kéy")
		}()
		if !<-read {
			t.Fatal("reader saw unsaved data or failed")
		}
		wc := save(t, writer)
		if mustGet(t, load(t, m, wc.String()), "kéy") != "valué" {
			t.Error("write lost")
		}
	}))
}

// Port of test_concurrency.test_write_conflict (which fails in PySess):
// two requests load the same session; the first to save wins, the second
// gets ErrConflict and its change is not stored.
func TestConcurrencyWriteConflict(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		first, second, c := twoRequests(t, m)
		var wg sync.WaitGroup
		var err1 error
		firstSaved := make(chan struct{})
		wg.Add(2)
		go func() {
			defer wg.Done()
			first.Set("key", "value")
			_, err1 = first.Save(ctx)
			close(firstSaved)
		}()
		var err2 error
		go func() {
			defer wg.Done()
			second.Set("key", "value2")
			<-firstSaved
			_, err2 = second.Save(ctx)
		}()
		wg.Wait()
		if err1 != nil {
			t.Fatalf("first save: %v", err1)
		}
		var ce *session.ConflictError
		if !errors.Is(err2, session.ErrConflict) || !errors.As(err2, &ce) || len(ce.Keys) != 1 || ce.Keys[0] != "key" {
			t.Fatalf("second save = %v, want a ConflictError on key", err2)
		}
		wantStored(t, m, c, "key", "value", "the first writer's value")
	}))
}

// Port of test_concurrency.test_write_lock: two writers of different keys
// both end up stored, without an error: the second save merges.
func TestConcurrencyWriteMerge(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s1, s2, c := twoRequests(t, m)
		s1.Set("key", "value")
		s2.Set("key2", "value2")
		save(t, s1)
		if _, err := s2.Save(ctx); err != nil {
			t.Fatalf("second save = %v, want a merge", err)
		}
		final := load(t, m, c)
		if mustGet(t, final, "key") != "value" || mustGet(t, final, "key2") != "value2" {
			t.Errorf("final keys %v", final.Keys())
		}
	}))
}

// Many writers increment one counter with load-modify-save and retry on
// ErrConflict: no increment is lost, which holds only if the version check
// and the write are atomic.
func TestConcurrencyCounter(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		_, c := saveNew(t, m, "n", 0)
		const workers, each = 4, 10
		var wg sync.WaitGroup
		errs := make(chan error, workers)
		for range workers {
			wg.Go(func() {
				_, err := sessiontest.Increment(ctx, m, c, "n", each)
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		wantStored(t, m, c, "n", workers*each, "every increment")
	}))
}

// A touch (save without changes) that loses to a concurrent writer is
// not an error and does not overwrite the writer's data.
func TestConcurrencyTouchLosesQuietly(t *testing.T) {
	forEachLocalStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		toucher, writer, c := twoRequests(t, m, "k", "old")
		writer.Set("k", "new")
		save(t, writer)
		if _, err := toucher.Save(ctx); err != nil {
			t.Fatalf("touch after a concurrent write: %v", err)
		}
		wantStored(t, m, c, "k", "new", "the write's value (a touch does not overwrite it)")
	}))
}

// A save racing with Invalidate (logout) of the same session must not
// bring the session back.
func TestConcurrencyNoResurrection(t *testing.T) {
	forEachLocalStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s0, c := saveNew(t, m, "user", "alice")
		logout, other := load(t, m, c), load(t, m, c)
		if err := logout.Invalidate(ctx); err != nil {
			t.Fatal(err)
		}
		other.Set("cart", 3)
		var ce *session.ConflictError
		if _, err := other.Save(ctx); !errors.As(err, &ce) || !ce.Gone {
			t.Fatalf("save after logout = %v, want a ConflictError, session gone", err)
		}
		if ok, _ := m.Backend().Exists(ctx, s0.ID()); ok {
			t.Error("logged-out session resurrected")
		}
	}))
}

// Tests of the merge of concurrent saves (session/merge.go): two requests
// load one session, the first saves, and the second's save merges with it
// or conflicts. Every test runs on the dogpile backend (memory, redis and
// memcached regions with default driver arguments) and the file backend.

// twoRequests saves a session holding kv and loads it twice, as two
// concurrent requests of one client would.
func twoRequests(t *testing.T, m *session.Maker, kv ...any) (first, second *session.Session, cookie string) {
	t.Helper()
	first, c := loadSaved(t, m, kv...)
	return first, load(t, m, c), c
}

// wantConflict saves first, then checks that the save of second, loaded
// before first's save, is a ConflictError on exactly keys.
func wantConflict(t *testing.T, first, second *session.Session, keys ...string) {
	t.Helper()
	save(t, first)
	_, err := second.Save(ctx)
	var ce *session.ConflictError
	if !errors.Is(err, session.ErrConflict) || !errors.As(err, &ce) || !slices.Equal(ce.Keys, keys) {
		t.Fatalf("err = %v, want a conflict on %q", err, keys)
	}
}

// wantValues checks the keys and values of s.
func wantValues(t *testing.T, s *session.Session, want map[string]any) {
	t.Helper()
	got := map[string]any{}
	for k, v := range s.All() {
		got[k] = v
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("values %v, want %v", got, want)
	}
}

// Set, Delete and new keys of two requests on different keys all stand,
// and the merging Session holds the result.
func TestMergeDifferentKeys(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s1, s2, c := twoRequests(t, m, "a", 1, "b", 2, "c", 3)
		s1.Set("a", 10)
		s1.Delete("c")
		s2.Set("b", 20)
		s2.Set("d", 4)
		save(t, s1)
		save(t, s2)
		want := map[string]any{"a": 10, "b": 20, "d": 4}
		wantValues(t, load(t, m, c), want)
		wantValues(t, s2, want)
		if st := m.Stats(); st.Merges != 1 || st.Conflicts != 0 {
			t.Errorf("stats: %d merges, %d conflicts; want 1, 0", st.Merges, st.Conflicts)
		}
	}))
}

// The same key changed by both is a conflict: nothing of the second
// request is stored (not even its other keys) and it keeps its values.
func TestMergeSameKeyConflicts(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s1, s2, c := twoRequests(t, m, "a", 1, "b", 2)
		s1.Set("a", 10)
		s2.Set("a", 11)
		s2.Set("b", 22)
		wantConflict(t, s1, s2, "a")
		wantValues(t, load(t, m, c), map[string]any{"a": 10, "b": 2})
		wantValues(t, s2, map[string]any{"a": 11, "b": 22})
		if st := m.Stats(); st.Conflicts != 1 || st.Merges != 0 {
			t.Errorf("stats: %d conflicts, %d merges; want 1, 0", st.Conflicts, st.Merges)
		}
	}))
}

// Both requests storing the same new value is still a conflict: it is
// what two increments of a counter from the same value look like.
func TestMergeSameValueIsAConflict(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s1, s2, c := twoRequests(t, m, "n", 5)
		s1.Set("n", 6)
		s2.Set("n", 6)
		wantConflict(t, s1, s2, "n")
		// Deleting the same key in both is a change by both too.
		s3, s4 := load(t, m, c), load(t, m, c)
		s3.Delete("n")
		s4.Delete("n")
		wantConflict(t, s3, s4, "n")
	}))
}

// Setting a key to the value it had is no change: the other request's
// change of it stands.
func TestMergeUnchangedValue(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s1, s2, c := twoRequests(t, m, "role", "user", "x", 0)
		s1.Set("role", "admin")
		s2.Set("role", "user") // as loaded
		s2.Set("x", 1)
		save(t, s1)
		save(t, s2)
		wantValues(t, load(t, m, c), map[string]any{"role": "admin", "x": 1})
	}))
}

// Clear changes the keys that were set; a key the other request added
// meanwhile is not one of them.
func TestMergeClear(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s1, s2, c := twoRequests(t, m, "a", 1)
		s1.Set("b", 2)
		s2.Clear()
		save(t, s1)
		save(t, s2)
		wantValues(t, load(t, m, c), map[string]any{"b": 2})
		// A Clear against a change of a cleared key conflicts.
		s3, s4 := load(t, m, c), load(t, m, c)
		s3.Set("b", 3)
		s4.Clear()
		wantConflict(t, s3, s4, "b")
	}))
}

// A value changed in place (no Set) is seen by comparing what each request
// stores: it merges with other keys and conflicts on the same key.
func TestMergeInPlaceChange(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s1, s2, c := twoRequests(t, m, "prefs", map[string]any{"theme": "light"}, "n", 1)
		s1.Set("n", 2)
		prefs, err := session.GetAs[map[string]any](s2, "prefs")
		if err != nil {
			t.Fatal(err)
		}
		prefs["theme"] = "dark"
		s2.MarkModified()
		save(t, s1)
		save(t, s2)
		wantValues(t, load(t, m, c), map[string]any{"n": 2, "prefs": map[string]any{"theme": "dark"}})

		s3, s4 := load(t, m, c), load(t, m, c)
		s3.Set("prefs", map[string]any{"theme": "blue"})
		prefs, _ = session.GetAs[map[string]any](s4, "prefs")
		prefs["lang"] = "fr"
		s4.MarkModified()
		wantConflict(t, s3, s4, "prefs")
	}))
}

// Flash messages always merge: both requests' new messages are kept, in
// the order of the saves, and messages read by one request are not shown
// again, nor those read by both.
func TestMergeFlashes(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s0, c := saveNew(t, m)
		s0.AddFlash("old")
		save(t, s0)

		s1, s2 := load(t, m, c), load(t, m, c)
		s1.AddFlash("one")
		s2.AddFlash("two")
		save(t, s1)
		save(t, s2)

		reader, adder := load(t, m, c), load(t, m, c)
		adder.AddFlash("three")
		save(t, adder)
		if got := fmt.Sprint(reader.Flashes()); got != "[old one two]" {
			t.Fatalf("reader saw %s", got)
		}
		save(t, reader)

		r1, r2 := load(t, m, c), load(t, m, c)
		if a, b := fmt.Sprint(r1.Flashes()), fmt.Sprint(r2.Flashes()); a != "[three]" || b != "[three]" {
			t.Fatalf("flashes %s and %s, want [three] twice", a, b)
		}
		r2.AddFlash("four")
		save(t, r1)
		save(t, r2)
		if got := fmt.Sprint(load(t, m, c).Flashes()); got != "[four]" {
			t.Errorf("after both read: %s, want [four]", got)
		}
	}))
}

// A Session that saves twice bases its second save on its first (no load
// in between); another request's save in between is merged.
func TestMergeSecondSaveOfASession(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, other, c := twoRequests(t, m, "a", 1)
		s.Set("a", 2)
		save(t, s)
		s.Set("b", 3)
		save(t, s) // nothing in between
		other.Set("c", 4)
		save(t, other) // merges with s's two saves
		s.Set("d", 5)
		save(t, s) // merges with other's
		wantValues(t, load(t, m, c), map[string]any{"a": 2, "b": 3, "c": 4, "d": 5})
		s.Set("a", 6)
		save(t, s)
		wantStored(t, m, c, "a", 6, "the last save's")
	}))
}

// A save that merges with a save that merged: three requests, each
// changing its own key, all stand.
func TestMergeThreeRequests(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		_, c := saveNew(t, m, "seed", 0)
		var all []*session.Session
		for range 3 {
			all = append(all, load(t, m, c))
		}
		for i, s := range all {
			s.Set(fmt.Sprint("k", i), i)
		}
		for _, s := range all {
			save(t, s)
		}
		wantValues(t, load(t, m, c), map[string]any{"seed": 0, "k0": 0, "k1": 1, "k2": 2})
	}))
}

// Concurrent writers of distinct keys of one session, in goroutines: no
// change is lost and none fails.
func TestMergeConcurrentDistinctKeys(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		_, c := saveNew(t, m)
		const writers, each = 4, 10
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					s, err := m.Load(ctx, c)
					if err != nil {
						t.Error(err)
						return
					}
					s.Set(fmt.Sprintf("w%d", w), i+1)
					if _, err := s.Save(ctx); err != nil {
						t.Errorf("writer %d: %v", w, err)
						return
					}
				}
			})
		}
		wg.Wait()
		final := load(t, m, c)
		for w := range writers {
			if v := mustGet(t, final, fmt.Sprintf("w%d", w)); v != each {
				t.Errorf("w%d = %v, want %d", w, v, each)
			}
		}
	}))
}

// Renew after another request saved: its change is merged and
// moves to the new id; the old cookie no longer loads.
func TestMergeRenewAfterConcurrentSave(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		login, other, c := twoRequests(t, m, "visits", 1)
		other.Set("cart", 3)
		save(t, other)
		if err := login.Renew(ctx); err != nil {
			t.Fatalf("Renew: %v", err)
		}
		login.Set("user", "ann")
		nc := save(t, login)
		wantValues(t, load(t, m, nc.String()), map[string]any{"visits": 1, "cart": 3, "user": "ann"})
		if !load(t, m, c).IsNew() {
			t.Error("the cookie from before Renew still loads")
		}
	}))
}

// Renew that cannot merge changes nothing: the other request's data and
// the old id stand.
func TestMergeRenewConflict(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		login, other, c := twoRequests(t, m, "user", "guest")
		other.Set("user", "bob")
		save(t, other)
		login.Set("user", "ann")
		id := login.ID()
		if err := login.Renew(ctx); !errors.Is(err, session.ErrConflict) {
			t.Fatalf("Renew = %v, want ErrConflict", err)
		}
		if login.ID() != id {
			t.Error("a refused Renew changed the id")
		}
		wantStored(t, m, c, "user", "bob", "the other request's")
		// Renew of a session another request invalidated: gone.
		r1, r2 := load(t, m, c), load(t, m, c)
		if err := r2.Invalidate(ctx); err != nil {
			t.Fatal(err)
		}
		var ce *session.ConflictError
		if err := r1.Renew(ctx); !errors.As(err, &ce) || !ce.Gone {
			t.Fatalf("Renew after Invalidate = %v, want a conflict, gone", err)
		}
		if st := m.Stats(); st.Conflicts != 2 {
			t.Errorf("conflicts %d, want 2", st.Conflicts)
		}
	}))
}

// A save racing with another request's Renew of the same session is a
// conflict: the renewed session's new id is not handed to the old cookie.
func TestMergeSaveAfterRenew(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		login, other, c := twoRequests(t, m, "a", 1)
		if err := login.Renew(ctx); err != nil {
			t.Fatal(err)
		}
		save(t, login)
		other.Set("b", 2)
		var ce *session.ConflictError
		if _, err := other.Save(ctx); !errors.As(err, &ce) || !ce.Gone {
			t.Fatalf("save after a concurrent Renew = %v, want a conflict, gone", err)
		}
		if !load(t, m, c).IsNew() {
			t.Error("the old id came back")
		}
	}))
}

// Saves give up after MaxMergeAttempts when other requests keep winning.
func TestMergeGivesUp(t *testing.T) {
	m := session.NewMaker(session.WithLogger(discard))
	if err := m.Configure(session.Settings{"backend": "always-newer", "signature_key": sigKey}); err != nil {
		t.Fatal(err)
	}
	b, ok := m.Backend().(*alwaysNewer)
	if !ok {
		t.Fatalf("backend %T", m.Backend())
	}
	s, c := loadSaved(t, m, "a", 1)
	s.Set("a", 2)
	b.on.Store(true)
	_, err := s.Save(ctx)
	var ce *session.ConflictError
	if !errors.As(err, &ce) || ce.Attempts != session.MaxMergeAttempts {
		t.Fatalf("Save = %v, want a conflict after %d attempts", err, session.MaxMergeAttempts)
	}
	if n := b.saves.Load(); n != session.MaxMergeAttempts {
		t.Errorf("%d conditional saves, want %d", n, session.MaxMergeAttempts)
	}
	wantStored(t, m, c, "a", 1, "the value from before the failed save")
	// A canceled context ends the retries at once with its error.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Save(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Save with a canceled context = %v", err)
	}
}

// A value that cannot be encoded fails Renew only when a merge needs
// to encode it.
func TestMergeRenewUnsupportedValue(t *testing.T) {
	forEachStore(t, withMaker(func(t *testing.T, m *session.Maker) {
		s, _, _ := twoRequests(t, m, "a", 1)
		s.Set("ch", make(chan int))
		if err := s.Renew(ctx); err != nil {
			t.Fatalf("Renew without a concurrent save: %v", err)
		}
		s1, s2, _ := twoRequests(t, m, "a", 1)
		s2.Set("b", 2)
		save(t, s2)
		s1.Set("ch", make(chan int))
		if err := s1.Renew(ctx); !errors.Is(err, session.ErrUnsupportedValue) {
			t.Errorf("Renew with a merge = %v, want ErrUnsupportedValue", err)
		}
	}))
}

// The gob codec merges as the binary codec does.
func TestMergeGobCodec(t *testing.T) {
	m := newMaker(t, localBackends[0], session.Settings{"codec": "gob"})
	s1, s2, c := twoRequests(t, m, "a", 1, "t", time.Date(2030, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)))
	s1.Set("a", 2)
	s2.Set("b", 3)
	save(t, s1)
	save(t, s2)
	final := load(t, m, c)
	if mustGet(t, final, "a") != 2 || mustGet(t, final, "b") != 3 {
		t.Errorf("final %v", final.Keys())
	}
}
