package enum

import "testing"

type color int

func TestName(t *testing.T) {
	for _, c := range []struct {
		v    color
		want string
	}{
		{1, "red"}, {2, "green"}, {0, "color(0)"}, {3, "color(3)"}, {-1, "color(-1)"},
	} {
		if got := Name(c.v, "color", "red", "green"); got != c.want {
			t.Errorf("Name(%d) = %q; want %q", int(c.v), got, c.want)
		}
	}
}
