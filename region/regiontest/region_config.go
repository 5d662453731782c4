package regiontest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

// Configuring a region on the driver: its arguments, as Go values and as
// the strings of a flat config map, and the ones it does not take.

func cloneArgs(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case []string:
			v = slices.Clone(x)
		case []any:
			v = slices.Clone(x)
		case map[string]any:
			v = cloneArgs(x)
		}
		out[k] = v
	}
	return out
}

func testArgumentsUnmodified(t *testing.T, h *regionHarness) {
	before := cloneArgs(h.args)
	r := h.region(h.cfg(time.Minute))
	mustSet(t, r, h.key("a"), "v")
	if !reflect.DeepEqual(h.args, before) {
		t.Fatalf("Configure modified the arguments: %v; was %v", h.args, before)
	}
}

// testConfigureFromConfig configures the driver from a flat string map,
// as from an ini file, with its arguments written as strings. Arguments
// that are not plain values (a pre-built client) skip the test.
func testConfigureFromConfig(t *testing.T, h *regionHarness) {
	prefix := "cache." + h.name + "."
	conf := map[string]string{
		prefix + "backend":         h.driver,
		prefix + "expiration_time": "300",
		prefix + "invalidation":    "shared",
		"cache.other.backend":      "ignored: another prefix",
	}
	for k, v := range h.args {
		switch x := v.(type) {
		case string, bool, int, int64, float64:
			conf[prefix+"arguments."+k] = fmt.Sprint(x)
		case time.Duration:
			conf[prefix+"arguments."+k] = x.String()
		case []string:
			conf[prefix+"arguments."+k] = strings.Join(x, ",")
		default:
			t.Skipf("argument %q (%T) cannot be written in a string map", k, v)
		}
	}
	r := region.New(h.name)
	t.Cleanup(func() { _ = r.Close() })
	if err := r.ConfigureFromConfig(conf, prefix); err != nil {
		t.Fatalf("ConfigureFromConfig(%v): %v", conf, err)
	}
	if r.Expiration() != 300*time.Second || r.DriverName() != h.driver {
		t.Fatalf("configured %q with expiration %s; want %q and 5m0s", r.DriverName(), r.Expiration(), h.driver)
	}
	roundTrip(h, r, "a", "from config")
	conf[prefix+"arguments.regiontest_no_such_argument"] = "1"
	err := region.New(h.name).ConfigureFromConfig(conf, prefix)
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "regiontest_no_such_argument") {
		t.Fatalf("ConfigureFromConfig with an unknown argument: %v; want region.ErrInvalidArgument naming it", err)
	}
}

func testUnknownArgument(t *testing.T, h *regionHarness) {
	const bogus = "regiontest_no_such_argument"
	args := cloneArgs(h.args)
	if args == nil {
		args = map[string]any{}
	}
	args[bogus] = 1
	r := region.New(h.name)
	err := r.Configure(h.driver, region.Config{Arguments: args})
	if err == nil {
		_ = r.Close()
		t.Fatalf("Configure with argument %q succeeded; unknown arguments must fail", bogus)
	}
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), bogus) {
		t.Fatalf("Configure with argument %q: %v; want region.ErrInvalidArgument naming it", bogus, err)
	}
	if r.IsConfigured() {
		t.Fatal("IsConfigured after a failed Configure")
	}
}
