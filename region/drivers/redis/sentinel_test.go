package redis

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/internal/testwait"
)

// startSentinel runs a redis sentinel (redis-server --sentinel) on a free
// loopback port monitoring the master at masterAddr as "mymaster", and
// returns its address. testserver cannot start it: a sentinel needs a
// writable configuration file as its first argument.
func startSentinel(t *testing.T, masterAddr string) string {
	t.Helper()
	testserver.Need(t, "redis-server")
	port, err := testserver.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	host, mport, _ := net.SplitHostPort(masterAddr)
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("port %d\nbind 127.0.0.1\nprotected-mode no\ndaemonize no\ndir %s\n"+
		"sentinel monitor mymaster %s %s 1\n", port, dir, host, mport)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("redis-server", conf, "--sentinel")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done })
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	c := rawClient(t, addr, 0)
	testwait.Until(t, 10*time.Second, "the sentinel to know its master", func() bool {
		got, err := c.Do(t.Context(), "sentinel", "get-master-addr-by-name", "mymaster").StringSlice()
		return err == nil && len(got) == 2 && got[1] == mport
	})
	return addr
}

func TestSentinel(t *testing.T) {
	master := testserver.Redis(t)
	sentinel := startSentinel(t, master.Addr)
	args := map[string]any{"addrs": sentinel, "master_name": "mymaster", "db": 4, "distributed_lock": true}

	d := newDriver(t, master, map[string]any{"addrs": sentinel, "master_name": "mymaster", "db": 4})
	if m := d.(*Driver).mode; m != "sentinel" {
		t.Fatalf("mode = %s; want sentinel", m)
	}
	ctx := t.Context()
	if err := d.Set(ctx, "via-sentinel", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v := rawClient(t, master.Addr, 4).Get(ctx, "via-sentinel").Val(); v != "v" {
		t.Fatalf("master db 4 GET = %q; want v", v)
	}
	runConformance(t, args)
}
