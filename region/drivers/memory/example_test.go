package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/memory"
)

// Configure a region with the memory driver by name, with arguments as
// they could come from a config file, and cache a computed value.
func Example() {
	r := region.New("app")
	defer r.Close()
	err := r.Configure("memory", region.Config{
		Expiration: 5 * time.Minute,
		Arguments: map[string]any{
			"shards":       64,    // a power of two
			"max_size_mb":  "128", // strings are converted
			"clean_window": "30s",
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	calls := 0
	load := func(context.Context) (string, error) {
		calls++
		return "expensive result", nil
	}
	for range 3 {
		v, err := region.GetOrCreate(ctx, r, "report:2024", load)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(v)
	}
	fmt.Println("creator calls:", calls)
	// Output:
	// expensive result
	// expensive result
	// expensive result
	// creator calls: 1
}

// Build the driver directly and hand it to a region: the same knobs as
// the arguments, as a struct.
func ExampleNew() {
	d, err := memory.New(memory.Config{Shards: 16, MaxSizeMB: 64, LifeWindow: time.Hour})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := region.New("sessions")
	defer r.Close() // closes the driver too
	if err := r.ConfigureDriver(d, region.Config{Expiration: 30 * time.Minute}); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	if err := region.Set(ctx, r, "user:7", map[string]string{"name": "Ada"}); err != nil {
		fmt.Println(err)
		return
	}
	u, err := region.Get[map[string]string](ctx, r, "user:7")
	fmt.Println(u["name"], err)
	_, err = region.Get[map[string]string](ctx, r, "user:8")
	fmt.Println(err)
	// Output:
	// Ada <nil>
	// region "sessions": get "user:8": region: not found
}

// A bad argument is reported by Configure with the argument's name.
func Example_badArgument() {
	r := region.New("app")
	err := r.Configure("memory", region.Config{Arguments: map[string]any{"shards": 1000}})
	fmt.Println(err)
	// Output:
	// region "app": configure driver "memory": region: invalid argument: driver "memory" argument "shards": must be a power of two up to 65536 (such as 16, 256 or 1024), got 1000
}
