package driver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/gosess/gosess/internal/args"
)

// Driver is the storage contract under a region: a byte-oriented key/value
// store. The region does all encoding, expiry bookkeeping, key mangling and
// locking; a driver only moves bytes.
//
// Every method must be safe for concurrent use. Keys given to a driver have
// already been mapped by the region (its key mangler, region.MangleKey for
// keys the driver cannot hold; see KeyLimiter) and are never empty. Keys
// that start with "~gs:" are the region's own (locks, records, hashed
// keys). A driver must not keep or modify the byte slices it is given
// after the call returns, and the slices it returns belong to the caller.
type Driver interface {
	// Get returns the value stored under key. A key that is absent (never
	// set, deleted, evicted or past its TTL) returns ErrNotFound, matched
	// with errors.Is; any other error means the driver failed.
	Get(ctx context.Context, key string) ([]byte, error)

	// Set stores value under key. ttl > 0 asks the driver to evict the
	// item after ttl; ttl == 0 means no expiry. A driver without per-item
	// TTLs may keep the item longer: the region checks freshness itself.
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// Delete removes key. Deleting an absent key is not an error.
	Delete(ctx context.Context, key string) error
}

// MultiGetter is an optional driver capability: many keys read in one
// round trip (memcached's get with many keys, redis MGET). Drivers without
// it are read one key at a time by GetMulti.
type MultiGetter interface {
	// GetMulti returns the values of the keys that are present. Missing
	// keys are simply absent from the map; a nil or empty keys slice
	// returns an empty map. An error means the driver failed.
	GetMulti(ctx context.Context, keys []string) (map[string][]byte, error)
}

// MultiSetter is an optional driver capability: many items written in one
// batch. Drivers without it are written one item at a time by SetMulti.
type MultiSetter interface {
	// SetMulti stores every item with the same ttl (as Set). It is not
	// required to be atomic; on error some items may have been stored.
	SetMulti(ctx context.Context, items map[string][]byte, ttl time.Duration) error
}

// MultiDeleter is an optional driver capability: many keys removed in one
// batch. Drivers without it are deleted one key at a time by DeleteMulti.
type MultiDeleter interface {
	// DeleteMulti removes every key. Absent keys are not an error.
	DeleteMulti(ctx context.Context, keys []string) error
}

// The multi capabilities are looked up on d itself, never down an Unwrap
// chain: a proxy that does not batch must see every key go through it.

