package gocache_test

import (
	"testing"

	"github.com/bradfitz/gomemcache/memcache"
	memcachestore "github.com/eko/gocache/store/memcache/v4"
	redisstore "github.com/eko/gocache/store/redis/v4"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/drivers/gocache"
)

// The bridge's reach follows its store: in-process stores are
// ReachProcess, client stores ReachNetwork (no server is contacted).
func TestReachFollowsTheStore(t *testing.T) {
	rc, ristretto := newRistretto(t)
	defer rc.Close()
	bc, bigcache := newBigcache(t)
	defer bc.Close()
	rs := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	defer rs.Close()
	for name, tc := range map[string]struct {
		d    *gocache.Driver
		want region.Reach
	}{
		"go-cache":  {mustDriver(t, newGoCacheStore()), region.ReachProcess},
		"ristretto": {mustDriver(t, ristretto), region.ReachProcess},
		"bigcache":  {mustDriver(t, bigcache), region.ReachProcess},
		"memcache":  {mustDriver(t, memcachestore.NewMemcache(memcache.New("127.0.0.1:1"))), region.ReachNetwork},
		"redis":     {mustDriver(t, redisstore.NewRedis(rs)), region.ReachNetwork},
	} {
		if got := tc.d.Reach(); got != tc.want {
			t.Errorf("%s: %v, want %v", name, got, tc.want)
		}
	}
}
