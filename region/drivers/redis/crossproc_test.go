package redis

// childMain runs the child side of cross-process tests when the test binary
// is re-executed as a child; it reports whether it did.
func childMain() bool { return false }
