package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testlog"
	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

func TestPing(t *testing.T) {
	srv := testserver.Redis(t)
	ctx := context.Background()
	if err := newDriver(t, srv, nil).(driver.Pinger).Ping(ctx); err != nil {
		t.Fatal(err)
	}
	r := region.New("app")
	defer r.Close()
	if err := r.Configure("redis", region.Config{PingOnConfigure: true, Arguments: map[string]any{"url": "redis://" + srv.Addr}}); err != nil {
		t.Fatal(err)
	}
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	if err := r.Ping(ctx); err == nil || !strings.Contains(err.Error(), `driver "redis"`) {
		t.Errorf("Ping of a stopped server: %v", err)
	}
}

// Building a region on an unreachable redis succeeds unless
// PingOnConfigure asks; then it fails at once with a clear error.
func TestPingOnConfigureUnreachable(t *testing.T) {
	addr := closedAddr(t)
	args := map[string]any{"url": "redis://" + addr, "dial_timeout": "200ms"}
	lazy := region.New("lazy")
	defer lazy.Close()
	if err := lazy.Configure("redis", region.Config{Arguments: args}); err != nil {
		t.Fatalf("without PingOnConfigure: %v", err)
	}
	strict := region.New("strict")
	start := time.Now()
	err := strict.Configure("redis", region.Config{PingOnConfigure: true, Arguments: args})
	if err == nil || !strings.Contains(err.Error(), "does not answer") || !strings.Contains(err.Error(), addr) || strict.IsConfigured() {
		t.Fatalf("with PingOnConfigure: %v (configured %v)", err, strict.IsConfigured())
	}
	if took := time.Since(start); took > region.PingTimeout {
		t.Errorf("the check took %v", took)
	}
}

// go-redis's own log lines (here: the connection pool failing to dial) go
// to the region's slog logger, not to package log on standard error.
func TestGoRedisLogsThroughSlog(t *testing.T) {
	var buf testlog.Buffer
	logger := buf.Logger(slog.LevelInfo)
	r := region.New("app", region.WithLogger(logger))
	if err := r.Configure("redis", region.Config{Arguments: map[string]any{
		"url": "redis://" + closedAddr(t), "dial_timeout": "100ms", "max_retries": -1}}); err != nil {
		t.Fatal(err)
	}
	_, err := region.Get[string](context.Background(), r, "k")
	if err == nil || errors.Is(err, region.ErrNotFound) {
		t.Fatalf("Get on an unreachable server: %v", err)
	}
	r.Close()
	out := buf.String()
	if !strings.Contains(out, "component=go-redis") || !strings.Contains(out, "failed to dial") || !strings.Contains(out, "level=WARN") {
		t.Errorf("go-redis line not in the region's log:\n%s", out)
	}
	// After Close the driver's logger gets nothing more.
	goredisLog.Printf(context.Background(), "after close")
	if strings.Contains(buf.String(), "after close") {
		t.Error("a closed driver's logger still receives go-redis lines")
	}
}
