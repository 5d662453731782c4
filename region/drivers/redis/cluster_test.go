package redis

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/internal/testwait"
	"github.com/gosess/gosess/region/driver"
)

func TestHashSlotKnownValues(t *testing.T) {
	// Values from the Redis Cluster specification and CLUSTER KEYSLOT.
	for key, want := range map[string]int{
		"foo": 12182, "bar": 5061, "hello": 866, "123456789": 0x31c3 % slotCount,
		"{user1000}.following": hashSlot("user1000"), "foo{}{bar}": hashSlot("foo{}{bar}"),
	} {
		if got := hashSlot(key); got != want {
			t.Errorf("hashSlot(%q) = %d; want %d", key, got, want)
		}
	}
	if hashSlot("{user1000}.following") != hashSlot("{user1000}.followers") {
		t.Error("keys with the same hash tag are in different slots")
	}
	if hashSlot("foo{}{bar}") == hashSlot("bar") {
		t.Error("an empty {} must not make the next tag the hash tag")
	}
	if hashSlot("foo{{bar}}zap") != hashSlot("{bar") {
		t.Error(`"foo{{bar}}zap" must hash "{bar"`)
	}
}

func TestGroupBySlot(t *testing.T) {
	keys := []string{"a", "{t}1", "b", "{t}2", "a", "{t}3"}
	groups := groupBySlot(keys)
	var flat []string
	for _, g := range groups {
		s := hashSlot(g[0])
		for _, k := range g {
			if hashSlot(k) != s {
				t.Errorf("group %q mixes slots", g)
			}
		}
		flat = append(flat, g...)
	}
	if len(flat) != len(keys) {
		t.Errorf("groups %q lose or add keys of %q", groups, keys)
	}
	for _, g := range groups {
		if g[0] == "{t}1" && !slices.Equal(g, []string{"{t}1", "{t}2", "{t}3"}) {
			t.Errorf("hash-tag group = %q; want the three {t} keys in order", g)
		}
	}
	if g := groupBySlot(nil); len(g) != 0 {
		t.Errorf("groupBySlot(nil) = %q", g)
	}
}

// startCluster starts three redis-server masters with cluster mode on,
// splits the 16384 slots between them and joins them, without redis-cli:
// CLUSTER ADDSLOTSRANGE and CLUSTER MEET, then waits for cluster_state:ok.
func startCluster(t *testing.T) []string {
	t.Helper()
	const n = 3
	var addrs, buses []string
	var clients []*goredis.Client
	for i := range n {
		bus, err := testserver.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		s := testserver.Redis(t, "--cluster-enabled", "yes", "--cluster-config-file", dir+"/nodes.conf",
			"--cluster-port", strconv.Itoa(bus), "--dir", dir, "--cluster-node-timeout", "5000")
		addrs, buses = append(addrs, s.Addr), append(buses, strconv.Itoa(bus))
		c := rawClient(t, s.Addr, 0)
		clients = append(clients, c)
		lo, hi := i*slotCount/n, (i+1)*slotCount/n-1
		if err := c.Do(t.Context(), "cluster", "addslotsrange", lo, hi).Err(); err != nil {
			t.Fatalf("CLUSTER ADDSLOTSRANGE on %s: %v", s.Addr, err)
		}
	}
	for i := 1; i < n; i++ {
		host, port, _ := strings.Cut(addrs[i], ":")
		if err := clients[0].Do(t.Context(), "cluster", "meet", host, port, buses[i]).Err(); err != nil {
			t.Fatalf("CLUSTER MEET: %v", err)
		}
	}
	testwait.Until(t, 20*time.Second, "the cluster to converge", func() bool {
		for _, c := range clients {
			info, err := c.ClusterInfo(t.Context()).Result()
			if err != nil || !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:3") {
				return false
			}
		}
		return true
	})
	return addrs
}

// mgetRecorder is a go-redis hook that records the keys of every MGET and
// DEL the driver sends, pipelined or not.
type mgetRecorder struct {
	mu   sync.Mutex
	cmds map[string][][]string
}

func (r *mgetRecorder) record(cmds ...goredis.Cmder) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range cmds {
		name := c.Name()
		if name != "mget" && name != "del" {
			continue
		}
		var keys []string
		for _, a := range c.Args()[1:] {
			keys = append(keys, fmt.Sprint(a))
		}
		r.cmds[name] = append(r.cmds[name], keys)
	}
}

func (r *mgetRecorder) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (r *mgetRecorder) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		r.record(cmd)
		return next(ctx, cmd)
	}
}
func (r *mgetRecorder) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		r.record(cmds...)
		return next(ctx, cmds)
	}
}

func TestCluster(t *testing.T) {
	addrs := startCluster(t)
	clusterArgs := map[string]any{"addrs": addrs, "distributed_lock": true, "lock_sleep": "2ms"}

	t.Run("Conformance", func(t *testing.T) { runConformance(t, clusterArgs) })

	t.Run("MultiPerSlot", func(t *testing.T) {
		d := fromArgs(t, clusterArgs)
		dr := d.(LockingDriver).Driver
		defer dr.Close()
		if dr.mode != "cluster" {
			t.Fatalf("mode = %s; want cluster", dr.mode)
		}
		rec := &mgetRecorder{cmds: map[string][][]string{}}
		dr.Client().AddHook(rec)
		ctx := t.Context()
		items := map[string][]byte{}
		var keys []string
		for i := range 100 {
			k := "key" + strconv.Itoa(i)
			keys = append(keys, k)
			items[k] = []byte(strconv.Itoa(i))
		}
		keys = append(keys, "{tag}a", "{tag}b", "missing")
		items["{tag}a"], items["{tag}b"] = []byte("a"), []byte("b")
		if err := driver.SetMulti(ctx, d, items, time.Minute); err != nil {
			t.Fatal(err)
		}
		wantMulti(t, d, keys, items)
		slots := map[int]bool{}
		for _, k := range keys {
			slots[hashSlot(k)] = true
		}
		mgets := rec.cmds["mget"]
		if len(mgets) != len(slots) {
			t.Errorf("%d MGETs for %d slots", len(mgets), len(slots))
		}
		for _, m := range mgets {
			for _, k := range m {
				if hashSlot(k) != hashSlot(m[0]) {
					t.Errorf("MGET %q spans slots", m)
					break
				}
			}
		}
		if err := driver.DeleteMulti(ctx, d, keys); err != nil {
			t.Fatal(err)
		}
		if len(rec.cmds["del"]) != len(slots) {
			t.Errorf("%d DELs for %d slots", len(rec.cmds["del"]), len(slots))
		}
		if got, err := driver.GetMulti(ctx, d, keys); err != nil || len(got) != 0 {
			t.Errorf("after DeleteMulti: GetMulti = %d items, %v", len(got), err)
		}
	})
}
