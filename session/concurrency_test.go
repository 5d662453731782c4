package session_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

// Port of test_concurrency.test_no_read_lock: a reader is not blocked by a
// writer that has loaded the session, and does not see its unsaved
// changes.
func TestConcurrencyNoReadLock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, nil)
		_, c := saveNew(t, m)
		writer := load(t, m, c)
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
	})
}

// Port of test_concurrency.test_write_conflict (which fails in PySess):
// two requests load the same session; the first to save wins, the second
// gets ErrConflict and its change is not stored.
func TestConcurrencyWriteConflict(t *testing.T) {
	forEachStore(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, nil)
		_, c := saveNew(t, m)
		first, second := load(t, m, c), load(t, m, c)
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
		if v := mustGet(t, load(t, m, c), "key"); v != "value" {
			t.Errorf("stored %v, want the first writer's value", v)
		}
	})
}

// Port of test_concurrency.test_write_lock: two writers of different keys
// both end up stored, without an error: the second save merges.
func TestConcurrencyWriteMerge(t *testing.T) {
	forEachStore(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, nil)
		_, c := saveNew(t, m)
		s1, s2 := load(t, m, c), load(t, m, c)
		s1.Set("key", "value")
		s2.Set("key2", "value2")
		if _, err := s1.Save(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s2.Save(ctx); err != nil {
			t.Fatalf("second save = %v, want a merge", err)
		}
		final := load(t, m, c)
		if mustGet(t, final, "key") != "value" || mustGet(t, final, "key2") != "value2" {
			t.Errorf("final keys %v", final.Keys())
		}
	})
}

// Many writers increment one counter with load-modify-save and retry on
// ErrConflict: no increment is lost, which holds only if the version check
// and the write are atomic.
func TestConcurrencyCounter(t *testing.T) {
	forEachStore(t, func(t *testing.T, bc backendCase) {
		m := newMaker(t, bc, nil)
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
		if n := mustGet(t, load(t, m, c), "n"); n != workers*each {
			t.Errorf("counter %v, want %d", n, workers*each)
		}
	})
}

// A touch (save without changes) that loses to a concurrent writer is
// not an error and does not overwrite the writer's data.
func TestConcurrencyTouchLosesQuietly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		if !bc.serverSide {
			t.Skip("no server state")
		}
		m := newMaker(t, bc, nil)
		_, c := saveNew(t, m, "k", "old")
		toucher, writer := load(t, m, c), load(t, m, c)
		writer.Set("k", "new")
		if _, err := writer.Save(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := toucher.Save(ctx); err != nil {
			t.Fatalf("touch after a concurrent write: %v", err)
		}
		if v := mustGet(t, load(t, m, c), "k"); v != "new" {
			t.Errorf("touch overwrote the write: %v", v)
		}
	})
}

// A save racing with Invalidate (logout) of the same session must not
// bring the session back.
func TestConcurrencyNoResurrection(t *testing.T) {
	forEachBackend(t, func(t *testing.T, bc backendCase) {
		if !bc.serverSide {
			t.Skip("no server state")
		}
		m := newMaker(t, bc, nil)
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
	})
}
