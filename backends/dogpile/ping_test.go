package dogpile_test

import (
	"errors"
	"testing"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// The maker's Ping reaches the cache server the sessions live on.
func TestMakerPingReachesTheServer(t *testing.T) {
	srv := testserver.Redis(t)
	r := region.New("app")
	defer r.Close()
	if err := r.Configure("redis", region.Config{Arguments: map[string]any{"url": "redis://" + srv.Addr, "dial_timeout": "200ms"}}); err != nil {
		t.Fatal(err)
	}
	m := newMaker(t, r, nil)
	if err := m.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if err := m.Ping(ctx); err == nil {
		t.Error("Ping with the server down succeeded")
	}
	if err := session.NewMaker().Ping(ctx); !errors.Is(err, session.ErrNotConfigured) {
		t.Errorf("unconfigured maker: %v", err)
	}
	if err := newMaker(t, memoryRegion(t), nil).Ping(ctx); err != nil {
		t.Errorf("memory region: %v", err)
	}
}
