package file

import (
	"context"
	"fmt"
	"os"

	"github.com/gosess/gosess/region"
)

var _ region.Pinger = (*Driver)(nil)

// Ping implements region.Pinger: it creates and removes a file in the
// driver's directory (beside data/ and locks/, where Cleanup does not
// look), which fails when the directory is gone, read-only or not
// writable by this process.
func (d *Driver) Ping(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("file driver: ping: %w", err)
	}
	f, err := os.CreateTemp(d.dir, ".ping-*")
	if err != nil {
		return fmt.Errorf("file driver: ping: %w", err)
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("file driver: ping: %w", err)
	}
	return nil
}
