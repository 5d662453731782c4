package region_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/gosess/gosess/region"
)

// pingDriver is a mapDriver that also answers Ping.
type pingDriver struct {
	*mapDriver
	pings int
}

func (d *pingDriver) Ping(ctx context.Context) error {
	d.pings++
	if d.fail.Load() {
		return errDown
	}
	return nil
}

func TestPing(t *testing.T) {
	ctx := context.Background()
	if err := region.New("x").Ping(ctx); !errors.Is(err, region.ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
	// A driver without Ping is sent a read: a miss is an answer, an error
	// is not.
	r, d := newRegion(t, region.Config{})
	if err := r.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	d.fail.Store(true)
	if err := r.Ping(ctx); !errors.Is(err, errDown) || !strings.Contains(err.Error(), `region "test"`) {
		t.Errorf("down driver: %v", err)
	}
	// A Pinger is asked, through proxies.
	pd := &pingDriver{mapDriver: newMapDriver()}
	r2 := region.New("p")
	if err := r2.ConfigureDriver(pd, region.Config{Wrap: []region.Proxy{passThrough}}); err != nil {
		t.Fatal(err)
	}
	if err := r2.Ping(ctx); err != nil || pd.pings != 1 || pd.gets.Load() != 0 {
		t.Errorf("Pinger: %v, %d pings, %d gets", err, pd.pings, pd.gets.Load())
	}
	r2.Close()
	if err := r2.Ping(ctx); !errors.Is(err, region.ErrClosed) {
		t.Errorf("closed: %v", err)
	}
}

// passThrough is a proxy that only forwards.
func passThrough(next region.Driver) region.Driver { return unwrapping{next} }

type unwrapping struct{ region.Driver }

func (u unwrapping) Unwrap() region.Driver { return u.Driver }

// PingOnConfigure turns an unreachable store into an error at start-up;
// the region stays as it was.
func TestPingOnConfigure(t *testing.T) {
	ctx := context.Background()
	down := &pingDriver{mapDriver: newMapDriver()}
	down.fail.Store(true)
	r := region.New("app")
	err := r.ConfigureDriver(down, region.Config{PingOnConfigure: true})
	if !errors.Is(err, errDown) || !strings.Contains(err.Error(), "PingOnConfigure") || r.IsConfigured() {
		t.Fatalf("ConfigureDriver on a down store: %v (configured %v)", err, r.IsConfigured())
	}
	// Without the option, building does not contact the store.
	if err := r.ConfigureDriver(down, region.Config{}); err != nil || down.pings != 1 {
		t.Fatalf("without PingOnConfigure: %v, %d pings", err, down.pings)
	}
	r.Close()

	ok := region.New("ok")
	defer ok.Close()
	if err := ok.ConfigureFromConfig(map[string]string{"c.backend": "testmap", "c.ping_on_configure": "true"}, "c."); err != nil {
		t.Fatal(err)
	}
	if err := ok.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	bad := region.New("bad")
	if err := bad.ConfigureFromConfig(map[string]string{"c.backend": "testmap", "c.ping_on_configure": "sometimes"}, "c."); !errors.Is(err, region.ErrInvalidArgument) {
		t.Errorf("bad ping_on_configure: %v", err)
	}
}
