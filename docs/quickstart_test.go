package docs_test

import (
	"context"
	"fmt"
	"log"
	"time"

	_ "github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memory"
	"github.com/gosess/gosess/session"
)

// The quickstart of quickstart.md: PySess's usage guide, line by line.
func Example_quickstart() {
	ctx := context.Background()

	// Session = sessionmaker()
	maker := session.NewMaker()

	// region = make_region().configure('dogpile.cache.memory')
	r := region.New("app")
	if err := r.Configure("memory", region.Config{Expiration: 5 * time.Minute}); err != nil {
		log.Fatal(err)
	}
	defer r.Close()

	// Session.configure(backend='dogpile', domain='example.com', region=region)
	key, err := cookie.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	err = maker.Configure(session.Settings{
		"backend":       "dogpile",
		"domain":        "example.com",
		"region":        r,
		"signature_key": key,
	})
	if err != nil {
		log.Fatal(err)
	}

	// session = Session()
	s, err := maker.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("new:", s.IsNew(), "values:", s.Len())

	// session["some_key"] = "some value"
	s.Set("some_key", "some value")

	// cookie = session.save()
	c, err := s.Save(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(c.Name, c.Domain, c.Path, c.HttpOnly)

	// previous_session = Session(str(cookie))
	prev, err := maker.Load(ctx, c.String())
	if err != nil {
		log.Fatal(err)
	}

	// print previous_session["some_key"]
	v, ok := prev.Get("some_key")
	fmt.Println(v, ok)
	fmt.Println("same session:", prev.ID() == s.ID(), "new:", prev.IsNew())
	// Output:
	// new: true values: 0
	// session example.com / true
	// some value true
	// same session: true new: false
}
