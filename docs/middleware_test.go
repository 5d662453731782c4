package docs_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"time"

	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// The net/http part of quickstart.md: the middleware loads the session
// before the handler and saves it before the response starts.
func Example_middleware() {
	r := region.New("app")
	err := r.Configure("memory", region.Config{
		Expiration: 5 * time.Minute,
		Arguments:  map[string]any{"life_window": "1h"}, // longer than max_age: see below
	})
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	key, err := cookie.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	maker := session.NewMaker()
	err = maker.Configure(session.Settings{
		"backend":       "dogpile",
		"region":        r,
		"signature_key": key,
		"max_age":       "30m",
	})
	if err != nil {
		log.Fatal(err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, req *http.Request) {
		s := session.FromContext(req.Context())
		n, _ := session.GetAs[int](s, "visits") // 0 and ErrKeyNotFound on the first visit
		s.Set("visits", n+1)
		fmt.Fprintf(w, "visit number %d\n", n+1)
	})
	mux.HandleFunc("GET /report", func(w http.ResponseWriter, req *http.Request) {
		// App data cached in the same region as the sessions.
		rep, err := region.GetOrCreate(req.Context(), r, "report:daily", func(ctx context.Context) (string, error) {
			return "42 orders today", nil // imagine a slow query here
		})
		if err != nil {
			http.Error(w, "report unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, rep)
	})
	handler := maker.Middleware(mux)

	srv := httptest.NewServer(handler)
	defer srv.Close()
	jar, err := cookiejar.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	client := &http.Client{Jar: jar}
	defer client.CloseIdleConnections()
	for _, path := range []string{"/", "/", "/report", "/"} {
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s %s", resp.Header.Get("Vary"), body)
	}
	// Output:
	// Cookie visit number 1
	// Cookie visit number 2
	// Cookie 42 orders today
	// Cookie visit number 3
}
