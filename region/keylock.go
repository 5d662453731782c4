package region

import (
	"context"
	"fmt"
	"hash/maphash"
	"sync"
)

// keyLocks is the in-process registry of per-key mutexes. An entry exists
// only while some caller holds or waits for the key, so the registry does
// not grow with the number of keys ever locked.
type keyLocks struct {
	seed   maphash.Seed
	shards [64]keyLockShard
}

type keyLockShard struct {
	mu sync.Mutex
	m  map[string]*keyLock
}

type keyLock struct {
	ch   chan struct{} // capacity 1: full means held
	refs int           // holders and waiters
}

func newKeyLocks() *keyLocks {
	k := &keyLocks{seed: maphash.MakeSeed()}
	for i := range k.shards {
		k.shards[i].m = map[string]*keyLock{}
	}
	return k
}

func (k *keyLocks) shard(key string) *keyLockShard {
	return &k.shards[maphash.String(k.seed, key)%uint64(len(k.shards))]
}

func (k *keyLocks) ref(key string) *keyLock {
	s := k.shard(key)
	s.mu.Lock()
	l := s.m[key]
	if l == nil {
		l = &keyLock{ch: make(chan struct{}, 1)}
		s.m[key] = l
	}
	l.refs++
	s.mu.Unlock()
	return l
}

func (k *keyLocks) unref(key string) {
	s := k.shard(key)
	s.mu.Lock()
	if l := s.m[key]; l != nil {
		l.refs--
		if l.refs == 0 {
			delete(s.m, key)
		}
	}
	s.mu.Unlock()
}

// locked reports whether key is held in this process.
func (k *keyLocks) locked(key string) bool {
	s := k.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.m[key]
	return l != nil && len(l.ch) == 1
}

// size is the number of live entries (for tests).
func (k *keyLocks) size() int {
	n := 0
	for i := range k.shards {
		s := &k.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

// localMutex is a Mutex on one key of a keyLocks registry.
type localMutex struct {
	reg  *keyLocks
	key  string
	held *keyLock
}

// TryLock on a mutex that already holds its lock reports false, nil, as
// every driver's TryLock does: the lock is not free.
func (m *localMutex) TryLock(context.Context) (bool, error) {
	if m.held != nil {
		return false, nil
	}
	l := m.reg.ref(m.key)
	select {
	case l.ch <- struct{}{}:
		m.held = l
		return true, nil
	default:
		m.reg.unref(m.key)
		return false, nil
	}
}

func (m *localMutex) Lock(ctx context.Context) error {
	if m.held != nil {
		return fmt.Errorf("region: mutex for %q already held by this caller", m.key)
	}
	l := m.reg.ref(m.key)
	select {
	case l.ch <- struct{}{}:
		m.held = l
		return nil
	default:
	}
	select {
	case l.ch <- struct{}{}:
		m.held = l
		return nil
	case <-ctx.Done():
		m.reg.unref(m.key)
		return fmt.Errorf("region: waiting for lock on %q: %w", m.key, ctx.Err())
	}
}

func (m *localMutex) Unlock(context.Context) error {
	if m.held == nil {
		return fmt.Errorf("region: unlock of %q that is not held", m.key)
	}
	<-m.held.ch
	m.held = nil
	m.reg.unref(m.key)
	return nil
}

// layeredMutex takes the in-process mutex, then the driver's.
type layeredMutex struct {
	local  *localMutex
	remote Mutex
}

func (m *layeredMutex) TryLock(ctx context.Context) (bool, error) {
	ok, err := m.local.TryLock(ctx)
	if !ok || err != nil {
		return ok, err
	}
	ok, err = m.remote.TryLock(ctx)
	if !ok || err != nil {
		_ = m.local.Unlock(ctx)
	}
	return ok, err
}

func (m *layeredMutex) Lock(ctx context.Context) error {
	if err := m.local.Lock(ctx); err != nil {
		return err
	}
	if err := m.remote.Lock(ctx); err != nil {
		_ = m.local.Unlock(ctx)
		return err
	}
	return nil
}

func (m *layeredMutex) Unlock(ctx context.Context) error {
	err := m.remote.Unlock(ctx)
	_ = m.local.Unlock(ctx)
	return err
}

// freeMutex is the mutex of a driver.LockSkipper: it never waits.
type freeMutex struct{}

func (freeMutex) TryLock(context.Context) (bool, error) { return true, nil }
func (freeMutex) Lock(context.Context) error            { return nil }
func (freeMutex) Unlock(context.Context) error          { return nil }
