package bench

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alexedwards/scs/redisstore"
	"github.com/alexedwards/scs/v2"
	"github.com/alexedwards/scs/v2/memstore"
	"github.com/gomodule/redigo/redis"
	"github.com/gorilla/sessions"

	_ "github.com/gosess/gosess/backends/cookie"
	_ "github.com/gosess/gosess/backends/dogpile"
	_ "github.com/gosess/gosess/backends/file"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// The session benchmarks (issues 4 and 5): one HTTP request through each
// library's request path, served by an httptest recorder. The request
// carries the cookie of an existing session holding a user name and a
// counter; the handler reads the name, sets the counter to a new value
// and writes "ok", so every request loads, modifies and saves the session
// and gets a Set-Cookie. Each request is built afresh (gorilla/sessions
// caches sessions in the request).

var (
	benchSignKey = []byte("0123456789abcdef0123456789abcdef-bench-sign")
	benchEncKey  = []byte("0123456789abcdef0123456789abcdef-bench-encr")
)

// dogpileMaker returns a maker whose sessions live in r (the dogpile
// backend), signed with benchSignKey.
func dogpileMaker(tb testing.TB, r *region.Region, opts ...session.MakerOption) *session.Maker {
	tb.Helper()
	m := session.NewMaker(opts...)
	if err := m.Configure(session.Settings{"backend": "dogpile", "region": r, "signature_key": benchSignKey}); err != nil {
		tb.Fatal(err)
	}
	return m
}

// sessionSide is one library's request path: the handler and the cookie
// header of a session that already exists.
type sessionSide func(tb testing.TB) (h http.Handler, set func(n int), cookie string)

// requestCase turns a side into an opCase that serves one request.
func requestCase(impl string, side sessionSide) opCase {
	return opCase{impl, func(tb testing.TB) func(int) error {
		h, set, cookie := side(tb)
		return func(i int) error {
			set(i + 1)
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.Header.Set("Cookie", cookie)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Body.String() != "ok" || len(rec.Result().Cookies()) == 0 {
				return fmt.Errorf("status %d, body %q, cookies %v", rec.Code, rec.Body.String(), rec.Header()["Set-Cookie"])
			}
			return nil
		}
	}}
}

// firstCookie serves one request without a cookie and returns the
// Cookie header that the response sets.
func firstCookie(tb testing.TB, h http.Handler) string {
	tb.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	var parts []string
	for _, c := range rec.Result().Cookies() {
		parts = append(parts, c.Name+"="+c.Value)
	}
	if rec.Code != http.StatusOK || len(parts) == 0 {
		tb.Fatalf("first request: status %d, no cookie (%v)", rec.Code, rec.Header())
	}
	return strings.Join(parts, "; ")
}

// gosessSide is maker.Middleware with settings (backend and its options).
func gosessSide(settings func(tb testing.TB) session.Settings) sessionSide {
	return func(tb testing.TB) (http.Handler, func(int), string) {
		m := session.NewMaker()
		s := settings(tb)
		s["signature_key"] = benchSignKey
		if err := m.Configure(s); err != nil {
			tb.Fatal(err)
		}
		n := 0
		h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s := session.FromContext(r.Context())
			if s.IsNew() {
				s.Set("user", "alice")
			} else if v, _ := s.Get("user"); v != "alice" {
				http.Error(w, fmt.Sprintf("user %v", v), http.StatusInternalServerError)
				return
			}
			s.Set("counter", n)
			_, _ = w.Write([]byte("ok"))
		}))
		return h, func(i int) { n = i }, firstCookie(tb, h)
	}
}

// scsSide is scs's LoadAndSave on store.
func scsSide(store func(tb testing.TB) scs.Store) sessionSide {
	return func(tb testing.TB) (http.Handler, func(int), string) {
		sm := scs.New()
		sm.Store = store(tb)
		n := 0
		h := sm.LoadAndSave(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if !sm.Exists(ctx, "user") {
				sm.Put(ctx, "user", "alice")
			} else if v := sm.GetString(ctx, "user"); v != "alice" {
				http.Error(w, "user "+v, http.StatusInternalServerError)
				return
			}
			sm.Put(ctx, "counter", n)
			_, _ = w.Write([]byte("ok"))
		}))
		return h, func(i int) { n = i }, firstCookie(tb, h)
	}
}