// GetMulti reads keys from d: with d's own GetMulti when d is a
// MultiGetter, else with one Get per distinct key (ErrNotFound leaves the
// key out; any other error ends the call). The region reads many keys this
// way, and so should a proxy that passes GetMulti on.
func GetMulti(ctx context.Context, d Driver, keys []string) (map[string][]byte, error) {
	if m, ok := d.(MultiGetter); ok {
		return m.GetMulti(ctx, keys)
	}
	out := make(map[string][]byte, len(keys))
	for _, k := range keys {
		if _, done := out[k]; done {
			continue
		}
		v, err := d.Get(ctx, k)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

// SetMulti writes items to d: with d's own SetMulti when d is a
// MultiSetter, else with one Set per item, stopping at the first error.
func SetMulti(ctx context.Context, d Driver, items map[string][]byte, ttl time.Duration) error {
	if m, ok := d.(MultiSetter); ok {
		return m.SetMulti(ctx, items, ttl)
	}
	for k, v := range items {
		if err := d.Set(ctx, k, v, ttl); err != nil {
			return err
		}
	}
	return nil
}

// DeleteMulti removes keys from d: with d's own DeleteMulti when d is a
// MultiDeleter, else with one Delete per key, stopping at the first error.
func DeleteMulti(ctx context.Context, d Driver, keys []string) error {
	if m, ok := d.(MultiDeleter); ok {
		return m.DeleteMulti(ctx, keys)
	}
	for _, k := range keys {
		if err := d.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Unwrapper is implemented by proxies (see region.Proxy): Unwrap returns
// the driver the proxy wraps, so that capabilities (Locker, io.Closer, ...)
// are found on the outermost driver first and then down the chain.
type Unwrapper interface {
	// Unwrap returns the wrapped driver; never nil.
	Unwrap() Driver
}

// Capability finds the optional interface C on d or down its Unwrap chain,
// outermost first: how the region finds a driver's capabilities through
// proxies.
func Capability[C any](d Driver) (C, bool) {
	for d != nil {
		if c, ok := d.(C); ok {
			return c, true
		}
		u, ok := d.(Unwrapper)
		if !ok {
			break
		}
		d = u.Unwrap()
	}
	var zero C
	return zero, false
}

// Factory builds a driver from its arguments. Factories read every
// argument they know through args and finish with args.Err() (or return
// the first error) so that unknown or ill-typed arguments fail.
type Factory func(info Info, args *Arguments) (Driver, error)

// Info tells a factory about the region it serves.
type Info struct {
	// Region is the region's name.
	Region string
	// Expiration is the region's configured expiration (0 = never); drivers
	// may derive defaults from it (the memory driver's life window does).
	Expiration time.Duration
	// StaleWindow is the region's effective stale window (0 when
	// Expiration is 0): the region's TTLs are Expiration + StaleWindow.
	StaleWindow time.Duration
	// Logger is the logger the region was given with region.WithLogger,
	// for the driver's own messages; nil when none was given (the driver
	// picks its default).
	Logger *slog.Logger
	// Format is the region's value format, "gosess" or "dogpile"
	// (region.FormatGosess, region.FormatDogpile; never ""): a driver may
	// refuse arguments that have no meaning in it.
	Format string
}

// Arguments gives a driver factory typed, checked access to the driver
// arguments of a region's Config (or the "arguments.*" keys of a flat
// config map). It is the module's one argument reader: session.Args is
// the same type, so driver arguments and session settings accept the same
// forms.
//
// Its accessors, each of which marks its argument as known:
//
//	Has(name) bool                     given, and not nil
//	Any(name) (any, bool)              the raw value (Go objects: a client, a TLS config)
//	Given(name) (any, bool)            the raw value, a nil one counting as not given
//	String(name, def) string
//	Strings(name, def) []string        a []string, a []any of strings, or "a, b, c"
//	Int(name, def) int                 integer kinds, integral floats, "300"
//	Float(name, def) float64
//	Bool(name, def) bool               also "yes"/"no", "on"/"off"
//	Duration(name, def) time.Duration  a time.Duration; a number or "300" in seconds; "5m"
//	Keys(name) [][]byte                a key or key ring ("hex:...", "base64:...")
//	Invalid(name, v, want)             records that v cannot be used as want
//	Fail(name, format, args...)        records a check of the factory's own
//	Err() error                        every error, joined; nil when all is well
//
// A nil value counts as not given, and an absent argument returns def. A
// value that cannot be converted records an error wrapping
// ErrInvalidArgument and returns def; Err reports all of them, and also
// every argument that no accessor asked for, so that a misspelt argument
// is an error instead of being silently ignored.
type Arguments = args.Args

// NewArguments wraps the arguments values of the named driver, for its
// factory (the region does this in Configure; tests of a factory do it
// themselves). values is not modified.
func NewArguments(driver string, values map[string]any) *Arguments {
	return args.New(values, &args.Spec{
		Err: ErrInvalidArgument,
		Where: func(name string) string {
			return fmt.Sprintf("driver %q argument %q", driver, name)
		},
		Unknown: func(unknown, asked []string) error {
			takes := "it takes none"
			if len(asked) > 0 {
				takes = "it takes: " + strings.Join(asked, ", ")
			}
			return fmt.Errorf("%w: driver %q does not take argument(s) %s (%s)",
				ErrInvalidArgument, driver, strings.Join(unknown, ", "), takes)
		},
	})
}
