package region

// KeyLocksSize reports the live entries of r's in-process lock registry.
func KeyLocksSize(r *Region) int { return r.locks.size() }
