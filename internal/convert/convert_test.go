package convert

import (
	"math"
	"testing"
	"time"
)

// conversion is one case of a conversion test: in converts to want, or
// is refused when ok is false.
type conversion[T comparable] struct {
	in   any
	want T
	ok   bool
}

// checkConversions runs conv, named name in failures, on every case.
func checkConversions[T comparable](t *testing.T, name string, conv func(any) (T, bool), cases []conversion[T]) {
	t.Helper()
	for _, c := range cases {
		got, ok := conv(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%s(%#v) = %v, %v", name, c.in, got, ok)
		}
	}
}

func TestInt(t *testing.T) {
	checkConversions(t, "Int", Int, []conversion[int]{
		{3, 3, true}, {int64(-4), -4, true}, {uint8(7), 7, true}, {2.0, 2, true}, {" 12 ", 12, true},
		{2.5, 0, false}, {"x", 0, false}, {uint64(math.MaxUint64), 0, false}, {nil, 0, false}, {true, 0, false},
	})
}

func TestBoolFloatString(t *testing.T) {
	for in, want := range map[any]bool{"yes": true, "OFF": false, "1": true, true: true, "n": false} {
		if got, ok := Bool(in); !ok || got != want {
			t.Errorf("Bool(%#v)", in)
		}
	}
	if _, ok := Bool("maybe"); ok {
		t.Error("Bool(maybe)")
	}
	if f, ok := Float("1.5"); !ok || f != 1.5 {
		t.Error("Float")
	}
	if f, ok := Float(int64(2)); !ok || f != 2 {
		t.Error("Float int")
	}
	if s, ok := String(time.Second); !ok || s != "1s" {
		t.Error("String stringer")
	}
	if _, ok := String(3); ok {
		t.Error("String int")
	}
}

func TestDuration(t *testing.T) {
	checkConversions(t, "Duration", Duration, []conversion[time.Duration]{
		{time.Minute, time.Minute, true}, {"300", 300 * time.Second, true}, {"1.5", 1500 * time.Millisecond, true},
		{"5m", 5 * time.Minute, true}, {2, 2 * time.Second, true}, {0.25, 250 * time.Millisecond, true},
		{"soon", 0, false}, {math.Inf(1), 0, false}, {math.NaN(), 0, false}, {[]int{1}, 0, false},
	})
}
