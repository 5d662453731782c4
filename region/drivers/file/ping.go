package file

import (
	"context"
	"fmt"

	"github.com/gosess/gosess/internal/dirprobe"
	"github.com/gosess/gosess/region/driver"
)

var _ driver.Pinger = (*Driver)(nil)

// Ping implements driver.Pinger: it creates and removes a file in the
// driver's directory (beside data/ and locks/, where Cleanup does not
// look), which fails when the directory is gone, read-only or not
// writable by this process.
func (d *Driver) Ping(ctx context.Context) error {
	if err := dirprobe.Writable(ctx, d.dir, ".ping-*"); err != nil {
		return fmt.Errorf("file driver: ping: %w", err)
	}
	return nil
}
