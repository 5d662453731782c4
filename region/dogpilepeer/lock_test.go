package dogpilepeer

import (
	"context"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/pypeer"
	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region"
)

// TestLocksAreDogpiles: a Go regeneration holds dogpile's lock item
// ("_lock" + key) that Python's key_is_locked sees, and a Python
// regeneration holds one that Go's KeyIsLocked sees; both are gone once
// released.
func TestLocksAreDogpiles(t *testing.T) {
	onEachServer(t, func(t *testing.T, ctx context.Context, s *server) {
		r := s.goRegion(t, "locks", "60", nil)

		// Go holds.
		inCreator, release := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			_, err := region.GetOrCreate(ctx, r, "held-by-go", func(context.Context) (string, error) {
				close(inCreator)
				<-release
				return "v", nil
			})
			done <- err
		}()
		<-inCreator
		v, ok, err := s.raw.get(ctx, "_lockheld-by-go")
		if err != nil || !ok {
			t.Fatalf("no lock item _lockheld-by-go while Go regenerates: %v", err)
		}
		if s.kind == "memcached" && v != "1" {
			t.Errorf("memcached lock item holds %q, want dogpile's 1", v)
		}
		res, err := pypeer.Run(ctx, s.python(60, nil), pypeer.Step{"op": "locked", "key": "held-by-go"})
		if err != nil || res[0]["locked"] != true {
			t.Errorf("Python's key_is_locked while Go holds: %v, %v", res, err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if _, ok, _ := s.raw.get(ctx, "_lockheld-by-go"); ok {
			t.Error("Go left its lock item behind")
		}

		// Python holds.
		p, err := pypeer.Start(ctx, s.python(60, nil),
			pypeer.Step{"op": "print", "text": "started"},
			pypeer.Step{"op": "get_or_create", "key": "held-by-py", "value": "v", "sleep": 1.5})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Next(); err != nil {
			t.Fatal(err)
		}
		testwait.Until(t, 10*time.Second, "Go to see Python's lock", func() bool {
			locked, err := r.KeyIsLocked(ctx, "held-by-py")
			if err != nil {
				t.Fatal(err)
			}
			return locked
		})
		if v, err := region.GetOrCreate(ctx, r, "held-by-py", func(context.Context) (string, error) { return "made by Go", nil }); err != nil || v != "v" {
			t.Errorf("Go waited for Python's creator and got %q, %v; want Python's value", v, err)
		}
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
		if locked, err := r.KeyIsLocked(ctx, "held-by-py"); err != nil || locked {
			t.Errorf("KeyIsLocked after Python released: %v, %v", locked, err)
		}
	})
}
