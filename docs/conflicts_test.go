package docs_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/gosess/gosess/session"
)

// Concurrent requests of one user (two tabs), in scaling-out.md: changes of
// different keys merge, a change of the same key is a conflict.
func Example_concurrentRequests() {
	ctx := context.Background()
	maker, done := newSessions()
	defer done()
	s, _ := maker.New(ctx)
	s.Set("cart", 1)
	s.Set("theme", "light")
	c, _ := s.Save(ctx)

	tab1, _ := maker.Load(ctx, c.String())
	tab2, _ := maker.Load(ctx, c.String())
	tab1.Set("cart", 2)
	tab2.Set("theme", "dark")
	_, err1 := tab1.Save(ctx)
	_, err2 := tab2.Save(ctx) // merges: tab1's cart, its own theme
	cart, _ := tab2.Get("cart")
	fmt.Println(err1, err2, cart)

	tab3, _ := maker.Load(ctx, c.String())
	tab4, _ := maker.Load(ctx, c.String())
	tab3.Set("cart", 3)
	tab4.Set("cart", 4)
	_, _ = tab3.Save(ctx)
	_, err := tab4.Save(ctx) // both changed cart: tab3's 3 stands
	var ce *session.ConflictError
	fmt.Println(errors.Is(err, session.ErrConflict), errors.As(err, &ce), ce.Keys)
	fmt.Println(maker.Stats().Merges, maker.Stats().Conflicts)
	// Output:
	// <nil> <nil> 2
	// true true [cart]
	// 1 1
}

// A conflict handler that answers JSON, in scaling-out.md.
func Example_conflictHandler() {
	conflictJSON := func(w http.ResponseWriter, r *http.Request, err error) {
		var keys []string
		if ce := (*session.ConflictError)(nil); errors.As(err, &ce) {
			keys = ce.Keys
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		json.NewEncoder(w).Encode(map[string]any{"error": "conflict", "keys": keys})
	}
	maker := session.NewMaker(session.WithConflictHandler(conflictJSON))

	rec := httptest.NewRecorder()
	conflictJSON(rec, httptest.NewRequest(http.MethodPost, "/cart", nil), &session.ConflictError{Keys: []string{"cart"}})
	fmt.Print(rec.Code, " ", rec.Body.String())
	_ = maker
	// Output:
	// 409 {"error":"conflict","keys":["cart"]}
}
