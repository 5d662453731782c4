package dogpilepeer

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/pypeer"
	"github.com/gosess/gosess/region"
)

type user struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles"`
}

// TestValuesBothWays: on each server, Go writes values that Python reads,
// Python writes values that Go reads, and the creation time travels as
// dogpile's "ct".
func TestValuesBothWays(t *testing.T) {
	onEachServer(t, func(t *testing.T, ctx context.Context, s *server) {
		r := s.goRegion(t, "values", "60", nil)
		zoe := user{ID: 7, Name: "Zoë", Roles: []string{"admin", "dev"}}
		if err := region.Set(ctx, r, "go:str", "from go"); err != nil {
			t.Fatal(err)
		}
		if err := region.Set(ctx, r, "go:user", zoe); err != nil {
			t.Fatal(err)
		}
		if err := region.SetMulti(ctx, r, map[string]int{"go:n1": 1, "go:n2": 2}); err != nil {
			t.Fatal(err)
		}
		if _, err := region.GetOrCreate(ctx, r, "go:created", func(context.Context) ([]string, error) { return []string{"a", "b"}, nil }); err != nil {
			t.Fatal(err)
		}
		res, err := pypeer.Run(ctx, s.python(60, nil),
			pypeer.Step{"op": "get", "key": "go:str"},
			pypeer.Step{"op": "get", "key": "go:user"},
			pypeer.Step{"op": "get", "key": "go:n2"},
			pypeer.Step{"op": "get", "key": "go:created"},
			pypeer.Step{"op": "get_or_create", "key": "go:str", "value": "the Python creator ran"},
			pypeer.Step{"op": "set", "key": "py:str", "value": "from python"},
			pypeer.Step{"op": "set", "key": "py:user", "value": map[string]any{"id": 8, "name": "Ann", "roles": []string{"ops"}}},
		)
		if err != nil {
			t.Fatal(err)
		}
		for i, want := range []any{"from go", map[string]any{"id": 7.0, "name": "Zoë", "roles": []any{"admin", "dev"}}, 2.0, []any{"a", "b"}} {
			if !res[i].Hit() || !reflect.DeepEqual(res[i]["value"], want) {
				t.Errorf("Python got %v for Go's value %v", res[i], want)
			}
		}
		if res[4]["value"] != "from go" {
			t.Errorf("Python's get_or_create ran its creator over Go's fresh value: %v", res[4])
		}
		if s, err := region.Get[string](ctx, r, "py:str"); err != nil || s != "from python" {
			t.Errorf("Go got %q, %v for Python's string", s, err)
		}
		it, err := region.GetItem[user](ctx, r, "py:user")
		if err != nil || !reflect.DeepEqual(it.Value, user{ID: 8, Name: "Ann", Roles: []string{"ops"}}) {
			t.Errorf("Go got %+v, %v for Python's dict", it.Value, err)
		}
		if age := it.Age(); age < 0 || age > 30*time.Second {
			t.Errorf("ct of Python's value read as created %v ago", age)
		}
		got, err := region.GetMulti[string](ctx, r, []string{"py:str", "go:str", "nope"})
		if err != nil || len(got) != 2 || got["py:str"] != "from python" || got["go:str"] != "from go" {
			t.Errorf("GetMulti: %v, %v", got, err)
		}
		// The bytes are dogpile's layout, with no server TTL.
		raw, ok, err := s.raw.get(ctx, "go:str")
		if err != nil || !ok || !strings.HasPrefix(raw, `{"ct": `) || !strings.HasSuffix(raw, `, "v": 2}|"from go"`) {
			t.Errorf("stored %q, %v, %v", raw, ok, err)
		}
		for _, key := range []string{"go:str", "go:n1", "go:created", "py:str"} {
			if ttl, err := s.raw.ttl(ctx, key); err != nil || ttl != -1 {
				t.Errorf("%s: server TTL %v, %v; want none, as dogpile writes", key, ttl, err)
			}
		}
	})
}

