package session_test

import (
	"context"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"go.uber.org/goleak"

	_ "github.com/gosess/gosess/backends/cookie"
	_ "github.com/gosess/gosess/backends/dogpile"
	_ "github.com/gosess/gosess/backends/file"
	"github.com/gosess/gosess/internal/testclock"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/file"
	_ "github.com/gosess/gosess/region/drivers/memcached"
	_ "github.com/gosess/gosess/region/drivers/memory"
	_ "github.com/gosess/gosess/region/drivers/redis"
	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var (
	sigKey  = []byte("0123456789abcdef0123456789abcdef-signing")
	sigKey2 = []byte("fedcba9876543210fedcba9876543210-other-k")
	encKey  = []byte("0123456789abcdef0123456789abcdef-encrypt")
	ctx     = context.Background()
)

// backendCase is one backend the shared suite runs against.
type backendCase struct {
	name string
	// serverSide: records live on the server (revocation, conflicts).
	serverSide bool
	settings   func(t testing.TB) session.Settings
}

// newRegion returns a region on driver with an hour's expiration and
// args, closed when the test ends.
func newRegion(t testing.TB, name, driver string, args map[string]any) *region.Region {
	t.Helper()
	r := region.New(name)
	if err := r.Configure(driver, region.Config{Expiration: time.Hour, Arguments: args}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// memoryRegion returns a configured memory region, closed at the end.
func memoryRegion(t testing.TB) *region.Region { return newRegion(t, "test", "memory", nil) }

// redisRegion and memcachedRegion use the drivers' default arguments:
// what holds for sessions must hold without distributed_lock.
func redisRegion(t testing.TB) *region.Region {
	return newRegion(t, "test-redis", "redis", map[string]any{"url": "redis://" + testserver.Redis(t).Addr})
}

func memcachedRegion(t testing.TB) *region.Region {
	return newRegion(t, "test-memcached", "memcached", map[string]any{"url": testserver.Memcached(t).Addr})
}

// localBackends are the backends every test of the suite runs against.
var localBackends = []backendCase{
	{"dogpile", true, func(t testing.TB) session.Settings {
		return session.Settings{"backend": "dogpile", "region": memoryRegion(t)}
	}},
	{"file", true, func(t testing.TB) session.Settings {
		return session.Settings{"backend": "file", "dir": filepath.Join(t.TempDir(), "sessions")}
	}},
	{"cookie", false, func(t testing.TB) session.Settings {
		return session.Settings{"backend": "cookie", "encryption_key": encKey}
	}},
}

// serverBackends add the dogpile backend on real memcached and redis
// servers; they run for the tests that matter across processes.
var serverBackends = []backendCase{
	{"dogpile-redis", true, func(t testing.TB) session.Settings {
		return session.Settings{"backend": "dogpile", "region": redisRegion(t)}
	}},
	{"dogpile-memcached", true, func(t testing.TB) session.Settings {
		return session.Settings{"backend": "dogpile", "region": memcachedRegion(t)}
	}},
}

func forEachBackend(t *testing.T, f func(t *testing.T, bc backendCase)) {
	for _, bc := range localBackends {
		t.Run(bc.name, func(t *testing.T) { f(t, bc) })
	}
}

func forEachBackendWithServers(t *testing.T, f func(t *testing.T, bc backendCase)) {
	forEachBackend(t, f)
	for _, bc := range serverBackends {
		t.Run(bc.name, func(t *testing.T) { f(t, bc) })
	}
}

// forEachStore runs f for the backends that keep sessions on the server
// (not the cookie backend), on memory, file, redis and memcached.
func forEachStore(t *testing.T, f func(t *testing.T, bc backendCase)) {
	forEachBackendWithServers(t, serverSideOnly(f))
}

// forEachLocalStore is forEachStore without the redis and memcached
// servers: on memory and file.
func forEachLocalStore(t *testing.T, f func(t *testing.T, bc backendCase)) {
	forEachBackend(t, serverSideOnly(f))
}

// serverSideOnly runs f for backends with server state and skips the
// cookie backend.
func serverSideOnly(f func(t *testing.T, bc backendCase)) func(t *testing.T, bc backendCase) {
	return func(t *testing.T, bc backendCase) {
		if !bc.serverSide {
			t.Skip("the cookie backend keeps no server state (documented)")
		}
		f(t, bc)
	}
}

// newMaker configures a Maker for bc with the test keys and extra
// settings on top.
func newMaker(t testing.TB, bc backendCase, extra session.Settings, opts ...session.MakerOption) *session.Maker {
	t.Helper()
	s := bc.settings(t)
	s["domain"] = "example.com"
	s["signature_key"] = sigKey
	for k, v := range extra {
		if v == nil {
			delete(s, k)
			continue
		}
		s[k] = v
	}
	opts = append([]session.MakerOption{session.WithLogger(discard)}, opts...)
	m := session.NewMaker(opts...)
	if err := m.Configure(s); err != nil {
		t.Fatalf("Configure: %v", err)
	}
	return m
}

var discard = slog.New(slog.DiscardHandler)

// newClock returns a settable clock for expiry tests.
func newClock() *testclock.Clock { return testclock.New(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) }

// clockedMaker is newMaker on a settable clock (newClock), which it
// returns too.
func clockedMaker(t testing.TB, bc backendCase, extra session.Settings, opts ...session.MakerOption) (*session.Maker, *testclock.Clock) {
	t.Helper()
	clk := newClock()
	return newMaker(t, bc, extra, append(opts, session.WithClock(clk.Now))...), clk
}

// saveNew creates a session with values (key, value, key, value, ...),
// saves it and returns the maker's session and the cookie string.
func saveNew(t testing.TB, m *session.Maker, kv ...any) (*session.Session, string) {
	t.Helper()
	values := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		values[kv[i].(string)] = kv[i+1]
	}
	s, c := sessiontest.SaveNew(t, m, values)
	return s, c.String()
}

// save saves s and returns its cookie.
func save(t testing.TB, s *session.Session) *http.Cookie {
	t.Helper()
	c, err := s.Save(ctx)
	if err != nil {
		t.Fatalf("Save: %v", err)
	}
	return c
}

func load(t testing.TB, m *session.Maker, c string) *session.Session {
	t.Helper()
	return sessiontest.Load(t, m, c)
}

// newSession returns a new session of m; the test fails on an error.
func newSession(t testing.TB, m *session.Maker) *session.Session {
	t.Helper()
	s, err := m.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// loadSaved saves a new session holding kv (as saveNew) and loads it
// again from its cookie, as the next request of the client would; it
// returns the loaded session and the cookie string.
func loadSaved(t testing.TB, m *session.Maker, kv ...any) (*session.Session, string) {
	t.Helper()
	_, c := saveNew(t, m, kv...)
	return load(t, m, c), c
}

func mustGet(t testing.TB, s *session.Session, key string) any {
	t.Helper()
	v, ok := s.Get(key)
	if !ok {
		t.Fatalf("key %q missing (keys %v)", key, s.Keys())
	}
	return v
}

// wantStored checks that the session the cookie c loads holds want under
// key; what says whose value that is.
func wantStored(t testing.TB, m *session.Maker, c, key string, want any, what string) {
	t.Helper()
	if v := mustGet(t, load(t, m, c), key); v != want {
		t.Errorf("stored %s = %v; want %v, %s", key, v, want, what)
	}
}

// withMaker adapts a test body that needs only the maker of bc with the
// test keys (newMaker(t, bc, nil)) to the forEach helpers.
func withMaker(f func(t *testing.T, m *session.Maker)) func(t *testing.T, bc backendCase) {
	return func(t *testing.T, bc backendCase) { f(t, newMaker(t, bc, nil)) }
}
