//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

// Package flock takes exclusive flock(2) locks without waiting, for the
// file driver and the file session backend. A flock belongs to the open
// file description and is released by the kernel when its holder exits,
// however it exits.
package flock

import (
	"errors"
	"os"
	"syscall"
)

// Supported reports whether this platform has flock(2).
const Supported = true

// TryLock takes an exclusive flock on f without waiting. It reports false
// (and no error) when another open file description holds it; errors
// other than that are returned as *os.PathError.
func TryLock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EINTR):
			continue
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		}
		return false, &os.PathError{Op: "flock", Path: f.Name(), Err: err}
	}
}
