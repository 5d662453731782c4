package redis

import (
	"context"
	"fmt"

	"github.com/gosess/gosess/region/driver"
)

var _ driver.Pinger = (*Driver)(nil)

// Ping implements driver.Pinger with redis PING (on a cluster, go-redis
// sends it to one node), bounded by ctx and the client's timeouts.
func (d *Driver) Ping(ctx context.Context) error {
	if err := d.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: ping (%s): %w", d.mode, err)
	}
	return nil
}
