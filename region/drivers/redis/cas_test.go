package redis

import (
	"errors"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/regiontest"
)

// TestCASAcrossDrivers runs the compare-and-set contract with two drivers
// on one server, standing for two processes (the single-driver run is part
// of TestConformance), with and without a key prefix.
func TestCASAcrossDrivers(t *testing.T) {
	s := testserver.Redis(t)
	opts := regiontest.DriverOptions{TTL: 200 * time.Millisecond, TTLSlack: time.Second}
	t.Run("Plain", func(t *testing.T) {
		regiontest.RunCASPair(t, newDriver(t, s, nil), newDriver(t, s, nil), "pair:", opts)
	})
	t.Run("KeyPrefixLocking", func(t *testing.T) {
		args := map[string]any{"key_prefix": "app:", "distributed_lock": true}
		regiontest.RunCASPair(t, newDriver(t, s, args), newDriver(t, s, args), "lpair:", opts)
	})
}

// TestCASScript checks what the script does on the server: the prefix is
// applied, the token is the SHA-1 the server computes, a value of another
// type is an error (not a conflict), and the script is loaded on a server
// that lost it (SCRIPT FLUSH).
func TestCASScript(t *testing.T) {
	s := testserver.Redis(t)
	d := newDriver(t, s, map[string]any{"key_prefix": "p:"}).(*Driver)
	raw := rawClient(t, s.Addr, 0)
	ctx := t.Context()
	if err := d.CompareAndSet(ctx, "k", "", []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := raw.Get(ctx, "p:k").Val(); got != "v1" {
		t.Fatalf("raw GET p:k = %q", got)
	}
	if ttl := raw.PTTL(ctx, "p:k").Val(); ttl <= 50*time.Second {
		t.Fatalf("PTTL = %v; want about a minute", ttl)
	}
	_, tok, err := d.GetCAS(ctx, "k")
	if err != nil {
		t.Fatal(err)
	}
	if server := raw.Eval(ctx, "return redis.sha1hex(redis.call('GET', KEYS[1]))", []string{"p:k"}).Val(); server != string(tok) {
		t.Fatalf("token %q; the server's SHA-1 is %v", tok, server)
	}
	if err := raw.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := d.CompareAndSet(ctx, "k", tok, []byte("v2"), 0); err != nil {
		t.Fatalf("CompareAndSet after SCRIPT FLUSH: %v", err)
	}
	if ttl := raw.PTTL(ctx, "p:k").Val(); ttl != -1 {
		t.Fatalf("PTTL after a compare-and-set without TTL = %v; want none (-1)", ttl)
	}
	if err := raw.LPush(ctx, "p:list", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if err := d.CompareAndSet(ctx, "list", "", []byte("v"), 0); err == nil || errors.Is(err, region.ErrConflict) {
		t.Fatalf("CompareAndSet over a list: %v; want the server's WRONGTYPE error", err)
	}
	if err := d.CompareAndSet(ctx, "k", "not a digest", []byte("v"), 0); !errors.Is(err, region.ErrInvalidArgument) {
		t.Fatalf("CompareAndSet with a foreign token: %v; want ErrInvalidArgument", err)
	}
}
