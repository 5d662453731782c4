package region_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memory"
)

type User struct {
	ID   int
	Name string
}

// A region is configured once with a driver name, an expiration and
// driver arguments, then used with typed calls.
func ExampleRegion_Configure() {
	r := region.New("app")
	defer r.Close()
	err := r.Configure("memory", region.Config{
		Expiration: 5 * time.Minute,
		Arguments:  map[string]any{"shards": 16},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	_ = region.Set(ctx, r, "user:7", User{ID: 7, Name: "Ann"})
	u, err := region.Get[User](ctx, r, "user:7")
	fmt.Println(u.Name, err)
	_, err = region.Get[User](ctx, r, "user:8")
	fmt.Println(err)
	// Output:
	// Ann <nil>
	// region "app": get "user:8": region: not found
}

// The same configuration from a flat map, as read from an ini or
// environment file; keys outside the prefix are ignored.
func ExampleRegion_ConfigureFromConfig() {
	r := region.New("app")
	defer r.Close()
	err := r.ConfigureFromConfig(map[string]string{
		"cache.app.backend":          "memory",
		"cache.app.expiration_time":  "300",
		"cache.app.arguments.shards": "16",
		"cache.sessions.backend":     "redis",
	}, "cache.app.")
	fmt.Println(err, r.Expiration())

	err = region.New("typo").ConfigureFromConfig(map[string]string{
		"backend": "memory", "expiration_time": "soon",
	}, "")
	fmt.Println(err)
	// Output:
	// <nil> 5m0s
	// region "typo": region: invalid argument: expiration_time: "soon" is not seconds or a Go duration such as "5m"
}

// GetOrCreate runs the creator once for a missing key, behind the dogpile
// lock; later calls are served from the cache.
func ExampleGetOrCreate() {
	r := region.New("app")
	defer r.Close()
	_ = r.Configure("memory", region.Config{Expiration: time.Minute})
	ctx := context.Background()
	calls := 0
	load := func(ctx context.Context) (User, error) {
		calls++
		return User{ID: 7, Name: "Ann"}, nil
	}
	for range 3 {
		u, _ := region.GetOrCreate(ctx, r, "user:7", load)
		fmt.Println(u.Name)
	}
	fmt.Println("creator calls:", calls)
	// Output:
	// Ann
	// Ann
	// Ann
	// creator calls: 1
}

// Memoize caches a function's results by argument (dogpile's
// cache_on_arguments).
func ExampleMemoize() {
	r := region.New("app")
	defer r.Close()
	_ = r.Configure("memory", region.Config{Expiration: time.Minute})
	ctx := context.Background()
	loadUser := region.Memoize(r, "users", func(ctx context.Context, id int) (User, error) {
		fmt.Println("loading", id)
		return User{ID: id, Name: fmt.Sprint("user", id)}, nil
	})
	u, _ := loadUser.Call(ctx, 7)
	u, _ = loadUser.Call(ctx, 7)
	fmt.Println(u.Name, loadUser.Key(7))
	_ = loadUser.Invalidate(ctx, 7)
	u, _ = loadUser.Call(ctx, 7)
	// Output:
	// loading 7
	// user7 memo:users:7
	// loading 7
}

// Soft invalidation makes every value stale: the next GetOrCreate
// regenerates it while concurrent callers would still be served the old
// value.
func ExampleRegion_Invalidate() {
	r := region.New("app")
	defer r.Close()
	_ = r.Configure("memory", region.Config{Expiration: time.Minute})
	ctx := context.Background()
	_ = region.Set(ctx, r, "greeting", "hello")
	_ = r.Invalidate(region.Soft)
	_, err := region.Get[string](ctx, r, "greeting")
	fmt.Println(err)
	v, _ := region.GetOrCreate(ctx, r, "greeting", func(context.Context) (string, error) { return "hi again", nil })
	fmt.Println(v)
	// Output:
	// region "app": get "greeting": region: not found
	// hi again
}

// Update is a read-modify-write that loses no concurrent update: 50
// goroutines each add one to a counter, and all 50 increments are kept.
// On memcached, redis and the file driver the check is done by the store,
// so the same holds for goroutines of different processes.
func ExampleUpdate() {
	r := region.New("app")
	defer r.Close()
	if err := r.Configure("memory", region.Config{}); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			_, err := region.Update(ctx, r, "visits", func(n int, found bool) (int, error) {
				return n + 1, nil
			})
			if err != nil {
				fmt.Println(err)
			}
		})
	}
	wg.Wait()
	n, err := region.Get[int](ctx, r, "visits")
	fmt.Println(n, err)
	// Output:
	// 50 <nil>
}

// GetForUpdate and CompareAndSet are the two halves of Update, for code
// that decides between reading and writing: the write fails with
// ErrConflict when another writer got there first.
func ExampleCompareAndSet() {
	r := region.New("app")
	defer r.Close()
	if err := r.Configure("memory", region.Config{}); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	_ = region.Set(ctx, r, "doc", "v1")

	doc, ver, err := region.GetForUpdate[string](ctx, r, "doc")
	fmt.Println(doc, err)
	_ = region.Set(ctx, r, "doc", "v2 by someone else")
	err = region.CompareAndSet(ctx, r, "doc", ver, doc+" edited")
	fmt.Println(errors.Is(err, region.ErrConflict))

	// The zero Version means "only if absent".
	err = region.CompareAndSet(ctx, r, "new", region.Version{}, "first")
	fmt.Println(err)
	// Output:
	// v1 <nil>
	// true
	// <nil>
}

// Building a region never contacts its server; Ping does, for a start-up
// check or a health endpoint, and PingOnConfigure makes Configure itself
// fail when the store does not answer.
func ExampleRegion_Ping() {
	r := region.New("app")
	defer r.Close()
	if err := r.Configure("memory", region.Config{Expiration: time.Minute, PingOnConfigure: true}); err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	fmt.Println(r.Ping(ctx))
	// Output: <nil>
}

// Sessions and app data can share a region and still be told apart:
// WithPrefixStats counts the driver traffic of each key prefix.
func ExampleWithPrefixStats() {
	r := region.New("app", region.WithPrefixStats("session:"))
	defer r.Close()
	if err := r.Configure("memory", region.Config{Expiration: time.Minute}); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	_ = region.Set(ctx, r, "session:abc", []byte("a session record"))
	_, _ = region.Get[[]byte](ctx, r, "session:abc")
	_, _ = region.Get[[]byte](ctx, r, "session:gone")
	_, _ = region.GetOrCreate(ctx, r, "report", func(context.Context) (string, error) { return "42", nil })
	for _, p := range r.PrefixStats() {
		fmt.Printf("%q: %d reads, %d found, %d writes\n", p.Prefix, p.Reads, p.Found, p.Writes)
	}
	// Output:
	// "session:": 2 reads, 1 found, 1 writes
	// "": 2 reads, 0 found, 1 writes
}
