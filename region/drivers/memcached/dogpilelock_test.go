package memcached

import (
	"testing"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

// asDogpile hands a LockingDriver's dogpile protocol to tests written for
// driver.Locker.
type asDogpile struct{ l *LockingDriver }

func (a asDogpile) Mutex(key string) driver.Mutex { return a.l.DogpileMutex(key) }

func TestDogpileMutex(t *testing.T) {
	a, b := twoClients(t, Config{})
	regiontest.RunLockerPair(t, asDogpile{a}, asDogpile{b}, "_lockpair:")

	ctx := t.Context()
	ma, mb := a.DogpileMutex("_lockres").(*DogpileMutex), b.DogpileMutex("_lockres").(*DogpileMutex)
	if ok, err := ma.TryLock(ctx); !ok || err != nil {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	// The item is dogpile's: the int 1 as pymemcache stores it.
	it, err := a.client.Get("_lockres")
	if err != nil || string(it.Value) != "1" || it.Flags != pyIntFlags {
		t.Fatalf("lock item %+v, %v; want value 1, flags 2", it, err)
	}
	if locked, err := mb.Locked(ctx); !locked || err != nil {
		t.Fatalf("Locked = %v, %v", locked, err)
	}
	if ok, _ := ma.TryLock(ctx); ok {
		t.Fatal("the holder took its lock twice")
	}
	if err := mb.Unlock(ctx); err == nil {
		t.Fatal("Unlock by a mutex that does not hold the lock succeeded")
	}
	if err := ma.Unlock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.client.Get("_lockres"); err != memcache.ErrCacheMiss {
		t.Fatalf("after Unlock: %v; want the item deleted", err)
	}
	if locked, err := mb.Locked(ctx); locked || err != nil {
		t.Fatalf("Locked after Unlock = %v, %v", locked, err)
	}
}
