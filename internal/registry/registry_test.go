package registry

import (
	"slices"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := New[func() int]("test: Register")
	r.Register("b", func() int { return 2 })
	r.Register("a", func() int { return 1 })
	if got := r.Names(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Names() = %v", got)
	}
	if f, ok := r.Lookup("b"); !ok || f() != 2 {
		t.Error("Lookup(b) failed")
	}
	if _, ok := r.Lookup("c"); ok {
		t.Error("Lookup(c) found something")
	}
	for _, tc := range []struct {
		name string
		v    func() int
		want string
	}{
		{"", func() int { return 0 }, "empty name or a nil value"},
		{"c", nil, "empty name or a nil value"},
		{"a", func() int { return 0 }, `called twice for "a"`},
	} {
		func() {
			defer func() {
				if p, _ := recover().(string); !strings.HasPrefix(p, "test: Register") || !strings.Contains(p, tc.want) {
					t.Errorf("Register(%q): panic %q; want one with %q", tc.name, p, tc.want)
				}
			}()
			r.Register(tc.name, tc.v)
		}()
	}
}
