package msgpackcodec_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memory"
	"github.com/gosess/gosess/region/msgpackcodec"
)

type user struct {
	ID      int64
	Name    string
	Roles   []string
	Created time.Time
}

func TestRoundTripThroughARegion(t *testing.T) {
	ctx := context.Background()
	r := region.New("app", region.WithCodec(msgpackcodec.Codec{}))
	if err := r.Configure("memory", region.Config{Expiration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	want := user{ID: 7, Name: "Ann", Roles: []string{"a"}, Created: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
	if err := region.Set(ctx, r, "u", want); err != nil {
		t.Fatal(err)
	}
	got, err := region.Get[user](ctx, r, "u")
	if err != nil || got.Name != want.Name || !got.Created.Equal(want.Created) || len(got.Roles) != 1 {
		t.Fatalf("%+v %v", got, err)
	}
	// A value of another shape is a miss, not a panic.
	if err := region.Set(ctx, r, "n", 5); err != nil {
		t.Fatal(err)
	}
	if _, err := region.Get[user](ctx, r, "n"); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("shape change: %v", err)
	}
	if err := region.Set(ctx, r, "ch", make(chan int)); !errors.Is(err, region.ErrEncode) {
		t.Fatalf("unencodable: %v", err)
	}
}

func Example() {
	r := region.New("app", region.WithCodec(msgpackcodec.Codec{}))
	defer r.Close()
	_ = r.Configure("memory", region.Config{Expiration: time.Minute})
	ctx := context.Background()
	_ = region.Set(ctx, r, "user:7", user{ID: 7, Name: "Ann"})
	u, err := region.Get[user](ctx, r, "user:7")
	fmt.Println(u.Name, err)
	// Output: Ann <nil>
}
