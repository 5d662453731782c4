package redis

import (
	"testing"

	"github.com/gosess/gosess/internal/testserver"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

// asDogpile hands a LockingDriver's dogpile protocol to tests written for
// driver.Locker.
type asDogpile struct{ l driver.DogpileLocker }

func (a asDogpile) Mutex(key string) driver.Mutex { return a.l.DogpileMutex(key) }

func TestDogpileMutex(t *testing.T) {
	s := testserver.Redis(t)
	l1, l2 := lockers(t, s, nil)
	d1, ok1 := l1.(driver.DogpileLocker)
	d2, ok2 := l2.(driver.DogpileLocker)
	if !ok1 || !ok2 {
		t.Fatal("a locking redis driver is not a driver.DogpileLocker")
	}
	regiontest.RunLockerPair(t, asDogpile{d1}, asDogpile{d2}, "_lockpair:")

	ctx := t.Context()
	m := d1.DogpileMutex("_lockres")
	if ok, err := m.TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	other := d2.DogpileMutex("_lockres").(dogpileMutex)
	if locked, err := other.Locked(ctx); !locked || err != nil {
		t.Fatalf("Locked while held = %v, %v", locked, err)
	}
	if ttl := l1.(LockingDriver).client.PTTL(ctx, "_lockres").Val(); ttl <= 0 {
		t.Fatalf("lock key TTL %v; want lock_timeout", ttl)
	}
	if err := m.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if locked, err := other.Locked(ctx); locked || err != nil {
		t.Fatalf("Locked after Unlock = %v, %v", locked, err)
	}
}
