package region_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/gosess/gosess/region"
)

// A region in dogpile's format stores what a Python dogpile.cache region
// with a JSON serializer stores: the metadata, "|", then the JSON value.
func ExampleFormat() {
	r := region.New("py")
	defer r.Close()
	if err := r.Configure("memory", region.Config{Format: region.FormatDogpile}); err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	_ = region.Set(ctx, r, "user:7", User{ID: 7, Name: "Ann"})
	stored, _ := r.Driver().Get(ctx, "user:7")
	meta, payload, _ := strings.Cut(string(stored), "|")
	fmt.Println(strings.HasPrefix(meta, `{"ct": `), strings.HasSuffix(meta, `, "v": 2}`))
	fmt.Println(payload)
	u, err := region.Get[User](ctx, r, "user:7")
	fmt.Println(u.Name, err)
	// Output:
	// true true
	// {"ID":7,"Name":"Ann"}
	// Ann <nil>
}

// WithDogpileKey keys a memoized function as Python's cache_on_arguments
// keys myapp.users.load_user, so both languages share its results.
func ExampleMemoized_WithDogpileKey() {
	r := region.New("py")
	loadUser := region.Memoize(r, "", func(ctx context.Context, id int) (User, error) {
		return User{ID: id}, nil
	}).WithDogpileKey("myapp.users", "load_user")
	fmt.Println(loadUser.Key(7))
	type args struct {
		Name  string
		Admin bool
	}
	search := region.Memoize(r, "v2", func(ctx context.Context, a args) ([]User, error) {
		return nil, nil
	}).WithDogpileKey("myapp.users", "search")
	fmt.Println(search.Key(args{"ann", true}))
	// Output:
	// myapp.users:load_user|7
	// myapp.users:search|v2|ann True
}

// SHA1MangleKey is dogpile's sha1_mangle_key.
func ExampleSHA1MangleKey() {
	fmt.Println(region.SHA1MangleKey("user:7"))
	// Output:
	// ea5c9c0178ec4f1e35bb32cc61c3ce17dfb4697e
}
