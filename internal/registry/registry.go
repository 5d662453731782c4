// Package registry is the one name-to-value registry of the module: region
// drivers and proxies (region.RegisterDriver, region.RegisterProxy) and
// session backends (session.RegisterBackend) are each a Registry, filled by
// the init functions of the packages that provide them, as database/sql
// drivers are.
package registry

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
)

// Registry maps names to values of type T (factories, proxies). It is
// safe for concurrent use.
type Registry[T any] struct {
	what string // "region: RegisterDriver", for panics
	mu   sync.RWMutex
	m    map[string]T
}

// New returns an empty registry; register names the registering function
// in panic messages ("region: RegisterDriver").
func New[T any](register string) *Registry[T] {
	return &Registry[T]{what: register, m: map[string]T{}}
}

// Register adds v under name. It panics if name is empty, v is nil (the
// zero T) or name is taken: those are programming errors, found when the
// program starts.
func (r *Registry[T]) Register(name string, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" || reflect.ValueOf(&v).Elem().IsZero() {
		panic(r.what + " with an empty name or a nil value")
	}
	if _, dup := r.m[name]; dup {
		panic(fmt.Sprintf("%s called twice for %q", r.what, name))
	}
	r.m[name] = v
}

// Lookup returns the value registered under name.
func (r *Registry[T]) Lookup(name string) (T, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	v, ok := r.m[name]
	return v, ok
}

// Names returns the registered names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Sorted(maps.Keys(r.m))
}
