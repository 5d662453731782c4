package null

import (
	"errors"
	"strings"
	"testing"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
	"github.com/gosess/gosess/region/regiontest"
)

func TestDriverConformance(t *testing.T) {
	regiontest.RunDriverWith(t, regiontest.DriverOptions{NullStore: true, NullLock: true, NoTTL: true},
		func(t *testing.T) driver.Driver { return New() })
}

func TestFactory(t *testing.T) {
	d, err := factory(driver.Info{}, driver.NewArguments(Name, nil))
	if err != nil || d == nil {
		t.Fatalf("factory without arguments = %v, %v", d, err)
	}
	d, err = factory(driver.Info{}, driver.NewArguments(Name, map[string]any{"url": "x"}))
	if err == nil || d != nil {
		t.Fatalf("factory with an argument = %v, %v; want an error and no driver", d, err)
	}
	if !errors.Is(err, region.ErrInvalidArgument) || !strings.Contains(err.Error(), "url") {
		t.Fatalf("error %q does not match ErrInvalidArgument or does not name the argument", err)
	}
	t.Log(err)
}

func TestSkipLocks(t *testing.T) {
	var d driver.Driver = New()
	ls, ok := d.(driver.LockSkipper)
	if !ok || !ls.SkipLocks() {
		t.Fatal("the null driver does not report driver.LockSkipper")
	}
}

func TestRegionConformance(t *testing.T) {
	regiontest.RunRegionWith(t, regiontest.RegionOptions{NullStore: true}, Name, nil)
}
