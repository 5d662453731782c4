package memcached

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
)

func TestPing(t *testing.T) {
	srv := testserver.Memcached(t)
	ctx := context.Background()
	d := newTestDriver(t, Config{Servers: []string{srv.Addr}})
	if err := d.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	r := region.New("app")
	defer r.Close()
	if err := r.Configure(Name, region.Config{PingOnConfigure: true, Arguments: map[string]any{"url": srv.Addr, "distributed_lock": true}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if err := r.Ping(ctx); err == nil || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("Ping of a stopped server: %v", err)
	}
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	down := region.New("down")
	err = down.Configure(Name, region.Config{PingOnConfigure: true, Arguments: map[string]any{"url": fmt.Sprintf("127.0.0.1:%d", port)}})
	if err == nil || down.IsConfigured() {
		t.Errorf("PingOnConfigure on a closed port: %v", err)
	}
	d.Close()
	if err := d.Ping(ctx); err == nil {
		t.Error("Ping after Close")
	}
}
