package file_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/file"
)

func ExampleNew() {
	dir, err := os.MkdirTemp("", "gosess-file-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	d, err := file.New(file.Config{Dir: dir})
	if err != nil {
		panic(err)
	}
	defer d.Close()

	ctx := context.Background()
	_ = d.Set(ctx, "greeting", []byte("hello"), time.Minute)
	v, err := d.Get(ctx, "greeting")
	fmt.Println(string(v), err)
	keys, _ := d.Keys(ctx)
	fmt.Println(keys)
	// Output:
	// hello <nil>
	// [greeting]
}

// A region on the file driver, configured by name as a config file would.
func Example_region() {
	dir, err := os.MkdirTemp("", "gosess-file-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	r := region.New("app")
	err = r.ConfigureFromConfig(map[string]string{
		"cache.app.backend":                    "file",
		"cache.app.expiration_time":            "300",
		"cache.app.arguments.dir":              dir,
		"cache.app.arguments.cleanup_interval": "10m",
		"cache.app.arguments.distributed_lock": "true",
	}, "cache.app.")
	if err != nil {
		panic(err)
	}
	defer r.Close()

	ctx := context.Background()
	for range 2 {
		v, err := region.GetOrCreate(ctx, r, "answer", func(context.Context) (int, error) {
			fmt.Println("computing")
			return 42, nil
		})
		fmt.Println(v, err)
	}
	// Output:
	// computing
	// 42 <nil>
	// 42 <nil>
}

// Two mutexes on one key exclude each other, in one process as across
// processes.
func ExampleDriver_Mutex() {
	dir, err := os.MkdirTemp("", "gosess-file-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	d, err := file.New(file.Config{Dir: dir, CleanupInterval: -1})
	if err != nil {
		panic(err)
	}
	defer d.Close()

	ctx := context.Background()
	a, b := d.Mutex("report"), d.Mutex("report")
	ok, _ := a.TryLock(ctx)
	fmt.Println("a:", ok)
	ok, _ = b.TryLock(ctx)
	fmt.Println("b while a holds it:", ok)
	_ = a.Unlock(ctx)
	ok, _ = b.TryLock(ctx)
	fmt.Println("b after a unlocked:", ok)
	_ = b.Unlock(ctx)
	// Output:
	// a: true
	// b while a holds it: false
	// b after a unlocked: true
}
