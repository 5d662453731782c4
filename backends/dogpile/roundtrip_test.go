package dogpile_test

import (
	"testing"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

// What the session operations cost on the network, counted by a proxy
// between the driver and a real server (testserver.Proxy counts round
// trips, not commands), with the drivers' default arguments: a save is one
// round trip after the load's read. With compare-and-set and locks hidden
// (a driver with neither) a save costs two: the read and the write under
// the region's in-process lock.
func TestSaveRoundTrips(t *testing.T) {
	servers := map[string]func(testing.TB, ...string) *testserver.Server{
		"redis": testserver.Redis, "memcached": testserver.Memcached,
	}
	type costs struct{ add, load, save, saveAgain, renew, invalidate int64 }
	for _, tc := range []struct {
		driver string
		hide   bool
		want   costs
	}{
		{"redis", false, costs{add: 1, load: 1, save: 1, saveAgain: 2, renew: 1, invalidate: 2}},
		{"memcached", false, costs{add: 1, load: 1, save: 1, saveAgain: 2, renew: 1, invalidate: 2}},
		{"redis", true, costs{add: 2, load: 1, save: 2, saveAgain: 3, renew: 2, invalidate: 3}},
	} {
		name := tc.driver
		if tc.hide {
			name += "/in-process"
		}
		t.Run(name, func(t *testing.T) {
			proxy, err := testserver.NewProxy(servers[tc.driver](t).Addr)
			if err != nil {
				t.Fatal(err)
			}
			defer proxy.Close()
			m := testCounterMaker(t, tc.driver, driverURL(tc.driver, proxy.Addr), tc.hide)
			// Warm up: the client opens its connection (and says hello).
			warm, _ := m.New(ctx)
			warm.Set("k", 0)
			if _, err := warm.Save(ctx); err != nil {
				t.Fatal(err)
			}

			var got costs
			count := func(into *int64, op func() error) {
				t.Helper()
				proxy.Reset()
				if err := op(); err != nil {
					t.Fatal(err)
				}
				*into = proxy.RoundTrips()
			}
			s, _ := m.New(ctx)
			s.Set("n", 1)
			var cookie string
			count(&got.add, func() error {
				c, err := s.Save(ctx)
				if err == nil {
					cookie = c.String()
				}
				return err
			})
			var loaded *session.Session
			count(&got.load, func() (err error) { loaded, err = m.Load(ctx, cookie); return err })
			loaded.Set("n", 2)
			count(&got.save, func() error { _, err := loaded.Save(ctx); return err })
			loaded.Set("n", 3)
			count(&got.saveAgain, func() error { _, err := loaded.Save(ctx); return err })
			again, err := m.Load(ctx, cookie)
			if err != nil {
				t.Fatal(err)
			}
			count(&got.renew, func() error { return again.Renew(ctx) })
			_, c := sessiontest.SaveNew(t, m, map[string]any{"x": 1})
			out := sessiontest.Load(t, m, c.String())
			count(&got.invalidate, func() error { return out.Invalidate(ctx) })
			t.Logf("%s round trips: new session save %d, load %d, save %d, second save of one Session %d, Renew %d, Invalidate %d",
				name, got.add, got.load, got.save, got.saveAgain, got.renew, got.invalidate)
			if got != tc.want {
				t.Errorf("round trips %+v, want %+v", got, tc.want)
			}
		})
	}
}
