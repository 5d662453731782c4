package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/config"
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/session"
)

// 18446744074 seconds does not fit a time.Duration (at most about 9.2e9
// seconds). The file used to wrap it around to 290 ms without a word; it
// is an error naming the key, as the same value is everywhere else.
func TestOverflowingDurationsAreErrors(t *testing.T) {
	const huge = "18446744074"
	for _, tc := range []struct{ format, doc string }{
		{"toml", "[regions.app]\ndriver = \"memory\"\nexpiration = " + huge + "\n"},
		{"toml", "[regions.app]\ndriver = \"memory\"\nexpiration = \"" + huge + "\"\n"},
		{"toml", "[regions.app]\ndriver = \"memory\"\nstale_window = 1e12\n"},
		{"toml", "[regions.app]\ndriver = \"memory\"\nexpiration = -" + huge + "\n"},
		{"json", `{"regions": {"app": {"driver": "memory", "invalidation_refresh": ` + huge + `}}}`},
	} {
		f, err := config.Parse([]byte(tc.doc), tc.format)
		if err == nil {
			t.Errorf("%s: accepted, expiration %v, stale window %v", tc.doc, f.Regions["app"].Expiration, f.Regions["app"].StaleWindow)
			continue
		}
		if !errors.Is(err, config.ErrInvalid) || !strings.Contains(err.Error(), "regions.app.") || !strings.Contains(err.Error(), "longest duration") {
			t.Errorf("%s: %v", tc.doc, err)
		}
	}
	// The largest value that fits is still accepted.
	f, err := config.Parse([]byte("[regions.app]\ndriver = \"memory\"\nexpiration = 9000000000\n"), "toml")
	if err != nil || f.Regions["app"].Expiration != 9000000000*time.Second {
		t.Errorf("largest duration: %v", err)
	}

	// The same value elsewhere: a flat region config, a driver argument
	// and a session setting.
	r := region.New("flat")
	err = r.ConfigureFromConfig(map[string]string{"c.backend": "memory", "c.expiration_time": huge}, "c.")
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "expiration_time") {
		t.Errorf("ConfigureFromConfig: %v", err)
	}
	err = region.New("args").Configure("memory", region.Config{Arguments: map[string]any{"life_window": huge}})
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "life_window") {
		t.Errorf("driver argument: %v", err)
	}
	for _, v := range []any{huge, int64(18446744074), 1.8446744074e10} {
		err = session.NewMaker().Configure(session.Settings{"backend": "cookie", "max_age": v,
			"signature_key": strings.Repeat("k", 32), "encryption_key": strings.Repeat("e", 32)})
		if !errors.Is(err, session.ErrInvalidSetting) || !strings.Contains(err.Error(), "max_age") {
			t.Errorf("session setting %v (%T): %v", v, v, err)
		}
	}
}
