// Package convert turns configuration values, given as Go values or as the
// strings of config files, into ints, booleans, durations and strings. It
// is shared by region driver arguments and session settings so that both
// accept exactly the same forms.
package convert

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Int accepts every integer kind, integral floats (within 2^53) and
// decimal strings, and reports false for anything else or an overflow.
func Int(v any) (int, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := rv.Int()
		return int(n), n >= math.MinInt && n <= math.MaxInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n := rv.Uint()
		return int(n), n <= math.MaxInt
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		return int(f), f == math.Trunc(f) && math.Abs(f) < 1<<53
	case reflect.String:
		n, err := strconv.Atoi(strings.TrimSpace(rv.String()))
		return n, err == nil
	}
	return 0, false
}

// Float accepts every number kind and numeric strings.
func Float(v any) (float64, bool) {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	case reflect.String:
		f, err := strconv.ParseFloat(strings.TrimSpace(rv.String()), 64)
		return f, err == nil
	}
	n, ok := Int(v)
	return float64(n), ok
}

// Bool accepts bool and the strings true/false, 1/0, yes/no, on/off, t/f,
// y/n (any case).
func Bool(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes", "on", "t", "y":
			return true, true
		case "false", "0", "no", "off", "f", "n":
			return false, true
		}
	}
	return false, false
}

// Duration accepts a time.Duration as is; a plain number (int, float, or a
// string such as "300" or "1.5") as seconds, as config files give them;
// and other strings parsed by time.ParseDuration ("5m", "1h30m"). It does
// not reject negative durations; callers decide.
func Duration(v any) (time.Duration, bool) {
	switch x := v.(type) {
	case time.Duration:
		return x, true
	case string:
		s := strings.TrimSpace(x)
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return seconds(f)
		}
		d, err := time.ParseDuration(s)
		return d, err == nil
	case float32:
		return seconds(float64(x))
	case float64:
		return seconds(x)
	}
	if n, ok := Int(v); ok {
		return seconds(float64(n))
	}
	return 0, false
}

func seconds(f float64) (time.Duration, bool) {
	if math.IsNaN(f) || math.Abs(f) >= float64(math.MaxInt64)/float64(time.Second) {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// String accepts strings and fmt.Stringer values.
func String(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case fmt.Stringer:
		return x.String(), true
	}
	return "", false
}
