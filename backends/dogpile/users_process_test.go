package dogpile_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/gosess/gosess/session"
)

// The cross-process per-user test of issue 11: processes (this test
// binary again, childEnv=users) share one redis-server or memcached
// through regions with the drivers' default arguments. Each child logs
// in usersLogins sessions for "ann" and as many for "bob", from
// usersGoroutines goroutines at once, so the users' indexes are updated
// concurrently from every process; then it waits while the parent, a
// process of its own, lists and revokes ann's sessions; then it loads
// every cookie it made and reports which still load.
const (
	usersProcesses  = 3
	usersGoroutines = 4
	usersLogins     = 12 // per user and process
)

// runUsersChild is the child side: it prints "ann COOKIE" and "bob
// COOKIE" lines and "ready", waits for a line on stdin, then prints
// "kept ann N bob M".
func runUsersChild() error {
	return childMain(func(ctx context.Context, m *session.Maker) error {
		var (
			mu      sync.Mutex
			cookies = map[string][]string{}
			wg      sync.WaitGroup
			errs    = make(chan error, usersGoroutines)
		)
		for g := range usersGoroutines {
			wg.Go(func() {
				for i := g; i < 2*usersLogins; i += usersGoroutines {
					user := []string{"ann", "bob"}[i%2]
					s, err := m.New(ctx)
					if err != nil {
						errs <- err
						return
					}
					s.SetUser(user)
					c, err := s.Save(ctx)
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					cookies[user] = append(cookies[user], c.String())
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			return err
		}
		for _, user := range []string{"ann", "bob"} {
			for _, c := range cookies[user] {
				fmt.Printf("%s %s\n", user, c)
			}
		}
		fmt.Println("ready")
		if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
			return fmt.Errorf("waiting for the revocation: %w", err)
		}
		kept := map[string]int{}
		for user, list := range cookies {
			for _, c := range list {
				s, err := m.Load(ctx, c)
				if err != nil {
					return err
				}
				if !s.IsNew() && s.User() == user {
					kept[user]++
				}
			}
		}
		fmt.Printf("kept ann %d bob %d\n", kept["ann"], kept["bob"])
		return nil
	})
}

func TestCrossProcessRevokeUser(t *testing.T) {
	onEachServer(t, func(t *testing.T, driver, url string) {
		m := testCounterMaker(t, driver, url, false)
		children := startChildren(t, usersProcesses, "users", driver, url)
		made := map[string][]string{}
		for i, ch := range children {
			for ch.lines.Scan() && ch.lines.Text() != "ready" {
				user, c, _ := strings.Cut(ch.lines.Text(), " ")
				made[user] = append(made[user], c)
			}
			if err := ch.lines.Err(); err != nil || len(made["ann"]) != (i+1)*usersLogins {
				t.Fatalf("child %d: %d sessions of ann so far, %v\n%s", i, len(made["ann"]), err, ch.stderr.String())
			}
		}
		const total = usersProcesses * usersLogins
		// Every login of every process is in the index: no update of
		// it was lost between processes.
		list, err := m.UserSessions(ctx, "ann")
		if err != nil || len(list) != total {
			t.Fatalf("UserSessions(ann) = %d sessions (%v), want %d", len(list), err, total)
		}
		n, err := m.RevokeUser(ctx, "ann")
		if err != nil || n != total {
			t.Fatalf("RevokeUser(ann) = %d, %v; want %d", n, err, total)
		}
		if list, err := m.UserSessions(ctx, "bob"); err != nil || len(list) != total {
			t.Fatalf("UserSessions(bob) = %d sessions (%v), want %d", len(list), err, total)
		}
		for i, ch := range children {
			io.WriteString(ch.stdin, "go\n")
			if !ch.lines.Scan() {
				t.Fatalf("child %d: no result\n%s", i, ch.stderr.String())
			}
			var ann, bob int
			if _, err := fmt.Sscanf(ch.lines.Text(), "kept ann %d bob %d", &ann, &bob); err != nil || ann != 0 || bob != usersLogins {
				t.Errorf("child %d after RevokeUser(ann) in another process: %q (%v); want kept ann 0 bob %d",
					i, ch.lines.Text(), err, usersLogins)
			}
			if err := ch.cmd.Wait(); err != nil {
				t.Errorf("child %d: %v\n%s", i, err, ch.stderr.String())
			}
		}
		t.Logf("%s: %d processes x %d goroutines logged in %d sessions of ann and %d of bob; UserSessions listed them all, RevokeUser in another process ended ann's %d, bob's stayed",
			driver, usersProcesses, usersGoroutines, total, total, n)
	})
}
