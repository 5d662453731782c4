//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package file

import (
	"errors"
	"os"
)

// Without flock(2) only the in-process side of the locks is used, and
// directory permissions are not checked (they mean something else there).
const flockSupported = false

func tryFlock(*os.File) (bool, error) { return false, errors.ErrUnsupported }