// gorillaSide is gorilla/sessions' Get and Save on store.
func gorillaSide(store func(tb testing.TB) sessions.Store) sessionSide {
	return func(tb testing.TB) (http.Handler, func(int), string) {
		st := store(tb)
		n := 0
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s, err := st.Get(r, "session")
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			if s.IsNew {
				s.Values["user"] = "alice"
			} else if v := s.Values["user"]; v != "alice" {
				http.Error(w, fmt.Sprintf("user %v", v), http.StatusInternalServerError)
				return
			}
			s.Values["counter"] = n
			if err := s.Save(r, w); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			_, _ = w.Write([]byte("ok"))
		})
		return h, func(i int) { n = i }, firstCookie(tb, h)
	}
}

func memoryDogpile(tb testing.TB) session.Settings {
	r, _ := memoryRegion(tb)
	return session.Settings{"backend": "dogpile", "region": r}
}

func redisDogpile(tb testing.TB) session.Settings {
	return session.Settings{"backend": "dogpile", "region": netRegion(tb, "redis", false)}
}

func middlewareCases() []opCase {
	return []opCase{
		requestCase("gosess", gosessSide(memoryDogpile)),
		requestCase("scs", scsSide(func(testing.TB) scs.Store {
			// Without the cleanup goroutine: memstore's StopCleanup races
			// with the goroutine's start (seen under -race), and a
			// once-a-minute sweep does not matter to the measure.
			return memstore.NewWithCleanupInterval(0)
		})),
	}
}

// BenchmarkMiddleware: maker.Middleware with the dogpile backend on a
// memory region against scs's LoadAndSave with its memstore (goal: not
// slower).
func BenchmarkMiddleware(b *testing.B) { runCases(b, middlewareCases()) }

func redisMiddlewareCases() []opCase {
	return []opCase{
		requestCase("gosess", gosessSide(redisDogpile)),
		requestCase("scs", scsSide(func(tb testing.TB) scs.Store {
			addr := needServer(tb, "redis-server")
			pool := &redis.Pool{MaxIdle: 10, Dial: func() (redis.Conn, error) { return redis.Dial("tcp", addr) }}
			tb.Cleanup(func() { _ = pool.Close() })
			return redisstore.New(pool)
		})),
	}
}

// BenchmarkRedisMiddleware: the same on redis: the dogpile backend on our
// redis driver against scs's redisstore (redigo) (report only).
func BenchmarkRedisMiddleware(b *testing.B) { runCases(b, redisMiddlewareCases()) }

func cookieStoreCases() []opCase {
	return []opCase{
		requestCase("gosess", gosessSide(func(testing.TB) session.Settings {
			return session.Settings{"backend": "cookie", "encryption_key": benchEncKey}
		})),
		requestCase("gorilla", gorillaSide(func(testing.TB) sessions.Store {
			return sessions.NewCookieStore(benchSignKey, benchEncKey[:32])
		})),
	}
}

// BenchmarkCookieStore: the whole session in an encrypted cookie: our
// cookie backend against gorilla/sessions' CookieStore with a hash and a
// block key (report only).
func BenchmarkCookieStore(b *testing.B) { runCases(b, cookieStoreCases()) }

func fileStoreCases() []opCase {
	return []opCase{
		requestCase("gosess", gosessSide(func(tb testing.TB) session.Settings {
			return session.Settings{"backend": "file", "dir": filepath.Join(tb.TempDir(), "sessions")}
		})),
		// The default fsyncs each saved file and its directory;
		// FilesystemStore does not. Without fsync the two do the same
		// work.
		requestCase("gosess-nosync", gosessSide(func(tb testing.TB) session.Settings {
			return session.Settings{"backend": "file", "dir": filepath.Join(tb.TempDir(), "sessions"), "sync": false}
		})),
		requestCase("gorilla", gorillaSide(func(tb testing.TB) sessions.Store {
			return sessions.NewFilesystemStore(tb.TempDir(), benchSignKey)
		})),
	}
}

// BenchmarkFileStore: one file per session: our file backend against
// gorilla/sessions' FilesystemStore (report only).
func BenchmarkFileStore(b *testing.B) { runCases(b, fileStoreCases()) }

func TestSessionSetups(t *testing.T) {
	checkGroups(t, map[string][]opCase{
		"Middleware": middlewareCases(), "RedisMiddleware": redisMiddlewareCases(),
		"CookieStore": cookieStoreCases(), "FileStore": fileStoreCases(),
	})
}
