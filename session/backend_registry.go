package session

import (
	"fmt"
	"strings"

	"github.com/gosess/gosess/internal/args"
	"github.com/gosess/gosess/internal/registry"
)

// This file registers backends by name for Configure (the "backend"
// setting), as database/sql drivers register, and gives their factories
// their settings (Args).

// Args gives typed, checked access to Settings, for the Maker and for
// backend factories. It is the module's one argument reader (the same
// type as region.Arguments), so that session settings and driver
// arguments accept the same forms and report mistakes the same way.
// Each accessor marks its key as known; values may be Go values or the
// string forms found in config files ("300", "5m", "true"), and a nil
// value counts as not given. A value that cannot be converted records an
// error wrapping ErrInvalidSetting and the accessor returns its default;
// Err reports every recorded error, joined. Values of keys that hold
// secrets (signature_key, encryption_key) never appear in errors.
//
// Its accessors: Has, Any, String, Strings, Int, Float, Bool, Duration,
// Keys (a key or key ring: []byte, string, "hex:...", "base64:...", or a
// list of them), and Fail for a check of the reader's own.
type Args = args.Args

// NewArgs wraps values; owner names who reads them in error messages
// (a backend name, or "" for the general settings). values is not
// modified.
func NewArgs(owner string, values Settings) *Args {
	return args.New(values, &args.Spec{
		Err: ErrInvalidSetting,
		Where: func(name string) string {
			if owner == "" {
				return fmt.Sprintf("setting %q", name)
			}
			return fmt.Sprintf("backend %q setting %q", owner, name)
		},
		Secret: func(name string) bool { return name == KeySignatureKey || name == KeyEncryptionKey },
	})
}

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

var backends = registry.New[BackendFactory]("session: RegisterBackend")

// RegisterBackend makes a backend available to Configure under name
// (the "backend" setting). Backend packages call it from init, so that
// importing them (with _ if need be) is enough, as with database/sql
// drivers. It panics on an empty name, a nil factory or a name already
// taken: those are programming errors found at start-up.
func RegisterBackend(name string, f BackendFactory) { backends.Register(name, f) }

// Backends returns the names of the registered backends, sorted.
func Backends() []string { return backends.Names() }

func lookupBackend(name string) (BackendFactory, error) {
	f, ok := backends.Lookup(name)
	if !ok {
		return nil, fmt.Errorf("%w: %w %q (registered: %s; import the backend's package, e.g. _ \"github.com/gosess/gosess/backends/%s\")",
			ErrInvalidSetting, ErrUnknownBackend, name, strings.Join(Backends(), ", "), name)
	}
	return f, nil
}
