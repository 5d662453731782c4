package region_test

import (
	"testing"

	"github.com/gosess/gosess/region"
	_ "github.com/gosess/gosess/region/drivers/file"
	_ "github.com/gosess/gosess/region/drivers/memcached"
	_ "github.com/gosess/gosess/region/drivers/memory"
	_ "github.com/gosess/gosess/region/drivers/null"
	_ "github.com/gosess/gosess/region/drivers/objects"
	_ "github.com/gosess/gosess/region/drivers/redis"
)

// localDriver is a driver that says it lives in this process.
type localDriver struct{ *mapDriver }

func (localDriver) Reach() region.Reach { return region.ReachProcess }

// Reach comes from the driver, through proxies (prefix stats), and is
// ReachNetwork for drivers that do not say and for unconfigured regions.
func TestReach(t *testing.T) {
	for _, tc := range []struct {
		driver string
		args   map[string]any
		want   region.Reach
	}{
		{"memory", nil, region.ReachProcess},
		{"null", nil, region.ReachProcess},
		{"objects", nil, region.ReachProcess},
		{"file", map[string]any{"dir": t.TempDir()}, region.ReachHost},
		{"memcached", map[string]any{"url": "127.0.0.1:1"}, region.ReachNetwork},
		{"redis", map[string]any{"url": "redis://127.0.0.1:1"}, region.ReachNetwork},
	} {
		r := region.New("reach", region.WithPrefixStats("s:"))
		if err := r.Configure(tc.driver, region.Config{Arguments: tc.args}); err != nil {
			t.Fatal(err)
		}
		if got := r.Reach(); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.driver, got, tc.want)
		}
		r.Close()
	}
	r := region.New("own")
	if got := r.Reach(); got != region.ReachNetwork {
		t.Errorf("unconfigured: %v", got)
	}
	if err := r.ConfigureDriver(newMapDriver(), region.Config{}); err != nil {
		t.Fatal(err)
	}
	if got := r.Reach(); got != region.ReachNetwork {
		t.Errorf("a driver that does not say: %v", got)
	}
	local := region.New("local")
	if err := local.ConfigureDriver(localDriver{newMapDriver()}, region.Config{}); err != nil {
		t.Fatal(err)
	}
	if got := local.Reach(); got != region.ReachProcess || got.String() != "process" {
		t.Errorf("a driver that says: %v", got)
	}
}
