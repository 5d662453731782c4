// Package args gives typed, checked access to a map of named values that
// a user wrote: a region driver's arguments (driver.Arguments) and a
// session maker's settings (session.Args) are both this one type, so they
// accept the same forms and report mistakes the same way.
//
// Every accessor marks its name as asked for. Values may be Go values or
// the strings of config files ("300", "1.5", "true", "5m"). A nil value
// counts as not given (JSON's null, a setting blanked out on purpose). A
// value that cannot be converted records an error and the accessor returns
// its default; Err reports every recorded error at once, joined, so that
// a user fixes a configuration in one round instead of one mistake at a
// time.
package args

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gosess/gosess/internal/convert"
)

// Spec is how the errors of one owner of arguments read.
type Spec struct {
	// Err is the sentinel every recorded error wraps
	// (region.ErrInvalidArgument, session.ErrInvalidSetting).
	Err error
	// Where names an argument in errors, e.g. `driver "memcached"
	// argument "url"`.
	Where func(name string) string
	// Secret reports names whose values must never appear in an error
	// (signing keys); only their type is shown. nil: none.
	Secret func(name string) bool
	// Unknown, when set, makes Err also report the names that were given
	// but never asked for (unknown sorted; asked is every name asked for,
	// sorted). nil: the owner checks unknown names itself (see Unused).
	Unknown func(unknown, asked []string) error
}

// Args is a map of named values with typed, checked accessors. It is not
// safe for concurrent use: one factory or one configuration step reads it.
type Args struct {
	values map[string]any
	used   map[string]bool
	errs   []error
	spec   *Spec
}

// New wraps values, read as spec says. values is not modified.
func New(values map[string]any, spec *Spec) *Args {
	return &Args{values: values, used: map[string]bool{}, spec: spec}
}

// Has reports whether name was given (a nil value counts as not given),
// and marks it as asked for.
func (a *Args) Has(name string) bool {
	_, ok := a.Given(name)
	return ok
}

// Any returns the raw value of name, nil included, and whether it was
// given; for arguments that carry Go objects (a pre-built client, a TLS
// config, a *region.Region).
func (a *Args) Any(name string) (any, bool) {
	a.used[name] = true
	v, ok := a.values[name]
	return v, ok
}

// Given is Any with a nil value counted as not given: the value of name
// when it was given and is not nil, for arguments a reader converts itself
// (reporting what it cannot use with Invalid).
func (a *Args) Given(name string) (any, bool) {
	v, ok := a.Any(name)
	return v, ok && v != nil
}

// Fail records an error about argument name (for checks a reader does
// itself, such as a range or a combination), reported by Err.
func (a *Args) Fail(name, format string, args ...any) {
	a.errs = append(a.errs, fmt.Errorf("%w: %s: %s", a.spec.Err, a.spec.Where(name), fmt.Sprintf(format, args...)))
}

// Invalid records that the value v given for name cannot be used as want
// ("a duration"), showing v unless name is secret (see Spec).
func (a *Args) Invalid(name string, v any, want string) {
	if a.spec.Secret != nil && a.spec.Secret(name) {
		a.Fail(name, "cannot use a value of type %T as %s", v, want)
		return
	}
	a.Fail(name, "cannot use %#v (%T) as %s", v, v, want)
}

// Err returns every recorded error and, when the Spec checks them, the
// error about names given but never asked for, joined with errors.Join
// (one per line); nil when there are none. Readers return it last.
func (a *Args) Err() error {
	errs := a.errs
	if a.spec.Unknown != nil {
		if unknown := a.Unused(); len(unknown) > 0 {
			errs = append(slices.Clip(errs), a.spec.Unknown(unknown, a.Asked()))
		}
	}
	return errors.Join(errs...)
}

// Unused returns the given names that no accessor asked for, sorted.
func (a *Args) Unused() []string {
	var out []string
	for k := range a.values {
		if !a.used[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// Asked returns every name an accessor asked for, given or not, sorted.
func (a *Args) Asked() []string {
	return slices.Sorted(maps.Keys(a.used))
}

// WasAsked reports whether an accessor asked for name.
func (a *Args) WasAsked(name string) bool {
	return a.used[name]
}

// String returns the string argument name, or def when absent.
func (a *Args) String(name, def string) string {
	return typed(a, name, def, convert.String, "a string")
}

// Strings returns a list argument: a []string, a []any of strings, or one
// string split on commas (blank items dropped); def when absent.
func (a *Args) Strings(name string, def []string) []string {
	v, ok := a.Given(name)
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
				a.Invalid(name, v, "a list of strings")
				return def
			}
			out = append(out, s)
		}
		return out
	}
	a.Invalid(name, v, "a list of strings")
	return def
}

