package null_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/null"
)

// Switch caching off through configuration: with the null driver every
// GetOrCreate runs its creator and every Get misses.
func Example() {
	r := region.New("app")
	defer r.Close()
	if err := r.Configure("null", region.Config{}); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	calls := 0
	for range 3 {
		_, _ = region.GetOrCreate(ctx, r, "k", func(context.Context) (int, error) { calls++; return calls, nil })
	}
	_, err := region.Get[int](ctx, r, "k")
	fmt.Println("creator calls:", calls)
	fmt.Println("miss:", errors.Is(err, region.ErrNotFound))
	// Output:
	// creator calls: 3
	// miss: true
}
