package docs_test

import (
	"context"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/pypeer"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
)

// User is the value both languages cache in dogpile-compat.md.
type User struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// TestDogpileCompatPage runs dogpile-compat.md's Go snippets against a
// real redis-server shared with a real Python dogpile.cache region,
// configured as the page's Python snippet configures it.
func TestDogpileCompatPage(t *testing.T) {
	pypeer.Need(t)
	addr := testserver.Redis(t).Addr
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	python := pypeer.Region{Backend: "dogpile.cache.redis", ExpirationTime: pypeer.Seconds(300),
		Arguments: map[string]any{"url": "redis://" + addr + "/0", "distributed_lock": true,
			"thread_local_lock": false, "lock_timeout": 30}}
	if _, err := pypeer.Run(ctx, python, pypeer.Step{"op": "set", "key": "user:7",
		"value": map[string]any{"id": 7, "name": "Ann"}}); err != nil {
		t.Fatal(err)
	}

	r := region.New("py")
	err := r.ConfigureFromConfig(map[string]string{
		"cache.py.backend":                    "redis",
		"cache.py.format":                     "dogpile",
		"cache.py.expiration_time":            "300",
		"cache.py.arguments.url":              "redis://" + addr + "/0",
		"cache.py.arguments.distributed_lock": "true",
		"cache.py.arguments.lock_timeout":     "30",
	}, "cache.py.")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()

	u, err := region.Get[User](ctx, r, "user:7") // written by Python
	if err != nil || u.Name != "Ann" {
		t.Fatal(u, err)
	}
	err = region.Set(ctx, r, "user:8", User{ID: 8, Name: "Bo"}) // read by Python
	if err != nil {
		t.Fatal(err)
	}

	loadUser := region.Memoize(r, "", func(ctx context.Context, id int) (User, error) {
		return User{ID: id, Name: "from Go"}, nil
	}).WithDogpileKey("myapp.users", "load_user")
	u, err = loadUser.Call(ctx, 9) // stored under "myapp.users:load_user|9"
	if err != nil || loadUser.Key(9) != "myapp.users:load_user|9" {
		t.Fatal(u, err)
	}

	res, err := pypeer.Run(ctx, python, pypeer.Step{"op": "get", "key": "user:8"},
		pypeer.Step{"op": "memo", "module": "myapp.users", "function": "load_user", "args": []any{9}, "value": nil})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := res[0]["value"].(map[string]any); v["name"] != "Bo" {
		t.Errorf("Python read %v", res[0])
	}
	if v, _ := res[1]["value"].(map[string]any); v["name"] != "from Go" || res[1]["called"] != 0.0 {
		t.Errorf("Python's memoized call: %v", res[1])
	}
}
