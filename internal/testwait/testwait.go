// Package testwait waits in tests for a condition that becomes true
// asynchronously (a server that restarts, an entry that a cleaner
// removes), failing the test when it does not within a bound.
package testwait

import (
	"testing"
	"time"
)

// Until polls cond every 5 ms until it holds and fails the test (Fatal)
// if it still does not after within. what names the awaited condition in
// the failure message.
func Until(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting %v for %s", within, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
