package dogpilepeer

import (
	"context"
	"reflect"
	"sync/atomic"
	"testing"

	"github.com/gosess/gosess/internal/pypeer"
	"github.com/gosess/gosess/region"
)

// TestMemoizedAcrossLanguages: myapp.users.load_user is memoized in both
// languages (cache_on_arguments in Python, Memoize(...).WithDogpileKey in
// Go). Whichever side computes a result first, the other is served it
// without running its own function.
func TestMemoizedAcrossLanguages(t *testing.T) {
	onEachServer(t, func(t *testing.T, ctx context.Context, s *server) {
		r := s.goRegion(t, "memo", "60", nil)
		var goCalls atomic.Int32
		loadUser := region.Memoize(r, "", func(_ context.Context, id int) (user, error) {
			goCalls.Add(1)
			return user{ID: id, Name: "made in Go", Roles: []string{}}, nil
		}).WithDogpileKey("myapp.users", "load_user")
		pyUser := func(id int, ns any) pypeer.Step {
			return pypeer.Step{"op": "memo", "module": "myapp.users", "function": "load_user", "namespace": ns, "args": []any{id},
				"value": map[string]any{"id": id, "name": "made in Python", "roles": []string{}}}
		}

		// Python first (7), Go first (8).
		if _, err := loadUser.Call(ctx, 8); err != nil {
			t.Fatal(err)
		}
		res, err := pypeer.Run(ctx, s.python(60, nil), pyUser(7, nil), pyUser(8, nil))
		if err != nil {
			t.Fatal(err)
		}
		if res[0]["called"] != 1.0 || res[0]["key"] != "myapp.users:load_user|7" {
			t.Errorf("Python's first call: %v", res[0])
		}
		if res[1]["called"] != 0.0 || !reflect.DeepEqual(res[1]["value"], map[string]any{"id": 8.0, "name": "made in Go", "roles": []any{}}) {
			t.Errorf("Python recomputed or misread Go's result: %v", res[1])
		}
		u, err := loadUser.Call(ctx, 7)
		if err != nil || u.Name != "made in Python" || goCalls.Load() != 1 {
			t.Errorf("Go got %+v, %v after %d calls of its function; want Python's result", u, err, goCalls.Load())
		}
		if loadUser.Key(7) != res[0]["key"] {
			t.Errorf("keys differ: Go %q, Python %v", loadUser.Key(7), res[0]["key"])
		}

		// A namespace, with MemoizeMulti on the Go side.
		multi := region.MemoizeMulti(r, "v2", func(_ context.Context, ids []int) (map[int]user, error) {
			out := map[int]user{}
			for _, id := range ids {
				goCalls.Add(1)
				out[id] = user{ID: id, Name: "made in Go", Roles: []string{}}
			}
			return out, nil
		}).WithDogpileKey("myapp.users", "load_user")
		if _, err := pypeer.Run(ctx, s.python(60, nil), pyUser(9, "v2")); err != nil {
			t.Fatal(err)
		}
		before := goCalls.Load()
		got, err := multi.Call(ctx, []int{9, 10})
		if err != nil || got[9].Name != "made in Python" || got[10].Name != "made in Go" || goCalls.Load() != before+1 {
			t.Errorf("multi: %+v, %v, %d calls", got, err, goCalls.Load()-before)
		}
	})
}
