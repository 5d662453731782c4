package docs_test

import (
	"log"
	"time"

	"github.com/gosess/gosess/cookie"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// The setup of examples whose pages do not show it.

// newRegion returns region "app" on the memory driver, with a 5-minute
// expiration. The caller closes it.
func newRegion() *region.Region {
	r := region.New("app")
	if err := r.Configure("memory", region.Config{Expiration: 5 * time.Minute}); err != nil {
		log.Fatal(err)
	}
	return r
}

// newMaker returns a maker that keeps sessions in r (the dogpile
// backend), signed with a new key.
func newMaker(r *region.Region, opts ...session.MakerOption) *session.Maker {
	key, err := cookie.GenerateKey()
	if err != nil {
		log.Fatal(err)
	}
	maker := session.NewMaker(opts...)
	if err := maker.Configure(session.Settings{"backend": "dogpile", "region": r, "signature_key": key}); err != nil {
		log.Fatal(err)
	}
	return maker
}

// newSessions returns a maker (newMaker) on a region of its own
// (newRegion), for examples that use only the maker; done closes the
// region.
func newSessions(opts ...session.MakerOption) (maker *session.Maker, done func()) {
	r := newRegion()
	return newMaker(r, opts...), func() { r.Close() }
}