// TestServerTTLArguments: memcached_expire_time and redis_expiration_time
// give Go's items a server TTL. Python's redis backend applies its
// argument too; dogpile 1.1.8's pymemcache backend takes
// memcached_expire_time but never passes it to set (only its memcached and
// pylibmc backends do), which is pinned here and documented.
func TestServerTTLArguments(t *testing.T) {
	onEachServer(t, func(t *testing.T, ctx context.Context, s *server) {
		name := map[string]string{"memcached": "memcached_expire_time", "redis": "redis_expiration_time"}[s.kind]
		r := s.goRegion(t, "ttl", "60", map[string]string{name: "100"})
		if err := region.Set(ctx, r, "go:ttl", "x"); err != nil {
			t.Fatal(err)
		}
		if _, err := pypeer.Run(ctx, s.python(60, map[string]any{name: 100}), pypeer.Step{"op": "set", "key": "py:ttl", "value": "x"}); err != nil {
			t.Fatal(err)
		}
		keys := []string{"go:ttl", "py:ttl"}
		if s.kind == "memcached" {
			if ttl, err := s.raw.ttl(ctx, "py:ttl"); err != nil || ttl != -1 {
				t.Errorf("pymemcache backend: server TTL %v, %v; dogpile 1.1.8 sets none", ttl, err)
			}
			keys = keys[:1]
		}
		for _, key := range keys {
			// memcached's own rounding gives Go's item up to 2s more.
			if ttl, err := s.raw.ttl(ctx, key); err != nil || ttl < 90*time.Second || ttl > 102*time.Second {
				t.Errorf("%s: server TTL %v, %v; want about 100s", key, ttl, err)
			}
		}
	})
}

// TestGosessFormatIsNotReadAsAValue: a value in gosess's own format makes
// Python raise (UnicodeDecodeError on its metadata), never return a
// value; and a dogpile-format Go region reads it as a miss.
func TestGosessFormatIsNotReadAsAValue(t *testing.T) {
	onEachServer(t, func(t *testing.T, ctx context.Context, s *server) {
		own := region.New("own")
		conf := s.flat("60", nil)
		delete(conf, "cache.py.format")
		if err := own.ConfigureFromConfig(conf, "cache.py."); err != nil {
			t.Fatal(err)
		}
		defer own.Close()
		for k, v := range map[string]any{"gs:str": "a|b", "gs:user": user{Name: "x"}, "gs:bytes": []byte(`{"ct": 1, "v": 2}|"x"`)} {
			if err := region.Set(ctx, own, k, v); err != nil {
				t.Fatal(err)
			}
		}
		res, err := pypeer.Run(ctx, s.python(60, nil),
			pypeer.Step{"op": "get", "key": "gs:str"},
			pypeer.Step{"op": "get", "key": "gs:user"},
			pypeer.Step{"op": "get", "key": "gs:bytes"},
			pypeer.Step{"op": "get_or_create", "key": "gs:str", "value": "new"})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res {
			if r.OK() || !strings.HasPrefix(r.Error(), "UnicodeDecodeError") {
				t.Errorf("Python %s of a gosess-format value: %v, want UnicodeDecodeError", r["op"], r)
			}
		}
		peer := s.goRegion(t, "peer", "60", nil)
		if v, err := region.Get[string](ctx, peer, "gs:str"); !errors.Is(err, region.ErrNotFound) {
			t.Errorf("dogpile-format region read %q, %v", v, err)
		}
	})
}

// TestConfigErrors: a format gosess does not know, and a redis key_prefix
// (which would move Go's lock keys away from Python's), fail Configure
// with the key named.
func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		conf map[string]string
		want string
	}{
		{map[string]string{"c.backend": "redis", "c.format": "pickle"}, `c.format: want "gosess" or "dogpile", got "pickle"`},
		{map[string]string{"c.backend": "redis", "c.format": "dogpile", "c.arguments.key_prefix": "app:"}, "key_prefix"},
		{map[string]string{"c.backend": "redis", "c.format": "dogpile", "c.arguments.thread_local_lock": "false"}, "thread_local_lock"},
	} {
		err := region.New("x").ConfigureFromConfig(tc.conf, "c.")
		if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an ErrInvalidArgument naming %q", tc.conf, err, tc.want)
		}
	}
	if err := region.New("x").Configure("memory", region.Config{Format: "json"}); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("Configure with Format json: %v", err)
	}
}
