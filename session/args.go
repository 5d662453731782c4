package session

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/gosess/gosess/internal/convert"
)

// Args gives typed, checked access to Settings, for the Maker and for
// backend factories. Each accessor marks its key as known; values may be
// Go values or the string forms found in config files ("300", "5m",
// "true"). A value that cannot be converted records an error that Err
// reports. Values of keys that hold secrets (signature_key,
// encryption_key) never appear in errors.
type Args struct {
	owner  string
	values Settings
	used   map[string]bool
	errs   []error
}

// NewArgs wraps values; owner names who reads them in error messages
// (a backend name, or "" for the general settings). values is not
// modified.
func NewArgs(owner string, values Settings) *Args {
	return &Args{owner: owner, values: values, used: map[string]bool{}}
}

func (a *Args) where(name string) string {
	if a.owner == "" {
		return fmt.Sprintf("setting %q", name)
	}
	return fmt.Sprintf("backend %q setting %q", a.owner, name)
}

// Fail records an error about setting name, reported by Err.
func (a *Args) Fail(name, format string, args ...any) {
	a.errs = append(a.errs, fmt.Errorf("%w: %s: %s", ErrInvalidSetting, a.where(name), fmt.Sprintf(format, args...)))
}

func (a *Args) bad(name string, v any, want string) {
	if secretSetting(name) {
		a.Fail(name, "cannot use a value of type %T as %s", v, want)
		return
	}
	a.Fail(name, "cannot use %#v (%T) as %s", v, v, want)
}

func secretSetting(name string) bool {
	return name == "signature_key" || name == "encryption_key"
}

// Err returns every recorded error, joined with errors.Join (one per
// line), or nil. Each wraps ErrInvalidSetting.
func (a *Args) Err() error {
	return errors.Join(a.errs...)
}

// Has reports whether name was given (a nil value counts as not given),
// and marks it as known.
func (a *Args) Has(name string) bool {
	v, ok := a.Any(name)
	return ok && v != nil
}

// Any returns the raw value of name and whether it was given, for
// settings that carry Go objects (a *region.Region).
func (a *Args) Any(name string) (any, bool) {
	a.used[name] = true
	v, ok := a.values[name]
	return v, ok
}

func (a *Args) get(name string) (any, bool) {
	v, ok := a.Any(name)
	return v, ok && v != nil
}

// Unused returns the given keys that no accessor asked for, sorted.
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

// String returns the string setting name, or def when absent.
func (a *Args) String(name, def string) string {
	v, ok := a.get(name)
	if !ok {
		return def
	}
	if str, ok := convert.String(v); ok {
		return str
	}
	a.bad(name, v, "a string")
	return def
}

// Bool returns the boolean setting name, or def when absent. Strings
// true/false, 1/0, yes/no, on/off are accepted (any case).
func (a *Args) Bool(name string, def bool) bool {
	v, ok := a.get(name)
	if !ok {
		return def
	}
	if b, ok := convert.Bool(v); ok {
		return b
	}
	a.bad(name, v, "a boolean")
	return def
}

// Int returns the integer setting name, or def when absent. Integer kinds,
// integral floats and decimal strings are accepted.
func (a *Args) Int(name string, def int) int {
	v, ok := a.get(name)
	if !ok {
		return def
	}
	if n, ok := convert.Int(v); ok {
		return n
	}
	a.bad(name, v, "an integer")
	return def
}

// Duration returns the duration setting name, or def when absent. A
// time.Duration is taken as is; a plain number (int, float, or a string
// such as "300" or "1.5") is seconds, as in config files; other strings
// are parsed by time.ParseDuration ("5m", "1h30m"). Negative durations
// are an error.
func (a *Args) Duration(name string, def time.Duration) time.Duration {
	v, ok := a.get(name)
	if !ok {
		return def
	}
	d, ok := convert.Duration(v)
	if !ok {
		a.bad(name, v, `a duration ("300" seconds, "5m", or a time.Duration)`)
		return def
	}
	if d < 0 {
		a.Fail(name, "negative duration %v", d)
		return def
	}
	return d
}

// Keys returns a key or key ring setting, or nil when absent. Accepted: a
// []byte or string (one key), a [][]byte, []string or []any of those (a
// ring: the first signs or encrypts, all verify or decrypt). A string
// prefixed "hex:" or "base64:" is decoded (standard or URL alphabet,
// padding optional); any other string is used as raw bytes. A string of
// comma-separated keys that all carry one of these prefixes is a ring
// ("base64:new...,base64:old..."), for config files.
func (a *Args) Keys(name string) [][]byte {
	v, ok := a.get(name)
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
				a.bad(name, k, "a key ([]byte or string)")
			}
		}
	default:
		if !add(v) {
			a.bad(name, v, "a key or key ring ([]byte, string, [][]byte or []string)")
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
