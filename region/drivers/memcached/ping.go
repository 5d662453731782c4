package memcached

import (
	"context"
	"fmt"

	"github.com/gosess/gosess/region/driver"
)

var _ driver.Pinger = (*Driver)(nil)

// Ping implements driver.Pinger: every server must answer a version
// command within Timeout (gomemcache takes no context; ctx is checked
// before the round trips start).
func (d *Driver) Ping(ctx context.Context) error {
	done, err := d.begin(ctx, "ping")
	if err != nil {
		return err
	}
	defer done()
	if err := d.client.Ping(); err != nil {
		return fmt.Errorf("memcached: ping %v: %w", d.cfg.Servers, err)
	}
	return nil
}
