package session

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
)

// This file registers backends by name for Configure (the "backend"
// setting), as database/sql drivers register, and gives their factories
// their settings.

// BackendFactory builds a backend for a Maker. It reads its own settings
// through cfg.Args (every key it knows, so that the Maker can report the
// ones nobody knows) and returns an error wrapping ErrInvalidSetting for
// bad ones, typically by returning cfg.Args.Err().
type BackendFactory func(cfg BackendConfig) (Backend, error)

// BackendConfig is what a BackendFactory is given: the backend's name and
// settings, and what the backend may want to know about the Maker (the
// same is given to Attach, where a backend that also has a constructor
// for New better looks at it).
type BackendConfig struct {
	// Name is the name the backend was registered under.
	Name string
	// Args gives typed access to the settings; a backend reads its own
	// keys (documented in its package) and nothing else.
	Args *Args
	BackendEnv
}

var backends = struct {
	sync.RWMutex
	m map[string]BackendFactory
}{m: map[string]BackendFactory{}}

// RegisterBackend makes a backend available to Configure under name
// (the "backend" setting). Backend packages call it from init, so that
// importing them (with _ if need be) is enough, as with database/sql
// drivers. It panics on an empty name, a nil factory or a name already
// taken: those are programming errors found at start-up.
func RegisterBackend(name string, f BackendFactory) {
	backends.Lock()
	defer backends.Unlock()
	if name == "" || f == nil {
		panic("session: RegisterBackend with empty name or nil factory")
	}
	if _, dup := backends.m[name]; dup {
		panic("session: RegisterBackend called twice for backend " + name)
	}
	backends.m[name] = f
}

// Backends returns the names of the registered backends, sorted.
func Backends() []string {
	backends.RLock()
	defer backends.RUnlock()
	return slices.Sorted(maps.Keys(backends.m))
}

func lookupBackend(name string) (BackendFactory, error) {
	backends.RLock()
	f, ok := backends.m[name]
	backends.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w: %w %q (registered: %s; import the backend's package, e.g. _ \"github.com/gosess/gosess/backends/%s\")",
			ErrInvalidSetting, ErrUnknownBackend, name, strings.Join(Backends(), ", "), name)
	}
	return f, nil
}
