// Package dirprobe checks that a directory can be written to, for the
// Ping of the file driver and the file session backend.
package dirprobe

import (
	"context"
	"os"
)

// Writable creates a file named after pattern (as os.CreateTemp) in dir
// and removes it. It fails when ctx is done, or when dir is gone,
// read-only or not writable by this process.
func Writable(ctx context.Context, dir, pattern string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}
