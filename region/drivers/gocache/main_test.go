package gocache_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Goroutines that gocache itself starts and offers no way to stop:
// cache.NewChain starts a setter goroutine and ChainCache has no Close;
// and ristretto imports glog, whose init starts a flush daemon that runs
// for the life of the process. Every other goroutine the tests start (ristretto's and bigcache's
// workers, redis clients, LoadableCache's setter) is stopped by closing
// what started it, and goleak checks that.
var leakIgnores = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/eko/gocache/lib/v4/cache.(*ChainCache[...]).setter"),
	goleak.IgnoreTopFunction("github.com/golang/glog.(*loggingT).flushDaemon"),
}

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, leakIgnores...)
}
