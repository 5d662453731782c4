// Package sessiontest checks that a session.Backend keeps the contract
// documented on session.Backend: misses, the conditions of Save and
// Delete (add-if-absent, a base from Load, a base that Save wrote,
// conflicts, no resurrection after a delete), Exists, ownership of byte
// slices, ids of session.MaxIDLength characters, and atomicity of
// concurrent saves. Backend packages (this module's and third-party ones)
// run it from their tests.
package sessiontest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/session"
)

// Backend runs the contract checks against b, which must judge expiry by
// the real clock (time.Now); the ids it uses are unique per run. For
// server-side backends only: the cookie backend stores nothing on the
// server.
func Backend(t *testing.T, b session.Backend) {
	t.Helper()
	ctx := context.Background()
	n := 0
	newID := func() string {
		n++
		return fmt.Sprintf("sessiontest-%d-%d", time.Now().UnixNano(), n)
	}
	mustSave := func(t *testing.T, id string, rec session.Record, base *session.Record) {
		t.Helper()
		if err := b.Save(ctx, id, rec, base, time.Hour); err != nil {
			t.Fatalf("Save(%s, v%d) = %v", id, rec.Version, err)
		}
	}
	mustLoad := func(t *testing.T, id string) session.Record {
		t.Helper()
		rec, err := b.Load(ctx, id)
		if err != nil {
			t.Fatalf("Load(%s) = %v", id, err)
		}
		return rec
	}
	conflict := func(t *testing.T, err error, what string) {
		t.Helper()
		if !errors.Is(err, session.ErrConflict) {
			t.Errorf("%s: err = %v, want ErrConflict", what, err)
		}
	}
	rec := func(v uint64, data string) session.Record {
		return session.Record{Version: v, Data: []byte(data)}
	}

	t.Run("miss", func(t *testing.T) {
		id := newID()
		if _, err := b.Load(ctx, id); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load of an absent id = %v, want ErrNotFound", err)
		}
		if ok, err := b.Exists(ctx, id); ok || err != nil {
			t.Errorf("Exists of an absent id = %v, %v", ok, err)
		}
		if err := b.Delete(ctx, id, nil); err != nil {
			t.Errorf("Delete of an absent id = %v", err)
		}
		base := rec(1, "a")
		conflict(t, b.Delete(ctx, id, &base), "Delete of an absent id based on a record")
		conflict(t, b.Save(ctx, id, rec(2, "b"), &base, time.Hour), "Save of an absent id based on a record")
		if ok, _ := b.Exists(ctx, id); ok {
			t.Error("a conditional write of an absent id stored something")
		}
	})

	t.Run("round trip", func(t *testing.T) {
		id := newID()
		exp := time.Now().Add(time.Hour).Truncate(time.Microsecond)
		data := []byte("payload")
		mustSave(t, id, session.Record{Version: 1, Expires: exp, Data: data}, nil)
		data[0] = 'X' // the backend must not keep the caller's slice
		got := mustLoad(t, id)
		if got.Version != 1 || !bytes.Equal(got.Data, []byte("payload")) || !got.Expires.Equal(exp) {
			t.Errorf("Load = v%d %q %v", got.Version, got.Data, got.Expires)
		}
		got.Data[0] = 'Y' // the caller owns what Load returned
		if again := mustLoad(t, id); string(again.Data) != "payload" {
			t.Errorf("Load returned a slice the backend keeps: %q", again.Data)
		}
		if ok, err := b.Exists(ctx, id); !ok || err != nil {
			t.Errorf("Exists = %v, %v", ok, err)
		}
	})

	t.Run("add if absent", func(t *testing.T) {
		id := newID()
		mustSave(t, id, rec(1, "a"), nil)
		conflict(t, b.Save(ctx, id, rec(1, "b"), nil, time.Hour), "second add of an id")
		if got := mustLoad(t, id); string(got.Data) != "a" {
			t.Errorf("a refused add stored %q", got.Data)
		}
	})

	t.Run("based on a load", func(t *testing.T) {
		id := newID()
		mustSave(t, id, rec(1, "a"), nil)
		loaded := mustLoad(t, id)
		mustSave(t, id, rec(2, "b"), &loaded)
		conflict(t, b.Save(ctx, id, rec(2, "c"), &loaded, time.Hour), "save based on a record replaced since")
		again := mustLoad(t, id)
		if again.Version != 2 || string(again.Data) != "b" {
			t.Errorf("after saves: v%d %q", again.Version, again.Data)
		}
		mustSave(t, id, rec(3, "d"), &again)
	})

	t.Run("based on a save", func(t *testing.T) {
		// A Session that saves twice bases its second save on the record
		// its first one wrote: no Load, no token, its version.
		id := newID()
		first := rec(1, "a")
		mustSave(t, id, first, nil)
		second := rec(2, "b")
		mustSave(t, id, second, &first)
		conflict(t, b.Save(ctx, id, rec(2, "c"), &first, time.Hour), "save based on a version replaced since")
		mustSave(t, id, rec(3, "d"), &second)
		if got := mustLoad(t, id); got.Version != 3 || string(got.Data) != "d" {
			t.Errorf("after saves: v%d %q", got.Version, got.Data)
		}
	})

	t.Run("no resurrection", func(t *testing.T) {
		id := newID()
		saved := rec(1, "a")
		mustSave(t, id, saved, nil)
		loaded := mustLoad(t, id)
		if err := b.Delete(ctx, id, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Load(ctx, id); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load after Delete = %v", err)
		}
		conflict(t, b.Save(ctx, id, rec(2, "b"), &loaded, time.Hour), "save of a deleted record (based on a load)")
		conflict(t, b.Save(ctx, id, rec(2, "b"), &saved, time.Hour), "save of a deleted record (based on a save)")
		conflict(t, b.Delete(ctx, id, &loaded), "conditional delete of a deleted record")
		if ok, _ := b.Exists(ctx, id); ok {
			t.Error("deleted record came back")
		}
	})

	t.Run("conditional delete", func(t *testing.T) {
		id := newID()
		mustSave(t, id, rec(1, "a"), nil)
		stale := mustLoad(t, id)
		mustSave(t, id, rec(2, "b"), &stale)
		conflict(t, b.Delete(ctx, id, &stale), "delete based on a record replaced since")
		current := mustLoad(t, id)
		if string(current.Data) != "b" {
			t.Fatalf("a refused delete removed the record: %q", current.Data)
		}
		if err := b.Delete(ctx, id, &current); err != nil {
			t.Fatalf("delete based on the stored record: %v", err)
		}
		if ok, _ := b.Exists(ctx, id); ok {
			t.Error("conditional delete kept the record")
		}
	})

	t.Run("expired", func(t *testing.T) {
		id := newID()
		err := b.Save(ctx, id, session.Record{Version: 1, Expires: time.Now().Add(-time.Minute), Data: []byte("a")}, nil, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Load(ctx, id); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load of a record past its Expires = %v, want ErrNotFound", err)
		}
	})

	t.Run("concurrent saves", func(t *testing.T) {
		id := newID()
		mustSave(t, id, rec(1, "base"), nil)
		loaded := mustLoad(t, id)
		const writers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				base := loaded // each writer holds its own copy of what it loaded
				err := b.Save(ctx, id, session.Record{Version: 2, Data: fmt.Appendf(nil, "w%d", i)}, &base, time.Hour)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, session.ErrConflict):
					conflicts++
				default:
					t.Errorf("concurrent Save: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins != 1 || conflicts != writers-1 {
			t.Errorf("%d writers based on the same record: %d won, %d conflicted; want exactly one winner", writers, wins, conflicts)
		}
	})

	t.Run("longest id", func(t *testing.T) {
		// The longest id ValidID accepts must be storable: a file name, a
		// cache key.
		id := newID() + "-"
		id += strings.Repeat("x", session.MaxIDLength-len(id))
		if !session.ValidID(id) {
			t.Fatalf("test id of %d characters is not valid", len(id))
		}
		mustSave(t, id, rec(1, "long"), nil)
		got, err := b.Load(ctx, id)
		if err != nil || string(got.Data) != "long" {
			t.Errorf("Load of a %d-character id = %q, %v", len(id), got.Data, err)
		}
		if err := b.Delete(ctx, id, nil); err != nil {
			t.Errorf("Delete of a %d-character id: %v", len(id), err)
		}
	})

	t.Run("canceled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		// A canceled context may fail or succeed, but must not hang or panic.
		_ = b.Save(cctx, newID(), rec(1, "a"), nil, time.Hour)
	})
}

