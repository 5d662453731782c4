package region

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gosess/gosess/internal/convert"
)

// Arguments gives a driver factory typed, checked access to the driver
// arguments of a Config (or the "arguments.*" keys of a flat config map).
//
// Every accessor marks its argument as known. Values may be given as Go
// values or as strings (from config files): "300", "1.5", "true", "5m".
// A value that cannot be converted records an error; Err reports it, and
// also reports every argument that no accessor asked for, so a misspelt
// argument is an error instead of being silently ignored.
type Arguments struct {
	driver string
	values map[string]any
	used   map[string]bool
	errs   []error
}

// NewArguments wraps values for the named driver. values is not modified.
func NewArguments(driver string, values map[string]any) *Arguments {
	return &Arguments{driver: driver, values: values, used: map[string]bool{}}
}

// Has reports whether name was given, and marks it as known.
func (a *Arguments) Has(name string) bool {
	a.used[name] = true
	_, ok := a.values[name]
	return ok
}

// Any returns the raw value of name and whether it was given; for arguments
// that carry Go objects (a pre-built client, a TLS config).
func (a *Arguments) Any(name string) (any, bool) {
	a.used[name] = true
	v, ok := a.values[name]
	return v, ok
}

func (a *Arguments) fail(name string, v any, want string) {
	a.errs = append(a.errs, fmt.Errorf("%w: driver %q argument %q: cannot use %#v as %s",
		ErrInvalidArgument, a.driver, name, v, want))
}

// Fail records an error for argument name (for checks a factory does
// itself, such as a range), reported by Err.
func (a *Arguments) Fail(name string, format string, args ...any) {
	a.errs = append(a.errs, fmt.Errorf("%w: driver %q argument %q: %s",
		ErrInvalidArgument, a.driver, name, fmt.Sprintf(format, args...)))
}

// String returns the string argument name, or def when absent.
func (a *Arguments) String(name, def string) string {
	v, ok := a.Any(name)
	if !ok {
		return def
	}
	if str, ok := convert.String(v); ok {
		return str
	}
	a.fail(name, v, "a string")
	return def
}

// Strings returns a list argument: a []string, a []any of strings, or one
// string split on commas (blank items dropped). def when absent.
func (a *Arguments) Strings(name string, def []string) []string {
	v, ok := a.Any(name)
	if !ok {
		return def
	}
	switch x := v.(type) {
	case []string:
		return slices.Clone(x)
	case string:
		var out []string
		for p := range strings.SplitSeq(x, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				a.fail(name, v, "a list of strings")
				return def
			}
			out = append(out, s)
		}
		return out
	}
	a.fail(name, v, "a list of strings")
	return def
}

// Int returns the integer argument name, or def when absent.
func (a *Arguments) Int(name string, def int) int {
	v, ok := a.Any(name)
	if !ok {
		return def
	}
	if n, ok := convert.Int(v); ok {
		return n
	}
	a.fail(name, v, "an integer")
	return def
}

// Float returns the number argument name, or def when absent.
func (a *Arguments) Float(name string, def float64) float64 {
	v, ok := a.Any(name)
	if !ok {
		return def
	}
	if f, ok := convert.Float(v); ok {
		return f
	}
	a.fail(name, v, "a number")
	return def
}

// Bool returns the boolean argument name, or def when absent. Strings
// accept what strconv.ParseBool accepts plus "yes"/"no"/"on"/"off".
func (a *Arguments) Bool(name string, def bool) bool {
	v, ok := a.Any(name)
	if !ok {
		return def
	}
	if b, ok := convert.Bool(v); ok {
		return b
	}
	a.fail(name, v, "a boolean")
	return def
}

// Duration returns the duration argument name, or def when absent. A
// time.Duration is taken as is; a plain number (or numeric string) is in
// seconds, as dogpile's arguments are; other strings are parsed with
// time.ParseDuration ("5m", "250ms"). Negative durations are an error.
func (a *Arguments) Duration(name string, def time.Duration) time.Duration {
	v, ok := a.Any(name)
	if !ok {
		return def
	}
	d, ok := convert.Duration(v)
	if !ok {
		a.fail(name, v, "a duration (seconds or a Go duration such as \"5m\")")
		return def
	}
	if d < 0 {
		a.fail(name, v, "a non-negative duration")
		return def
	}
	return d
}

// Err returns the first conversion error, or an error listing every
// argument that was given but never asked for. Factories return it last.
func (a *Arguments) Err() error {
	if len(a.errs) > 0 {
		return a.errs[0]
	}
	var unknown []string
	for k := range a.values {
		if !a.used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		takes := "it takes none"
		if len(a.used) > 0 {
			takes = "it takes: " + strings.Join(slices.Sorted(maps.Keys(a.used)), ", ")
		}
		return fmt.Errorf("%w: driver %q does not take argument(s) %s (%s)",
			ErrInvalidArgument, a.driver, strings.Join(unknown, ", "), takes)
	}
	return nil
}
