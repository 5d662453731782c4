package region

import (
	"fmt"
	"strings"

	"github.com/gosess/gosess/internal/registry"
	"github.com/gosess/gosess/region/driver"
)

var (
	drivers = registry.New[driver.Factory]("region: RegisterDriver")
	proxies = registry.New[Proxy]("region: RegisterProxy")
)

// RegisterDriver makes a driver available by name to Configure and
// ConfigureFromConfig. Driver packages call it from init, so importing the
// package (with _ if need be) is enough. It panics if name is empty, f is
// nil or name is taken: those are programming errors found at start-up.
func RegisterDriver(name string, f driver.Factory) { drivers.Register(name, f) }

// Drivers returns the names of the registered drivers, sorted.
func Drivers() []string { return drivers.Names() }

func lookupDriver(name string) (driver.Factory, error) {
	f, ok := drivers.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("%w %q (registered: %s; import the driver's package to register it)",
			ErrUnknownDriver, name, strings.Join(Drivers(), ", "))
	}
	return f, nil
}

// Proxy wraps a driver in another driver, as dogpile's ProxyBackend: to
// log, count, or change behaviour on the way to the store. The returned
// driver should implement driver.Unwrapper so the actual driver can be found.
type Proxy func(next Driver) Driver

// RegisterProxy makes a proxy available by name to the "wrap" key of
// ConfigureFromConfig. It panics on an empty name, nil proxy or duplicate.
func RegisterProxy(name string, p Proxy) { proxies.Register(name, p) }

// Proxies returns the names of the registered proxies, sorted.
func Proxies() []string { return proxies.Names() }

func lookupProxy(name string) (Proxy, error) {
	p, ok := proxies.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("%w: unknown proxy %q in wrap (registered: %s)",
			ErrInvalidArgument, name, strings.Join(Proxies(), ", "))
	}
	return p, nil
}
