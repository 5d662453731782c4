package docs_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	cookiebackend "github.com/gosess/gosess/backends/cookie"
	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// A user's sessions, listed and ended ("log out everywhere").
func Example_perUserSessions() {
	ctx := context.Background()
	r := region.New("app")
	_ = r.Configure("memory", region.Config{Expiration: 5 * time.Minute, Arguments: map[string]any{"life_window": "1h"}})
	defer r.Close()
	key, _ := cookie.GenerateKey()
	maker, err := session.New(session.Config{Backend: dogpile.New(r), SignatureKeys: [][]byte{key},
		Options: cookie.Options{MaxAge: 30 * time.Minute}})
	if err != nil {
		log.Fatal(err)
	}
	loginAs := func(user string) string { // a login on some device
		s, err := maker.New(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if err := s.Renew(ctx); err != nil { // at login, as always
			log.Fatal(err)
		}
		s.SetUser(user)
		c, err := s.Save(ctx)
		if err != nil {
			log.Fatal(err)
		}
		return c.String()
	}
	phone, laptop := loginAs("ann"), loginAs("ann")
	loginAs("bob")

	list, err := maker.UserSessions(ctx, "ann")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(list), "sessions of ann")

	n, err := maker.RevokeUser(ctx, "ann")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(n, "sessions ended")
	for _, c := range []string{phone, laptop} {
		s, err := maker.Load(ctx, c)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(s.IsNew(), s.User() == "")
	}
	// Output:
	// 2 sessions of ann
	// 2 sessions ended
	// true true
	// true true
}

// The cookie backend revokes through a per-user generation kept in a
// region; without one it says why it cannot.
func Example_perUserCookieSessions() {
	ctx := context.Background()
	r := region.New("app")
	_ = r.Configure("memory", region.Config{Expiration: 5 * time.Minute})
	defer r.Close()
	key, _ := cookie.GenerateKey()

	withStore, err := session.New(session.Config{
		Backend:          cookiebackend.New(cookiebackend.WithUserStore(dogpile.New(r))),
		SignatureKeys:    [][]byte{key},
		EnableEncryption: true,
	})
	if err != nil {
		log.Fatal(err)
	}
	s, _ := withStore.New(ctx)
	s.SetUser("ann")
	c, _ := s.Save(ctx)
	n, err := withStore.RevokeUser(ctx, "ann")
	back, _ := withStore.Load(ctx, c.String())
	fmt.Println(n, err, back.IsNew())

	without, _ := session.New(session.Config{Backend: cookiebackend.New(), SignatureKeys: [][]byte{key}, EnableEncryption: true})
	_, err = without.RevokeUser(ctx, "ann")
	fmt.Println(errors.Is(err, session.ErrUnsupported))
	// Output:
	// 1 <nil> true
	// true
}
