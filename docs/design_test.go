package docs_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// The central API, call for call as the design document writes it (names
// other code relies on), run against the memory driver and a real
// memcached and redis: a rename or a changed signature breaks this test.
func TestDesignCentralAPI(t *testing.T) {
	type User struct {
		ID   int
		Name string
	}
	ctx := context.Background()
	key, err := cookie.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	user := User{ID: 7, Name: "Ann"}

	// region
	r := region.New("app") // options: WithKeyMangler, WithCodec, ...
	defer r.Close()
	err = r.Configure("memory", region.Config{Expiration: 5 * time.Minute,
		Arguments: map[string]any{"max_entries": 100_000}})
	must(t, err)
	mc := region.New("mc")
	defer mc.Close()
	err = mc.ConfigureFromConfig(map[string]string{
		"cache.app.backend":                    "memcached",
		"cache.app.expiration_time":            "300",
		"cache.app.arguments.url":              testserver.Memcached(t).Addr,
		"cache.app.arguments.distributed_lock": "true"}, "cache.app.")
	must(t, err)
	err = region.Set(ctx, r, "user:7", user) // typed, generic
	must(t, err)
	u, err := region.Get[User](ctx, r, "user:7") // region.ErrNotFound on a miss (dogpile's NO_VALUE)
	if err != nil || u != user {
		t.Fatalf("Get = %v, %v", u, err)
	}
	if _, err := region.Get[User](ctx, r, "user:8"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get of a missing key = %v; want ErrNotFound", err)
	}
	u, err = region.GetOrCreate(ctx, r, "user:7", func(ctx context.Context) (User, error) { return User{}, errors.New("not called") })
	if err != nil || u != user {
		t.Fatalf("GetOrCreate = %v, %v", u, err)
	}
	err = r.Delete(ctx, "user:7")
	must(t, err)
	must(t, r.Invalidate(region.Soft)) // or region.Hard
	loadUser := region.Memoize(r, "users", func(ctx context.Context, id int) (User, error) { return User{ID: id}, nil })
	u, err = loadUser.Call(ctx, 7) // plus Get, Set, Invalidate, Refresh, Original
	if err != nil || u.ID != 7 {
		t.Fatalf("Memoized.Call = %v, %v", u, err)
	}

	// session: the seed's quickstart, line by line
	maker := session.NewMaker()
	err = maker.Configure(session.Settings{"backend": "dogpile", "domain": "example.com",
		"region": r, "signature_key": key})
	must(t, err)
	s, err := maker.New(ctx)
	must(t, err)
	s.Set("some_key", "some value")
	c, err := s.Save(ctx) // *http.Cookie
	must(t, err)
	prev, err := maker.Load(ctx, c.String()) // reload from the cookie string
	must(t, err)
	v, ok := prev.Get("some_key") // "some value", true
	if v != "some value" || !ok {
		t.Fatalf("Get after Load = %v, %v", v, ok)
	}
	var _ string = s.ID()
	var _ bool = s.IsNew()
	must(t, s.Refresh(ctx))    // new id, data kept
	must(t, s.Invalidate(ctx)) // data gone, new id
	var _ *http.Cookie = s.Abort()

	// net/http
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		if session.FromContext(req.Context()) == nil {
			t.Error("no session in the handler's context")
		}
	})
	var _ http.Handler = maker.Middleware(mux) // loads before, saves before the first write

	// typed configuration (the map above stays as PySess's way and for config files)
	maker, err = session.New(session.Config{Backend: dogpile.New(r /*, options */), Options: cookie.Options{Domain: "example.com"},
		SignatureKey: key})
	must(t, err)
	// per-user sessions
	s, err = maker.New(ctx)
	must(t, err)
	s.SetUser("user-42") // s.User() reads it back
	if s.User() != "user-42" {
		t.Fatalf("User = %q", s.User())
	}
	_, err = s.Save(ctx)
	must(t, err)
	list, err := maker.UserSessions(ctx, "user-42") // live sessions of that user
	if err != nil || len(list) != 1 {
		t.Fatalf("UserSessions = %v, %v", list, err)
	}
	n, err := maker.RevokeUser(ctx, "user-42") // "log out everywhere": their cookies load as new
	if err != nil || n != 1 {
		t.Fatalf("RevokeUser = %d, %v", n, err)
	}

	// a Go peer of a Python dogpile.cache region (JSON serializer) on the same server
	py := region.New("py")
	defer py.Close()
	err = py.ConfigureFromConfig(map[string]string{"cache.py.backend": "redis",
		"cache.py.format": "dogpile", "cache.py.arguments.url": "redis://" + testserver.Redis(t).Addr,
		"cache.py.arguments.distributed_lock": "true"}, "cache.py.")
	must(t, err)
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
