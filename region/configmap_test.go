package region_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gosess/gosess/region"
)

// ConfigureFromConfig takes the keys named after Config's fields, and
// dogpile's older names as aliases: both spellings configure the same
// region, and giving a key and its alias is an error naming both.
func TestConfigureFromConfigKeysAndAliases(t *testing.T) {
	for _, conf := range []map[string]string{
		{"c.driver": "testmap", "c.expiration": "300"},
		{"c.backend": "testmap", "c.expiration_time": "300"},
		{"c.driver": "testmap", "c.expiration_time": "5m"},
	} {
		r := region.New("keys")
		if err := r.ConfigureFromConfig(conf, "c."); err != nil {
			t.Fatalf("%v: %v", conf, err)
		}
		if r.DriverName() != "testmap" || r.Expiration() != 5*time.Minute {
			t.Errorf("%v: driver %q, expiration %v", conf, r.DriverName(), r.Expiration())
		}
		r.Close()
	}
	for _, tc := range []struct {
		conf map[string]string
		want string
	}{
		{map[string]string{"c.driver": "testmap", "c.backend": "testmap"}, "c.backend: is another name of driver"},
		{map[string]string{"c.driver": "testmap", "c.expiration": "1", "c.expiration_time": "2"}, "c.expiration_time: is another name of expiration"},
		{map[string]string{"c.expiration": "5"}, "c.driver: missing"},
		{map[string]string{"c.driver": "testmap", "c.expiration": "soon"}, `c.expiration: "soon" is not seconds`},
	} {
		err := region.New("x").ConfigureFromConfig(tc.conf, "c.")
		if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.conf, err, tc.want)
		}
	}
}