// Int returns the integer argument name, or def when absent. Integer
// kinds, integral floats and decimal strings are accepted.
func (a *Args) Int(name string, def int) int {
	return typed(a, name, def, convert.Int, "an integer")
}

// Float returns the number argument name, or def when absent.
func (a *Args) Float(name string, def float64) float64 {
	return typed(a, name, def, convert.Float, "a number")
}

// Bool returns the boolean argument name, or def when absent. Strings
// accept what strconv.ParseBool accepts plus yes/no and on/off (any case).
func (a *Args) Bool(name string, def bool) bool {
	return typed(a, name, def, convert.Bool, "a boolean")
}

// typed reads argument name with conv, which reports whether it could
// convert the value: def when the argument is absent or not convertible
// (then recording that v cannot be used as want).
func typed[T any](a *Args, name string, def T, conv func(any) (T, bool), want string) T {
	v, ok := a.Given(name)
	if !ok {
		return def
	}
	if x, ok := conv(v); ok {
		return x
	}
	a.Invalid(name, v, want)
	return def
}

// Duration returns the duration argument name, or def when absent. A
// time.Duration is taken as is; a plain number (an int, a float, or a
// string such as "300" or "1.5") is seconds, as in config files and
// dogpile's arguments; other strings are parsed by time.ParseDuration
// ("5m", "1h30m"). Negative durations are an error.
func (a *Args) Duration(name string, def time.Duration) time.Duration {
	if !a.Has(name) {
		return def
	}
	d := typed(a, name, def, convert.Duration, `a duration ("300" seconds, "5m", or a time.Duration)`)
	if d < 0 {
		a.Fail(name, "negative duration %v", d)
		return def
	}
	return d
}

// Keys returns a key or key ring argument, or nil when absent. Accepted:
// a []byte or string (one key), a [][]byte, []string or []any of those (a
// ring: the first signs or encrypts, all verify or decrypt). A string
// prefixed "hex:" or "base64:" is decoded (standard or URL alphabet,
// padding optional); any other string is used as raw bytes. A string of
// comma-separated keys that all carry one of these prefixes is a ring
// ("base64:new...,base64:old..."), for config files.
func (a *Args) Keys(name string) [][]byte {
	v, ok := a.Given(name)
	if !ok {
		return nil
	}
	var out [][]byte
	var add func(x any) bool
	add = func(x any) bool {
		switch k := x.(type) {
		case []byte:
			out = append(out, slices.Clone(k))
		case string:
			if parts := strings.Split(k, ","); len(parts) > 1 && allEncodedKeys(parts) {
				for _, p := range parts {
					add(strings.TrimSpace(p))
				}
				return true
			}
			b, err := decodeKeyString(k)
			if err != nil {
				a.Fail(name, "%v", err)
				return true
			}
			out = append(out, b)
		default:
			return false
		}
		return true
	}
	switch x := v.(type) {
	case [][]byte:
		for _, k := range x {
			add(k)
		}
	case []string:
		for _, k := range x {
			add(k)
		}
	case []any:
		for _, k := range x {
			if !add(k) {
				a.Invalid(name, k, "a key ([]byte or string)")
			}
		}
	default:
		if !add(v) {
			a.Invalid(name, v, "a key or key ring ([]byte, string, [][]byte or []string)")
		}
	}
	return out
}

func allEncodedKeys(parts []string) bool {
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if !strings.HasPrefix(p, "hex:") && !strings.HasPrefix(p, "base64:") {
			return false
		}
	}
	return true
}

func decodeKeyString(s string) ([]byte, error) {
	switch {
	case strings.HasPrefix(s, "hex:"):
		b, err := hex.DecodeString(strings.TrimSpace(s[4:]))
		if err != nil {
			return nil, fmt.Errorf("bad hex key: %v", err)
		}
		return b, nil
	case strings.HasPrefix(s, "base64:"):
		t := strings.TrimRight(strings.TrimSpace(s[7:]), "=")
		t = strings.NewReplacer("+", "-", "/", "_").Replace(t)
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil {
			return nil, fmt.Errorf("bad base64 key: %v", err)
		}
		return b, nil
	}
	return []byte(s), nil
}
