package args

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

var errBad = errors.New("bad argument")

func newArgs(values map[string]any, checkUnknown bool) *Args {
	spec := &Spec{
		Err:    errBad,
		Where:  func(name string) string { return fmt.Sprintf("argument %q", name) },
		Secret: func(name string) bool { return name == "key" },
	}
	if checkUnknown {
		spec.Unknown = func(unknown, asked []string) error {
			return fmt.Errorf("%w: unknown %s (known: %s)", errBad, strings.Join(unknown, ","), strings.Join(asked, ","))
		}
	}
	return New(values, spec)
}

func TestConversions(t *testing.T) {
	a := newArgs(map[string]any{
		"n": "12", "f": 2, "b": "yes", "d": 1.5, "ds": "250ms", "list": "a, b,,c", "l2": []any{"x", "y"},
		"s": "str", "k": "hex:0102", "ring": "base64:AQ,base64:Ag==", "nil": nil,
	}, true)
	if a.Int("n", 0) != 12 || a.Float("f", 0) != 2 || !a.Bool("b", false) ||
		a.Duration("d", 0) != 1500*time.Millisecond || a.Duration("ds", 0) != 250*time.Millisecond ||
		strings.Join(a.Strings("list", nil), "|") != "a|b|c" || strings.Join(a.Strings("l2", nil), "|") != "x|y" ||
		a.String("s", "") != "str" || a.Int("absent", 9) != 9 {
		t.Fatal("conversion mismatch")
	}
	if k := a.Keys("k"); len(k) != 1 || string(k[0]) != "\x01\x02" {
		t.Errorf("Keys(k) = %q", k)
	}
	if k := a.Keys("ring"); len(k) != 2 || string(k[0]) != "\x01" || string(k[1]) != "\x02" {
		t.Errorf("Keys(ring) = %q", k)
	}
	// nil counts as not given, for Has and the typed accessors; Any
	// shows it.
	if a.Has("nil") || a.String("nil", "def") != "def" {
		t.Error("a nil value counts as given")
	}
	if v, ok := a.Any("nil"); !ok || v != nil {
		t.Errorf("Any(nil) = %v, %v", v, ok)
	}
	if err := a.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestErrorsAreJoinedAndSecretsHidden(t *testing.T) {
	a := newArgs(map[string]any{"n": "twelve", "d": "-1s", "key": 42, "typo": 1}, true)
	a.Int("n", 0)
	a.Duration("d", 0)
	a.Keys("key")
	a.Fail("extra", "out of range")
	err := a.Err()
	if !errors.Is(err, errBad) {
		t.Fatalf("Err() = %v; want errBad", err)
	}
	msg := err.Error()
	for _, want := range []string{`argument "n": cannot use "twelve" (string) as an integer`,
		`argument "d": negative duration -1s`, `argument "key": cannot use a value of type int`,
		`argument "extra": out of range`, "unknown typo (known: d,key,n)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("Err() lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "42") {
		t.Errorf("Err() shows a secret value:\n%s", msg)
	}
	if got := strings.Count(msg, "\n") + 1; got != 5 {
		t.Errorf("Err() has %d lines; want one per error (5):\n%s", got, msg)
	}
}

func TestUnknownLeftToOwner(t *testing.T) {
	a := newArgs(map[string]any{"a": 1, "b": 2, "c": 3}, false)
	a.Int("a", 0)
	a.Has("z")
	if err := a.Err(); err != nil {
		t.Fatalf("Err() = %v; unknown names are the owner's to report", err)
	}
	if u := strings.Join(a.Unused(), ","); u != "b,c" {
		t.Errorf("Unused() = %s", u)
	}
	if k := strings.Join(a.Asked(), ","); k != "a,z" || !a.WasAsked("z") || a.WasAsked("b") {
		t.Errorf("Asked() = %s", k)
	}
}
