//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package file

import (
	"errors"
	"os"
)

// flockSupported reports whether this platform has flock(2). Without it the
// driver works, but only with distributed_lock=false.
const flockSupported = false

func tryFlock(*os.File) (bool, error) { return false, errors.ErrUnsupported }
