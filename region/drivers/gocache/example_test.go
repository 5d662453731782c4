package gocache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/eko/gocache/lib/v4/cache"
	"github.com/eko/gocache/lib/v4/store"
	gocachestore "github.com/eko/gocache/store/go_cache/v4"
	patrickmn "github.com/patrickmn/go-cache"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/gocache"
)

// A gocache store (here go-cache) as the driver of a region.
func ExampleNewDriver() {
	ctx := context.Background()
	s := gocachestore.NewGoCache(patrickmn.New(patrickmn.NoExpiration, 0))
	d, err := gocache.NewDriver(s)
	if err != nil {
		panic(err)
	}
	r := region.New("app")
	defer r.Close()
	if err := r.ConfigureDriver(d, region.Config{Expiration: 5 * time.Minute}); err != nil {
		panic(err)
	}
	v, err := region.GetOrCreate(ctx, r, "answer", func(context.Context) (int, error) { return 42, nil })
	fmt.Println(v, err)
	// Output: 42 <nil>
}

// The same by configuration: the driver is registered as "gocache" and
// takes the store as an argument.
func Example_configure() {
	ctx := context.Background()
	r := region.New("app")
	defer r.Close()
	err := r.Configure("gocache", region.Config{
		Expiration: 5 * time.Minute,
		Arguments: map[string]any{
			"store": gocachestore.NewGoCache(patrickmn.New(patrickmn.NoExpiration, 0)),
		},
	})
	if err != nil {
		panic(err)
	}
	_ = region.Set(ctx, r, "greeting", "hello")
	fmt.Println(region.Get[string](ctx, r, "greeting"))
	// Output: hello <nil>
}

type User struct {
	Name string
	Age  int
}

// gocache code over a region: cache.New[T] on a store from
// NewTypedStore[T] round-trips T through the region's codec, and region
// invalidation is seen by the gocache code.
func ExampleNewTypedStore() {
	ctx := context.Background()
	r := region.New("users")
	defer r.Close()
	if err := r.Configure("memory", region.Config{Expiration: time.Minute}); err != nil {
		panic(err)
	}
	users := cache.New[User](gocache.NewTypedStore[User](r))
	_ = users.Set(ctx, "user:7", User{"Ann", 37}, store.WithExpiration(30*time.Second))
	u, err := users.Get(ctx, "user:7")
	fmt.Println(u, err)

	_ = r.Invalidate(region.Hard)
	_, err = users.Get(ctx, "user:7")
	fmt.Println(err)
	// Output:
	// {Ann 37} <nil>
	// value not found in store
}

// A LoadableCache whose loads go through the region's dogpile lock.
func ExampleNewLoadFunc() {
	ctx := context.Background()
	r := region.New("users")
	defer r.Close()
	if err := r.Configure("memory", region.Config{Expiration: time.Minute}); err != nil {
		panic(err)
	}
	s := gocache.NewTypedStore[User](r)
	loadUser := func(ctx context.Context, key any) (User, []store.Option, error) {
		fmt.Println("loading", key)
		return User{Name: "Bob", Age: 40}, []store.Option{store.WithTags([]string{"users"})}, nil
	}
	users := cache.NewLoadable[User](gocache.NewLoadFunc(s, loadUser), cache.New[User](s))
	defer users.Close()

	u, _ := users.Get(ctx, "user:8") // loads
	fmt.Println(u)
	u, _ = region.Get[User](ctx, r, "user:8") // already in the region
	fmt.Println(u)
	// Output:
	// loading user:8
	// {Bob 40}
	// {Bob 40}
}
