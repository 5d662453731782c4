package bench

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/gosess/gosess/internal/testserver"
)

// Servers are started on first use (internal/testserver, on free loopback
// ports) and shared by every benchmark of the run: starting one per
// sub-benchmark would dominate short runs. TestMain stops them.
var (
	serversMu sync.Mutex
	servers   = map[string]*testserver.Server{}
	serverErr = map[string]error{}
)

// needServer returns the address of a running server of binary
// ("memcached" or "redis-server"), starting it the first time. A missing
// binary skips the benchmark or test, except under CI=true where it
// fails: CI must not pass by skipping.
func needServer(tb testing.TB, binary string) string {
	tb.Helper()
	serversMu.Lock()
	defer serversMu.Unlock()
	if s, ok := servers[binary]; ok {
		return s.Addr
	}
	if err, failed := serverErr[binary]; failed {
		tb.Fatalf("bench: %s: %v", binary, err)
	}
	testserver.Need(tb, binary)
	start := testserver.StartMemcached
	if binary == "redis-server" {
		start = testserver.StartRedis
	}
	s, err := start()
	if err != nil {
		serverErr[binary] = err
		tb.Fatalf("bench: %s: %v", binary, err)
	}
	servers[binary] = s
	return s.Addr
}

func stopServers() {
	serversMu.Lock()
	defer serversMu.Unlock()
	for name, s := range servers {
		s.Kill()
		delete(servers, name)
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	stopServers()
	if code == 0 {
		// Every client, cache and server of the setups is closed by
		// its cleanup; nothing may be left running, except the sweeper
		// that scs.New starts for its default memstore, which scs offers
		// no race-free way to stop.
		if err := goleak.Find(goleak.IgnoreTopFunction("github.com/alexedwards/scs/v2/memstore.(*MemStore).startCleanup")); err != nil {
			fmt.Fprintln(os.Stderr, "goroutines leaked:", err)
			code = 1
		}
	}
	os.Exit(code)
}
