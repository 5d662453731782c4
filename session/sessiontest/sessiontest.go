// Package sessiontest checks that a session.Backend keeps the contract
// documented on session.Backend: misses, the version check of Save
// (add-if-absent, conflicts, no resurrection), Delete, Exists, ownership
// of byte slices, ids of session.MaxIDLength characters, and atomicity of
// concurrent saves. Backend packages (this module's and third-party ones)
// run it from their tests.
package sessiontest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
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
	mustSave := func(t *testing.T, id string, rec session.Record, expected uint64) {
		t.Helper()
		if err := b.Save(ctx, id, rec, expected, time.Hour); err != nil {
			t.Fatalf("Save(%s, v%d, expected %d) = %v", id, rec.Version, expected, err)
		}
	}
	conflict := func(t *testing.T, err error, what string) {
		t.Helper()
		if !errors.Is(err, session.ErrConflict) {
			t.Errorf("%s: err = %v, want ErrConflict", what, err)
		}
	}

	t.Run("miss", func(t *testing.T) {
		id := newID()
		if _, err := b.Load(ctx, id); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load of an absent id = %v, want ErrNotFound", err)
		}
		if ok, err := b.Exists(ctx, id); ok || err != nil {
			t.Errorf("Exists of an absent id = %v, %v", ok, err)
		}
		if err := b.Delete(ctx, id); err != nil {
			t.Errorf("Delete of an absent id = %v", err)
		}
	})

	t.Run("round trip", func(t *testing.T) {
		id := newID()
		exp := time.Now().Add(time.Hour).Truncate(time.Microsecond)
		data := []byte("payload")
		mustSave(t, id, session.Record{Version: 1, Expires: exp, Data: data}, 0)
		data[0] = 'X' // the backend must not keep the caller's slice
		got, err := b.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != 1 || !bytes.Equal(got.Data, []byte("payload")) || !got.Expires.Equal(exp) {
			t.Errorf("Load = v%d %q %v", got.Version, got.Data, got.Expires)
		}
		if ok, err := b.Exists(ctx, id); !ok || err != nil {
			t.Errorf("Exists = %v, %v", ok, err)
		}
	})

	t.Run("versions", func(t *testing.T) {
		id := newID()
		mustSave(t, id, session.Record{Version: 1, Data: []byte("a")}, 0)
		conflict(t, b.Save(ctx, id, session.Record{Version: 1, Data: []byte("b")}, 0, time.Hour), "second add of an id")
		conflict(t, b.Save(ctx, id, session.Record{Version: 3, Data: []byte("b")}, 2, time.Hour), "stale expected version")
		mustSave(t, id, session.Record{Version: 2, Data: []byte("c")}, 1)
		mustSave(t, id, session.Record{Version: 2, Data: []byte("c2")}, 2) // same version: a touch
		got, err := b.Load(ctx, id)
		if err != nil || got.Version != 2 || string(got.Data) != "c2" {
			t.Errorf("after saves: v%d %q %v", got.Version, got.Data, err)
		}
	})

	t.Run("no resurrection", func(t *testing.T) {
		id := newID()
		mustSave(t, id, session.Record{Version: 1, Data: []byte("a")}, 0)
		if err := b.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Load(ctx, id); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load after Delete = %v", err)
		}
		conflict(t, b.Save(ctx, id, session.Record{Version: 2, Data: []byte("b")}, 1, time.Hour), "save of a deleted record")
		if ok, _ := b.Exists(ctx, id); ok {
			t.Error("deleted record came back")
		}
	})

	t.Run("expired", func(t *testing.T) {
		id := newID()
		err := b.Save(ctx, id, session.Record{Version: 1, Expires: time.Now().Add(-time.Minute), Data: []byte("a")}, 0, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Load(ctx, id); !errors.Is(err, session.ErrNotFound) {
			t.Errorf("Load of a record past its Expires = %v, want ErrNotFound", err)
		}
	})

	t.Run("concurrent saves", func(t *testing.T) {
		id := newID()
		mustSave(t, id, session.Record{Version: 1, Data: []byte("base")}, 0)
		const writers = 8
		var wg sync.WaitGroup
		var mu sync.Mutex
		wins, conflicts := 0, 0
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := b.Save(ctx, id, session.Record{Version: 2, Data: fmt.Appendf(nil, "w%d", i)}, 1, time.Hour)
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
			t.Errorf("%d writers expecting the same version: %d won, %d conflicted; want exactly one winner", writers, wins, conflicts)
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
		mustSave(t, id, session.Record{Version: 1, Data: []byte("long")}, 0)
		got, err := b.Load(ctx, id)
		if err != nil || string(got.Data) != "long" {
			t.Errorf("Load of a %d-character id = %q, %v", len(id), got.Data, err)
		}
		if err := b.Delete(ctx, id); err != nil {
			t.Errorf("Delete of a %d-character id: %v", len(id), err)
		}
	})

	t.Run("canceled context", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		// A canceled context may fail or succeed, but must not hang or panic.
		_ = b.Save(cctx, newID(), session.Record{Version: 1, Data: []byte("a")}, 0, time.Hour)
	})
}
