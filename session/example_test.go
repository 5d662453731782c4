package session_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
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
// and reloaded from the cookie's string. Every error is handled.
func Example() {
	ctx := context.Background()
	key := bytes.Repeat([]byte("k"), 32) // use cookie.GenerateKey() or a secret file in real code

	r := region.New("app")
	if err := r.Configure("memory", region.Config{Expiration: 5 * time.Minute}); err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	maker := session.NewMaker()
	err := maker.Configure(session.Settings{"backend": "dogpile", "domain": "example.com", "region": r, "signature_key": key})
	if err != nil {
		log.Fatal(err) // every mistake in the settings, one per line
	}

	s, err := maker.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	s.Set("some_key", "some value")
	c, err := s.Save(ctx) // a *http.Cookie, not a string
	if err != nil {
		log.Fatal(err)
	}

	prev, err := maker.Load(ctx, c.String()) // a bad cookie gives a new session, not an error
	if err != nil {
		log.Fatal(err) // the backend failed
	}
	v, ok := prev.Get("some_key")
	fmt.Println(v, ok)
	// Output: some value true
}

// Set returns nothing: its only possible mistake, a reserved key ("_..."),
// stores nothing and makes Save fail, so it cannot go unnoticed.
func ExampleSession_Set() {
	ctx := context.Background()
	maker := session.NewMaker()
	err := maker.Configure(session.Settings{"backend": "cookie", "encryption_key": bytes.Repeat([]byte("e"), 32),
		"signature_key": bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		log.Fatal(err)
	}
	s, err := maker.New(ctx)
	if err != nil {
		log.Fatal(err)
	}
	s.Set("user", "ann")
	s.Set("_access", "forged")
	fmt.Println(s.Keys(), errors.Is(s.Err(), session.ErrInternalKey))
	_, err = s.Save(ctx)
	fmt.Println(err)
	// Output:
	// [user] true
	// session: save: session: keys starting with _ are internal: Set("_access")
}

// Renew gives the session a new id at login, so that an id planted before
// the login (session fixation) names nothing afterwards.
func ExampleSession_Renew() {
	ctx := context.Background()
	r := region.New("app")
	if err := r.Configure("memory", region.Config{}); err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	maker := session.NewMaker()
	err := maker.Configure(session.Settings{"backend": "dogpile", "region": r, "signature_key": bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		log.Fatal(err)
	}
	s, _ := maker.New(ctx)
	s.Set("cart", 2)
	before, err := s.Save(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := s.Renew(ctx); err != nil { // at login
		log.Fatal(err)
	}
	s.Set("user", "ann")
	after, err := s.Save(ctx)
	if err != nil {
		log.Fatal(err)
	}
	old, _ := maker.Load(ctx, before.String())
	cur, _ := maker.Load(ctx, after.String())
	fmt.Println("cookie from before the login:", old.Keys())
	fmt.Println("cookie after:", cur.Keys())
	// Output:
	// cookie from before the login: []
	// cookie after: [cart user]
}

// Middleware loads the session before the handler and saves it before the
// response is written; handlers reach it with FromContext.
func ExampleMaker_Middleware() {
	r := region.New("app")
	if err := r.Configure("memory", region.Config{}); err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	maker := session.NewMaker()
	err := maker.Configure(session.Settings{"backend": "dogpile", "region": r,
		"signature_key": bytes.Repeat([]byte("k"), 32)})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/visit", func(w http.ResponseWriter, req *http.Request) {
		s := session.FromContext(req.Context())
		n, _ := session.GetAs[int](s, "visits")
		s.Set("visits", n+1)
		fmt.Fprintf(w, "visit %d", n+1)
	})
	// Cross-site requests are refused before a session is loaded.
	handler := http.NewCrossOriginProtection().Handler(maker.Middleware(mux))
	srv := httptest.NewServer(handler)
	defer srv.Close()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	for range 3 {
		resp, err := client.Get(srv.URL + "/visit")
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(body), resp.Header.Get("Vary"), resp.Header.Get("Cache-Control"))
	}
	req, _ := http.NewRequest("POST", srv.URL+"/visit", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := client.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	fmt.Println("cross-site POST:", resp.StatusCode)
	// Output:
	// visit 1 Cookie no-store
	// visit 2 Cookie no-store
	// visit 3 Cookie no-store
	// cross-site POST: 403
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
