package session_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"time"

	_ "github.com/gosess/gosess/backends/cookie"
	_ "github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memory"
	"github.com/gosess/gosess/session"
)

// The quickstart of PySess's usage guide, line by line: a maker configured
// with the dogpile backend on a memory region, a session saved to a cookie
// and reloaded from the cookie's string.
func Example() {
	ctx := context.Background()
	key := bytes.Repeat([]byte("k"), 32) // use cookie.GenerateKey() or a secret file in real code

	maker := session.NewMaker()
	r := region.New("app")
	r.Configure("memory", region.Config{Expiration: 5 * time.Minute})
	defer r.Close()
	maker.Configure(session.Settings{"backend": "dogpile", "domain": "example.com", "region": r, "signature_key": key})

	s, _ := maker.New(ctx)
	s.Set("some_key", "some value")
	c, _ := s.Save(ctx) // a *http.Cookie, not a string

	prev, _ := maker.Load(ctx, c.String())
	v, _ := prev.Get("some_key")
	fmt.Println(v)
	// Output: some value
}

// Middleware loads the session before the handler and saves it before the
// response is written; handlers reach it with FromContext.
func ExampleMaker_Middleware() {
	r := region.New("app")
	r.Configure("memory", region.Config{})
	defer r.Close()
	maker := session.NewMaker()
	maker.Configure(session.Settings{"backend": "dogpile", "region": r,
		"signature_key": bytes.Repeat([]byte("k"), 32)})

	mux := http.NewServeMux()
	mux.HandleFunc("/visit", func(w http.ResponseWriter, req *http.Request) {
		s := session.FromContext(req.Context())
		n, _ := session.GetAs[int](s, "visits")
		s.Set("visits", n+1)
		fmt.Fprintf(w, "visit %d", n+1)
	})
	srv := httptest.NewServer(maker.Middleware(mux))
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	for range 3 {
		resp, _ := client.Get(srv.URL + "/visit")
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body), resp.Header.Get("Vary"))
	}
	// Output:
	// visit 1 Cookie
	// visit 2 Cookie
	// visit 3 Cookie
}

// GetAs reads a value with its type: the default codec keeps Go types
// across a save and load, so an int comes back as an int.
func ExampleGetAs() {
	ctx := context.Background()
	maker := session.NewMaker()
	maker.Configure(session.Settings{"backend": "cookie", "encryption_key": bytes.Repeat([]byte("e"), 32),
		"signature_key": bytes.Repeat([]byte("k"), 32)})
	s, _ := maker.New(ctx)
	s.Set("cart", 3)
	s.Set("since", 90*time.Minute)
	c, _ := s.Save(ctx)

	back, _ := maker.Load(ctx, c.String())
	n, err := session.GetAs[int](back, "cart")
	fmt.Println(n, err)
	d, _ := session.GetAs[time.Duration](back, "since")
	fmt.Println(d)
	_, err = session.GetAs[string](back, "cart")
	fmt.Println(err)
	// Output:
	// 3 <nil>
	// 1h30m0s
	// session: value has another type: "cart" holds int, not string
}

// Flash messages are stored with the session until read once.
func ExampleSession_AddFlash() {
	ctx := context.Background()
	maker := session.NewMaker()
	maker.Configure(session.Settings{"backend": "cookie", "encryption_key": bytes.Repeat([]byte("e"), 32),
		"signature_key": bytes.Repeat([]byte("k"), 32)})
	s, _ := maker.New(ctx)
	s.AddFlash("Profile saved.")
	c, _ := s.Save(ctx)

	next, _ := maker.Load(ctx, c.String())
	fmt.Println(next.Flashes())
	fmt.Println(next.Flashes())
	// Output:
	// [Profile saved.]
	// []
}

// RegisterType makes an application type storable in sessions; it reads
// back as the same type.
func ExampleRegisterType() {
	type Profile struct {
		Name  string
		Admin bool
	}
	session.RegisterType[Profile]("example.Profile")

	ctx := context.Background()
	maker := session.NewMaker()
	maker.Configure(session.Settings{"backend": "cookie", "encryption_key": bytes.Repeat([]byte("e"), 32),
		"signature_key": bytes.Repeat([]byte("k"), 32)})
	s, _ := maker.New(ctx)
	s.Set("profile", Profile{Name: "ann", Admin: true})
	c, _ := s.Save(ctx)

	back, _ := maker.Load(ctx, c.String())
	p, _ := session.GetAs[Profile](back, "profile")
	fmt.Printf("%+v\n", p)
	// Output: {Name:ann Admin:true}
}
