package gocache

import "github.com/gosess/gosess/region"

// inProcessTypes are the GetType values of gocache's stores that keep
// their items in this process's memory.
var inProcessTypes = map[string]bool{typeBigcache: true, typeFreecache: true, "go-cache": true, "ristretto": true}

// Reach implements driver.Reacher: region.ReachProcess for the stores
// that live in this process (bigcache, freecache, go-cache, ristretto),
// region.ReachNetwork for the others (memcache, redis, rediscluster,
// and any store the bridge does not know, the cautious answer).
func (d *Driver) Reach() region.Reach {
	if inProcessTypes[d.typ] {
		return region.ReachProcess
	}
	return region.ReachNetwork
}