// Increment adds times to the int value under key of the session that
// cookie names, one request at a time as a handler would (Load, +1, Save),
// and on ErrConflict loads again and retries: the way to count across
// goroutines and processes without losing an increment. It returns how
// many saves conflicted, and fails when the session does not load (it was
// lost) or holds no int under key.
func Increment(ctx context.Context, m *session.Maker, cookie, key string, times int) (conflicts int, err error) {
	for done := 0; done < times; {
		s, err := m.Load(ctx, cookie)
		if err != nil {
			return conflicts, err
		}
		if s.IsNew() {
			return conflicts, errors.New("sessiontest: the session did not load (lost)")
		}
		n, err := session.GetAs[int](s, key)
		if err != nil {
			return conflicts, err
		}
		s.Set(key, n+1)
		switch _, err := s.Save(ctx); {
		case err == nil:
			done++
		case errors.Is(err, session.ErrConflict):
			conflicts++
		default:
			return conflicts, err
		}
	}
	return conflicts, nil
}

// SaveNew creates a session through m holding values, saves it and
// returns it and its cookie; the test fails on an error.
func SaveNew(t testing.TB, m *session.Maker, values map[string]any) (*session.Session, *http.Cookie) {
	t.Helper()
	ctx := context.Background()
	s, err := m.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		s.Set(k, values[k])
	}
	c, err := s.Save(ctx)
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	return s, c
}

// Load loads through m the session of cookie, in any form Maker.Load
// takes; the test fails on an error.
func Load(t testing.TB, m *session.Maker, cookie string) *session.Session {
	t.Helper()
	s, err := m.Load(context.Background(), cookie)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return s
}

// RoundTrip saves a new session of m holding key: value (SaveNew), loads
// it back from its cookie as the client's next request would, and fails
// the test unless that loads the stored session with the value; it
// returns the cookie. value must be comparable with ==.
func RoundTrip(t testing.TB, m *session.Maker, key string, value any) *http.Cookie {
	t.Helper()
	_, c := SaveNew(t, m, map[string]any{key: value})
	back := Load(t, m, c.String())
	if back.IsNew() {
		t.Fatalf("the cookie of a saved session loaded a new one")
	}
	if v, ok := back.Get(key); !ok || v != value {
		t.Fatalf("reloaded %s = %v (set: %v), want %v", key, v, ok, value)
	}
	return c
}
