package redis_test

import (
	"fmt"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/drivers/redis"
)

// A region configured by name: importing the package registered "redis".
// Configure does not contact the server.
func Example() {
	r := region.New("app")
	defer r.Close()
	err := r.Configure("redis", region.Config{
		Expiration: 5 * time.Minute,
		Arguments: map[string]any{
			"url":              "redis://127.0.0.1:6379/2",
			"distributed_lock": true,
			"lock_timeout":     "10s",
			"key_prefix":       "app:",
		},
	})
	fmt.Println(err)
	_, isLocker := r.ActualDriver().(driver.Locker)
	fmt.Println("distributed lock:", isLocker)
	// Output:
	// <nil>
	// distributed lock: true
}

// Arguments that contradict each other are errors at Configure.
func Example_badArguments() {
	r := region.New("app")
	err := r.Configure("redis", region.Config{Arguments: map[string]any{
		"url":   "redis://127.0.0.1:6379",
		"addrs": "10.0.0.1:6379,10.0.0.2:6379",
	}})
	fmt.Println(err)
	// Output:
	// region "app": configure driver "redis": region: invalid argument: redis: url and addrs cannot both be set: give one server as url, or servers as addrs
}

// New builds a driver from a Config; RegionDriver hands a region the
// driver with the distributed lock when it is on.
func ExampleNew() {
	d, err := redis.New(redis.Config{
		Addrs:           []string{"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"}, // a cluster
		DistributedLock: true,
		LockTimeout:     15 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := region.New("app")
	defer r.Close() // closes d
	fmt.Println(r.ConfigureDriver(d.RegionDriver(), region.Config{Expiration: time.Minute}))
	_, isLocker := r.Driver().(driver.Locker)
	fmt.Println("distributed lock:", isLocker)
	// Output:
	// <nil>
	// distributed lock: true
}
