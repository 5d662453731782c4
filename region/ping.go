package region

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gosess/gosess/region/driver"
)

// PingTimeout bounds the check of Config.PingOnConfigure.
const PingTimeout = 5 * time.Second

// pingKey is read by Ping for drivers that are not Pingers (a miss is an
// answer too): one of the region's own keys, which no caller key names.
const pingKey = ownPrefix + "ping"

// Ping checks that the region's store answers, for start-up checks and
// health endpoints. A driver that implements driver.Pinger is asked (memcached,
// redis, file); any other is sent a read of a probe key, whose miss counts
// as an answer (in-process drivers always answer). Errors are
// ErrNotConfigured, ErrClosed, or the driver's error wrapped with the
// region's and driver's names. Building a region never contacts a server
// (an unreachable one shows up at the first operation), so call Ping, or
// set Config.PingOnConfigure, to find out at start-up.
func (r *Region) Ping(ctx context.Context) error {
	st, err := r.current()
	if err != nil {
		return err
	}
	if err := pingDriver(ctx, st.driver); err != nil {
		return fmt.Errorf("region %q: ping driver %q: %w", r.name, driverLabel(st.driverName), err)
	}
	return nil
}

func pingDriver(ctx context.Context, d Driver) error {
	if p, ok := driver.Capability[driver.Pinger](d); ok {
		return p.Ping(ctx)
	}
	if _, err := d.Get(ctx, pingKey); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// checkReachable runs the check of Config.PingOnConfigure on a driver
// about to be installed.
func (r *Region) checkReachable(d Driver, cfg Config, name string) error {
	if !cfg.PingOnConfigure {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), PingTimeout)
	defer cancel()
	if err := pingDriver(ctx, d); err != nil {
		return fmt.Errorf("region %q: driver %q does not answer (Config.PingOnConfigure): %w", r.name, driverLabel(name), err)
	}
	return nil
}

func driverLabel(name string) string {
	if name == "" {
		return "custom"
	}
	return name
}
