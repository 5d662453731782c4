package dogpile_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/backends/dogpile"
	"github.com/gosess/gosess/internal/testchild"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/memory"
	_ "github.com/gosess/gosess/region/drivers/objects"
	_ "github.com/gosess/gosess/region/drivers/redis"
	"github.com/gosess/gosess/region/regiontest"
	"github.com/gosess/gosess/session"
	"github.com/gosess/gosess/session/sessiontest"
)

func TestMain(m *testing.M) {
	testchild.Main(m, childEnv, func(role string) error {
		if role == "users" {
			return runUsersChild()
		}
		return runChild()
	})
}

var ctx = context.Background()

func memoryRegion(t *testing.T) *region.Region {
	t.Helper()
	r := region.New("app")
	if err := r.Configure("memory", region.Config{Expiration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func TestContractMemory(t *testing.T) {
	b := dogpile.New(memoryRegion(t))
	sessiontest.Backend(t, b)
}

// TestContractObjects: sessions on the objects driver (values held as
// they are; the backend's records are []byte).
func TestContractObjects(t *testing.T) {
	r := region.New("app")
	if err := r.Configure("objects", region.Config{Expiration: time.Minute}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	sessiontest.Backend(t, dogpile.New(r))
}

func TestContractRedis(t *testing.T) {
	srv := testserver.Redis(t)
	r := region.New("app")
	if err := r.Configure("redis", region.Config{Arguments: map[string]any{"url": "redis://" + srv.Addr, "distributed_lock": true}}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := dogpile.New(r, dogpile.WithKeyPrefix("s:"))
	sessiontest.Backend(t, b)
}

func newMaker(t *testing.T, r *region.Region, extra session.Settings) *session.Maker {
	t.Helper()
	s := session.Settings{"backend": "dogpile", "region": r, "signature_key": bytes.Repeat([]byte("k"), 32)}
	for k, v := range extra {
		s[k] = v
	}
	m := session.NewMaker()
	if err := m.Configure(s); err != nil {
		t.Fatal(err)
	}
	return m
}

// One region serves the application's data and its sessions side by side.
func TestSharedRegion(t *testing.T) {
	r := memoryRegion(t)
	m := newMaker(t, r, nil)

	calls := 0
	create := func(context.Context) (string, error) { calls++; return "expensive report", nil }
	if v, err := region.GetOrCreate(ctx, r, "report", create); err != nil || v != "expensive report" {
		t.Fatal(v, err)
	}
	s, _ := m.New(ctx)
	s.Set("user", "ann")
	c, err := s.Save(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := region.Set(ctx, r, "user:7", map[string]any{"name": "bob"}); err != nil {
		t.Fatal(err)
	}
	// Sessions are under the prefix; app keys are untouched.
	raw, err := region.Get[[]byte](ctx, r, dogpile.DefaultKeyPrefix+s.ID())
	if err != nil || len(raw) == 0 {
		t.Fatalf("session not under its prefix: %v", err)
	}
	if v, err := region.GetOrCreate(ctx, r, "report", create); err != nil || v != "expensive report" || calls != 1 {
		t.Errorf("app data disturbed by sessions: %v %v calls=%d", v, err, calls)
	}
	back, err := m.Load(ctx, c.String())
	if err != nil || back.IsNew() {
		t.Fatalf("session: %v", err)
	}
	if v, _ := back.Get("user"); v != "ann" {
		t.Errorf("user %v", v)
	}
	// A soft invalidation of the app data does not log users out...
	if err := r.Invalidate(region.Soft); err != nil {
		t.Fatal(err)
	}
	if back, _ := m.Load(ctx, c.String()); back.IsNew() {
		t.Error("soft invalidation ended the session")
	}
	// ...a hard one removes everything, sessions included (documented).
	if err := r.Invalidate(region.Hard); err != nil {
		t.Fatal(err)
	}
	if back, _ := m.Load(ctx, c.String()); !back.IsNew() {
		t.Error("hard invalidation kept the session")
	}
}

// Sessions outlive the region's own expiration: their expiry is the
// session layer's (and the TTL it passes).
func TestRegionExpirationDoesNotEndSessions(t *testing.T) {
	r := region.New("short")
	if err := r.Configure("memory", region.Config{Expiration: time.Nanosecond}); err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b := dogpile.New(r)
	if err := b.Save(ctx, "abc", session.Record{Version: 1, Data: []byte("d")}, nil, time.Hour); err != nil {
		t.Fatal(err)
	}
	// The region judges freshness to region.ClockGranularity.
	time.Sleep(2 * region.ClockGranularity)
	if _, err := region.Get[[]byte](ctx, r, b.Key("abc")); !errors.Is(err, region.ErrNotFound) {
		t.Fatalf("the region itself should judge the entry stale: %v", err)
	}
	if rec, err := b.Load(ctx, "abc"); err != nil || string(rec.Data) != "d" {
		t.Errorf("session ended by the region's expiration: %v", err)
	}
}

func TestKeyPrefixSetting(t *testing.T) {
	r := memoryRegion(t)
	m := newMaker(t, r, session.Settings{"key_prefix": "sess/"})
	s, _ := sessiontest.SaveNew(t, m, map[string]any{"k": 1})
	if _, err := region.Get[[]byte](ctx, r, "sess/"+s.ID()); err != nil {
		t.Errorf("custom prefix: %v", err)
	}
	b := m.Backend().(*dogpile.Backend)
	if b.Region() != r || b.Key("x") != "sess/x" {
		t.Error("accessors")
	}
}

func TestFactoryErrors(t *testing.T) {
	key := bytes.Repeat([]byte("k"), 32)
	unconfigured := region.New("nothing")
	for name, s := range map[string]session.Settings{
		"missing":      {},
		"wrong type":   {"region": "app"},
		"unconfigured": {"region": unconfigured},
		"bad prefix":   {"region": memoryRegion(t), "key_prefix": 7},
	} {
		s["backend"], s["signature_key"] = "dogpile", key
		err := session.NewMaker().Configure(s)
		if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), "dogpile") {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, r := range []*region.Region{nil, unconfigured} {
		_, err := session.New(session.Config{Backend: dogpile.New(r), SignatureKeys: [][]byte{key}})
		if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), "not configured") {
			t.Errorf("New(%v): %v", r, err)
		}
	}
}

// Bytes under a session key that are not a record are a miss, not an error.
func TestForeignBytes(t *testing.T) {
	r := memoryRegion(t)
	b := dogpile.New(r)
	if err := region.Set(ctx, r, b.Key("abc"), []byte("not a record")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Load(ctx, "abc"); !errors.Is(err, session.ErrNotFound) {
		t.Errorf("Load of foreign bytes: %v", err)
	}
}

func TestWarnsWhenTheDriverDropsSessionsEarly(t *testing.T) {
	r := memoryRegion(t) // life window: 2 minutes
	for _, tc := range []struct {
		maxAge time.Duration
		warn   bool
	}{{time.Minute, false}, {time.Hour, true}, {0, false}} {
		var logs bytes.Buffer
		m := session.NewMaker(session.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		err := m.Configure(session.Settings{"backend": "dogpile", "region": r, "max_age": tc.maxAge,
			"signature_key": bytes.Repeat([]byte("k"), 32)})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "life_window"); got != tc.warn {
			t.Errorf("max_age %v: warned %v, want %v: %s", tc.maxAge, got, tc.warn, logs.String())
		}
	}
}

// Configure warns when the region can only detect concurrent saves within
// one process: its driver has neither compare-and-set nor a distributed
// lock.
func TestWarnsWhenAtomicityIsInProcess(t *testing.T) {
	for _, tc := range []struct {
		name string
		wrap []region.Proxy
		warn bool
	}{{"memory", nil, false}, {"memory without compare-and-set", []region.Proxy{regiontest.HideCAS}, true}} {
		r := region.New("app")
		if err := r.Configure("memory", region.Config{Expiration: time.Minute, Wrap: tc.wrap}); err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var logs bytes.Buffer
		m := session.NewMaker(session.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
		if err := m.Configure(session.Settings{"backend": "dogpile", "region": r, "signature_key": bytes.Repeat([]byte("k"), 32)}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(logs.String(), "only within this process"); got != tc.warn {
			t.Errorf("%s: warned %v, want %v: %s", tc.name, got, tc.warn, logs.String())
		}
	}
}
