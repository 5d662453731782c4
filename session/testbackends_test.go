package session_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gosess/gosess/session"
)

// The backends written for the tests: an in-memory store, and stores
// that fail or lose races on purpose, registered under the names the
// tests configure.
func init() {
	session.RegisterBackend("collide-once", func(session.BackendConfig) (session.Backend, error) {
		return &collideOnce{Backend: newMapBackend()}, nil
	})
	session.RegisterBackend("always-newer", func(session.BackendConfig) (session.Backend, error) {
		return &alwaysNewer{mapBackend: newMapBackend()}, nil
	})
	session.RegisterBackend("failing", func(session.BackendConfig) (session.Backend, error) {
		return failingBackend{}, nil
	})
}

// mapBackend is a minimal in-memory backend.
type mapBackend struct {
	mu sync.Mutex
	m  map[string]session.Record
}

func newMapBackend() *mapBackend { return &mapBackend{m: map[string]session.Record{}} }

// current returns the record stored under id, or session.ErrNotFound when
// there is none or it has expired; b.mu is held.
func (b *mapBackend) current(id string) (session.Record, error) {
	r, ok := b.m[id]
	if !ok || r.ExpiredAt(time.Now()) {
		return r, session.ErrNotFound
	}
	return r, nil
}

func (b *mapBackend) Load(_ context.Context, id string) (session.Record, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, err := b.current(id)
	if err != nil {
		return r, err
	}
	r.Data = append([]byte(nil), r.Data...)
	return r, nil
}

func (b *mapBackend) Save(_ context.Context, id string, rec session.Record, base *session.Record, _ time.Duration) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	cur, err := b.current(id)
	if err := session.CheckBase(cur, err, base); err != nil {
		return err
	}
	rec.Data = append([]byte(nil), rec.Data...)
	b.m[id] = rec
	return nil
}

func (b *mapBackend) Delete(_ context.Context, id string, base *session.Record) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if base != nil {
		cur, err := b.current(id)
		if err := session.CheckBase(cur, err, base); err != nil {
			return err
		}
	}
	delete(b.m, id)
	return nil
}

func (b *mapBackend) Exists(ctx context.Context, id string) (bool, error) {
	_, err := b.Load(ctx, id)
	return err == nil, nil
}

// collideOnce reports the first new id as taken.
type collideOnce struct {
	session.Backend
	mu   sync.Mutex
	done bool
}

func (c *collideOnce) Save(ctx context.Context, id string, rec session.Record, base *session.Record, ttl time.Duration) error {
	c.mu.Lock()
	first := !c.done && base == nil
	c.done = true
	c.mu.Unlock()
	if first {
		return session.ErrConflict
	}
	return c.Backend.Save(ctx, id, rec, base, ttl)
}

// alwaysNewer is a backend on which, once on, every conditional save
// finds the session stored by someone else.
type alwaysNewer struct {
	*mapBackend
	on    atomic.Bool
	saves atomic.Int64
}

func (b *alwaysNewer) Save(ctx context.Context, id string, rec session.Record, base *session.Record, ttl time.Duration) error {
	if base != nil && b.on.Load() {
		b.saves.Add(1)
		return fmt.Errorf("%w (another writer, always)", session.ErrConflict)
	}
	return b.mapBackend.Save(ctx, id, rec, base, ttl)
}

var errBackendDown = errors.New("backend down")

// failingBackend fails every call.
type failingBackend struct{}

func (failingBackend) Load(context.Context, string) (session.Record, error) {
	return session.Record{}, errBackendDown
}
func (failingBackend) Save(context.Context, string, session.Record, *session.Record, time.Duration) error {
	return errBackendDown
}
func (failingBackend) Delete(context.Context, string, *session.Record) error { return errBackendDown }
func (failingBackend) Exists(context.Context, string) (bool, error)          { return false, errBackendDown }
