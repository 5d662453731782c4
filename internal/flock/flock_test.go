package flock

import (
	"os"
	"path/filepath"
	"testing"
)

func TestTryLockExcludesOtherDescriptions(t *testing.T) {
	if !Supported {
		t.Skip("no flock on this platform")
	}
	p := filepath.Join(t.TempDir(), "lock")
	a, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ok, err := TryLock(a); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, err := TryLock(b); ok || err != nil {
		t.Fatal("second description got the lock", ok, err)
	}
	a.Close()
	if ok, err := TryLock(b); !ok || err != nil {
		t.Fatal("lock not released on close", ok, err)
	}
}
