//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package file

import (
	"errors"
	"os"
	"syscall"
)

const flockSupported = true

// tryFlock takes an exclusive flock(2) on f if it is free.
func tryFlock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return true, nil
		}
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil
		}
		if !errors.Is(err, syscall.EINTR) {
			return false, err
		}
	}
}
