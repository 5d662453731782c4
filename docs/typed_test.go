package docs_test

import (
	"fmt"
	"log"
	"net/http"
	"reflect"
	"time"

	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// A maker from a typed session.Config.
func Example_typedConfiguration() {
	r := region.New("app")
	_ = r.Configure("memory", region.Config{Expiration: 5 * time.Minute, Arguments: map[string]any{"life_window": "1h"}})
	defer r.Close()
	key, _ := cookie.GenerateKey()

	maker, err := session.New(session.Config{
		Backend:       dogpile.New(r),
		Options:       cookie.Options{Domain: "example.com", MaxAge: 30 * time.Minute, Secure: true},
		SignatureKeys: [][]byte{key},
	})
	if err != nil {
		log.Fatal(err) // every mistake at once, one per line
	}
	cfg := maker.Config()
	fmt.Println(maker.BackendName(), cfg.Name, cfg.Path, cfg.SameSite == http.SameSiteLaxMode, !cfg.ScriptReadable, cfg.IDLength)
	// Output:
	// dogpile session / true true 32
}

// The settings map and the typed Config give the same maker.
func Example_typedEqualsSettings() {
	r := region.New("app")
	_ = r.Configure("memory", region.Config{Expiration: 5 * time.Minute, Arguments: map[string]any{"life_window": "1h"}})
	defer r.Close()
	key, _ := cookie.GenerateKey()

	fromMap := session.NewMaker()
	err := fromMap.Configure(session.Settings{
		"backend": "dogpile", "region": r, "signature_key": key,
		"domain": "example.com", "max_age": "30m", "secure": true,
	})
	if err != nil {
		log.Fatal(err)
	}
	typed, err := session.New(session.Config{
		Backend:       dogpile.New(r),
		Options:       cookie.Options{Domain: "example.com", MaxAge: 30 * time.Minute, Secure: true},
		SignatureKeys: [][]byte{key},
	})
	if err != nil {
		log.Fatal(err)
	}
	a, b := fromMap.Config(), typed.Config()
	a.Backend, b.Backend = nil, nil // two values of the same backend
	fmt.Println(reflect.DeepEqual(a, b))
	// Output:
	// true
}
