//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

// Package flock takes exclusive flock(2) locks without waiting. This
// platform has no flock: TryLock fails with errors.ErrUnsupported.
package flock

import (
	"errors"
	"os"
)

// Supported reports whether this platform has flock(2).
const Supported = false

// TryLock fails with errors.ErrUnsupported on this platform.
func TryLock(*os.File) (bool, error) { return false, errors.ErrUnsupported }
