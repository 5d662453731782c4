package dogpilepeer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/internal/pypeer"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memcached"
	_ "github.com/gosess/gosess/region/drivers/redis"
)

// server is one real server shared by Go regions and Python regions, with
// the configuration each side uses for it: the Python region a team
// already runs, and the flat config that makes a Go region its peer.
type server struct {
	kind string // "memcached" or "redis"
	addr string
	raw  raw
}

// servers starts one memcached and one redis-server for the test.
func servers(t *testing.T) []*server {
	t.Helper()
	pypeer.Need(t)
	mc := testserver.Memcached(t)
	rd := testserver.Redis(t)
	return []*server{
		{kind: "memcached", addr: mc.Addr, raw: newRaw("memcached", mc.Addr)},
		{kind: "redis", addr: rd.Addr, raw: newRaw("redis", rd.Addr)},
	}
}

// onEachServer runs f as a subtest on each server of servers (memcached
// and redis), with a context that ends after a minute, and closes the
// server's raw client after it.
func onEachServer(t *testing.T, f func(t *testing.T, ctx context.Context, s *server)) {
	t.Helper()
	for _, s := range servers(t) {
		t.Run(s.kind, func(t *testing.T) {
			defer s.raw.close()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			f(t, ctx, s)
		})
	}
}

// python is the Python region configuration: make_region(serializer=JSON)
// .configure(backend, expiration_time, arguments), with extra arguments
// merged in.
func (s *server) python(expiration float64, extra map[string]any) pypeer.Region {
	reg := pypeer.Region{Arguments: map[string]any{"distributed_lock": true}}
	if expiration > 0 {
		reg.ExpirationTime = pypeer.Seconds(expiration)
	}
	switch s.kind {
	case "memcached":
		reg.Backend = "dogpile.cache.pymemcache"
		reg.Arguments["url"] = []string{s.addr}
	case "redis":
		reg.Backend = "dogpile.cache.redis"
		reg.Arguments["url"] = "redis://" + s.addr + "/0"
		reg.Arguments["thread_local_lock"] = false
	}
	for k, v := range extra {
		reg.Arguments[k] = v
	}
	return reg
}

// flat is the Go side's flat config for the same region under prefix
// "cache.py.", as docs/dogpile-compat.md shows it.
func (s *server) flat(expiration string, extra map[string]string) map[string]string {
	conf := map[string]string{
		"cache.py.backend":                    s.kind,
		"cache.py.format":                     "dogpile",
		"cache.py.arguments.distributed_lock": "true",
	}
	if expiration != "" {
		conf["cache.py.expiration_time"] = expiration
	}
	switch s.kind {
	case "memcached":
		conf["cache.py.arguments.url"] = s.addr
	case "redis":
		conf["cache.py.arguments.url"] = "redis://" + s.addr + "/0"
	}
	for k, v := range extra {
		conf["cache.py.arguments."+k] = v
	}
	return conf
}

// goRegion is a Go region configured from flat.
func (s *server) goRegion(t testing.TB, name, expiration string, extra map[string]string, opts ...region.Option) *region.Region {
	t.Helper()
	r := region.New(name, opts...)
	if err := r.ConfigureFromConfig(s.flat(expiration, extra), "cache.py."); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// raw is direct access to a server, for the tests' counters and signals
// and to look at what the regions stored.
type raw interface {
	incr(ctx context.Context, key string) (int64, error)
	set(ctx context.Context, key, value string) error
	get(ctx context.Context, key string) (string, bool, error)
	// ttl is the item's remaining life: -1 for none, -2 for absent.
	ttl(ctx context.Context, key string) (time.Duration, error)
	close()
}

func newRaw(kind, addr string) raw {
	if kind == "redis" {
		return redisRaw{goredis.NewClient(&goredis.Options{Addr: addr})}
	}
	return memcachedRaw{c: memcache.New(addr), addr: addr}
}

type redisRaw struct{ c *goredis.Client }

func (r redisRaw) incr(ctx context.Context, key string) (int64, error) {
	return r.c.Incr(ctx, key).Result()
}
func (r redisRaw) set(ctx context.Context, key, value string) error {
	return r.c.Set(ctx, key, value, 0).Err()
}
func (r redisRaw) get(ctx context.Context, key string) (string, bool, error) {
	v, err := r.c.Get(ctx, key).Result()
	if errors.Is(err, goredis.Nil) {
		return "", false, nil
	}
	return v, err == nil, err
}
func (r redisRaw) ttl(ctx context.Context, key string) (time.Duration, error) {
	return r.c.PTTL(ctx, key).Result() // go-redis reports "none" and "absent" as -1 and -2
}
func (r redisRaw) close() { r.c.Close() }

type memcachedRaw struct {
	c    *memcache.Client
	addr string
}

func (m memcachedRaw) incr(_ context.Context, key string) (int64, error) {
	if err := m.c.Add(&memcache.Item{Key: key, Value: []byte("0")}); err != nil && !errors.Is(err, memcache.ErrNotStored) {
		return 0, err
	}
	n, err := m.c.Increment(key, 1)
	return int64(n), err
}
func (m memcachedRaw) set(_ context.Context, key, value string) error {
	return m.c.Set(&memcache.Item{Key: key, Value: []byte(value)})
}
func (m memcachedRaw) get(_ context.Context, key string) (string, bool, error) {
	it, err := m.c.Get(key)
	if errors.Is(err, memcache.ErrCacheMiss) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return string(it.Value), true, nil
}

// ttl asks memcached's meta protocol ("mg key t"), which gomemcache does
// not speak.
func (m memcachedRaw) ttl(ctx context.Context, key string) (time.Duration, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := fmt.Fprintf(conn, "mg %s t\r\n", key); err != nil {
		return 0, err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return 0, err
	}
	f := strings.Fields(line)
	switch {
	case len(f) > 0 && f[0] == "EN":
		return -2, nil
	case len(f) == 2 && f[0] == "HD" && strings.HasPrefix(f[1], "t"):
		n, err := strconv.Atoi(f[1][1:])
		if n < 0 {
			return time.Duration(n), err
		}
		return time.Duration(n) * time.Second, err
	}
	return 0, fmt.Errorf("memcached: mg %s t: %q", key, line)
}
func (m memcachedRaw) close() { m.c.Close() }
