package memcached_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/memcached"
)

// Configuring a region by driver name and arguments, as from a config
// file. (Not run: it needs a memcached server.)
func Example() {
	r := region.New("app")
	err := r.Configure("memcached", region.Config{
		Expiration: 5 * time.Minute,
		Arguments: map[string]any{
			"url":              "127.0.0.1:11211,127.0.0.1:11212",
			"distributed_lock": true,
			"lock_timeout":     30,
			"timeout":          "250ms",
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	user, err := region.GetOrCreate(context.Background(), r, "user:7", func(ctx context.Context) (string, error) {
		return "Ada", nil // load from the database
	})
	fmt.Println(user, err)
}

// Building the driver in Go and handing it to a region. Locking makes the
// region's dogpile lock shared by every process using the servers.
// (Not run: it needs a memcached server.)
func ExampleNew() {
	d, err := memcached.New(memcached.Config{
		Servers:     []string{"127.0.0.1:11211"},
		Timeout:     250 * time.Millisecond,
		LockTimeout: 10 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := region.New("app")
	if err := r.ConfigureDriver(d.Locking(), region.Config{Expiration: time.Minute}); err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	_ = region.Set(context.Background(), r, "greeting", "hello")
}

// A distributed mutex used directly, outside any region.
// (Not run: it needs a memcached server.)
func ExampleDriver_DistributedMutex() {
	d, err := memcached.New(memcached.Config{Servers: []string{"127.0.0.1:11211"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m := d.DistributedMutex("nightly-report")
	if err := m.Lock(ctx); err != nil {
		fmt.Println("busy:", err)
		return
	}
	defer m.Unlock(ctx)
	// ... only one process of the fleet runs this at a time ...
}

// The key a driver stores under: valid keys as they are, others hashed
// with a readable head.
func ExampleDriver_StoreKey() {
	d, _ := memcached.New(memcached.Config{Servers: []string{"127.0.0.1:11211"}})
	fmt.Println(d.StoreKey("user:7"))
	fmt.Println(d.StoreKey("user 7"))
	// Output:
	// user:7
	// ~gs:h:user_7:08ae6a73238f8fe2f457320713cb9af5c848c782f5efda2b794936b615d59e1e
}
