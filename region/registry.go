package region

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

var registry = struct {
	sync.RWMutex
	drivers map[string]Factory
	proxies map[string]Proxy
}{drivers: map[string]Factory{}, proxies: map[string]Proxy{}}

// Register makes a driver available by name to Configure and
// ConfigureFromConfig. Driver packages call it from init, so importing the
// package (with _ if need be) is enough. It panics if name is empty, f is
// nil or name is taken: those are programming errors found at start-up.
func Register(name string, f Factory) {
	registry.Lock()
	defer registry.Unlock()
	if name == "" || f == nil {
		panic("region: Register with empty name or nil factory")
	}
	if _, dup := registry.drivers[name]; dup {
		panic("region: Register called twice for driver " + name)
	}
	registry.drivers[name] = f
}

// Drivers returns the names of the registered drivers, sorted.
func Drivers() []string {
	registry.RLock()
	defer registry.RUnlock()
	return slices.Sorted(maps.Keys(registry.drivers))
}

func lookupDriver(name string) (Factory, error) {
	registry.RLock()
	defer registry.RUnlock()
	f, ok := registry.drivers[name]
	if !ok {
		names := slices.Sorted(maps.Keys(registry.drivers))
		return nil, fmt.Errorf("%w %q (registered: %s; import the driver's package to register it)",
			ErrUnknownDriver, name, strings.Join(names, ", "))
	}
	return f, nil
}

// Proxy wraps a driver in another driver, as dogpile's ProxyBackend: to
// log, count, or change behaviour on the way to the store. The returned
// driver should implement Unwrapper so the actual driver can be found.
type Proxy func(next Driver) Driver

// RegisterProxy makes a proxy available by name to the "wrap" key of
// ConfigureFromConfig. It panics on an empty name, nil proxy or duplicate.
func RegisterProxy(name string, p Proxy) {
	registry.Lock()
	defer registry.Unlock()
	if name == "" || p == nil {
		panic("region: RegisterProxy with empty name or nil proxy")
	}
	if _, dup := registry.proxies[name]; dup {
		panic("region: RegisterProxy called twice for proxy " + name)
	}
	registry.proxies[name] = p
}

func lookupProxy(name string) (Proxy, error) {
	registry.RLock()
	defer registry.RUnlock()
	p, ok := registry.proxies[name]
	if !ok {
		names := slices.Sorted(maps.Keys(registry.proxies))
		return nil, fmt.Errorf("%w: unknown proxy %q in wrap (registered: %s)",
			ErrInvalidArgument, name, strings.Join(names, ", "))
	}
	return p, nil
}
