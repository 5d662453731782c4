package dogpilepeer

// Go peers in other processes: the test binary re-executes itself with
// childEnv set to a role, and TestMain runs runChild instead of the tests.
// A child configures its region exactly as a Go service would (the flat
// config of servers_test.go, default driver arguments), so the guarantee
// shown is the one a fleet gets.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosess/gosess/internal/testchild"
	"github.com/gosess/gosess/region"
)

const (
	childEnv  = "GOSESS_DOGPILEPEER_CHILD" // the role
	kindEnv   = "GOSESS_DOGPILEPEER_KIND"  // "memcached" or "redis"
	addrEnv   = "GOSESS_DOGPILEPEER_ADDR"  // the server
	roundEnv  = "GOSESS_DOGPILEPEER_ROUND" // names the round's keys
	nameEnv   = "GOSESS_DOGPILEPEER_NAME"  // the child's name, in its values
	childWait = time.Minute                // a child never outlives it
)

// creatorSleep is how long stampede creators run: long enough that every
// peer arrives while the first one holds the lock.
const creatorSleep = time.Second

// goroutinesPerGoPeer is how many callers each Go process starts at once.
const goroutinesPerGoPeer = 4

// startChild starts a Go peer process in role for server s.
func startChild(ctx context.Context, role string, s *server, round, name string) (*exec.Cmd, *strings.Builder, error) {
	cmd := testchild.CommandContext(ctx, childEnv, role, kindEnv+"="+s.kind, addrEnv+"="+s.addr,
		roundEnv+"="+round, nameEnv+"="+name)
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = &out
	return cmd, &out, cmd.Start()
}

func TestMain(m *testing.M) { testchild.Main(m, childEnv, runChild) }

func runChild(role string) error {
	ctx, cancel := context.WithTimeout(context.Background(), childWait)
	defer cancel()
	s := &server{kind: os.Getenv(kindEnv), addr: os.Getenv(addrEnv)}
	s.raw = newRaw(s.kind, s.addr)
	defer s.raw.close()
	switch role {
	case "stampede":
		return childStampede(ctx, s, os.Getenv(roundEnv), os.Getenv(nameEnv))
	}
	return fmt.Errorf("unknown role %q", role)
}

// childStampede: say ready, wait for the parent's go, then call
// GetOrCreate on the round's cold key from goroutinesPerGoPeer goroutines
// at once. The creator counts its runs on the server. Each result is
// printed as "RESULT <value>".
func childStampede(ctx context.Context, s *server, round, name string) error {
	r := region.New("stampede")
	if err := r.ConfigureFromConfig(s.flat("60", nil), "cache.py."); err != nil {
		return err
	}
	defer r.Close()
	if _, err := s.raw.incr(ctx, "ready:"+round); err != nil {
		return err
	}
	if err := waitKey(ctx, s.raw, "go:"+round); err != nil {
		return err
	}
	creator := func(ctx context.Context) (string, error) {
		if _, err := s.raw.incr(ctx, "runs:"+round); err != nil {
			return "", err
		}
		time.Sleep(creatorSleep)
		return "made by " + name, nil
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for range goroutinesPerGoPeer {
		wg.Go(func() {
			v, err := region.GetOrCreate(ctx, r, "stampede:"+round, creator)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			fmt.Printf("RESULT %s\n", v)
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

// waitKey polls until key exists on the server.
func waitKey(ctx context.Context, raw raw, key string) error {
	for {
		if _, ok, err := raw.get(ctx, key); err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %q: %w", key, ctx.Err())
		case <-time.After(2 * time.Millisecond):
		}
	}
}
