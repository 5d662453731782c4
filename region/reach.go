package region

import "fmt"

// Reach says which processes see the items of a driver's store: the
// answer layers above a region need when every process must agree on
// something the store does not hold itself (the session layer's signing
// key: sessions stored where several processes reach them must be signed
// with a key they all have).
type Reach int

const (
	// ReachProcess: the store lives in this process's memory (memory, objects,
	// null); no other process sees its items, and they end with the
	// process.
	ReachProcess Reach = iota + 1
	// ReachHost: processes of this host share the store (the file
	// driver's directory).
	ReachHost
	// ReachNetwork: every process that can connect to the store's
	// servers shares it (memcached, redis, a remote gocache store). It is
	// the reach of drivers that do not say (see Reacher).
	ReachNetwork
)

// String returns "process", "host" or "network".
func (r Reach) String() string {
	switch r {
	case ReachProcess:
		return "process"
	case ReachHost:
		return "host"
	case ReachNetwork:
		return "network"
	}
	return fmt.Sprintf("Reach(%d)", int(r))
}

// Reacher is an optional driver capability: which processes share the
// driver's store. Drivers without it are taken as ReachNetwork, the
// cautious answer for a store the region knows nothing about.
type Reacher interface {
	// Reach returns the driver's reach; it does not touch the store.
	Reach() Reach
}

// Reach returns the reach of the configured driver's store (see
// Reacher): ReachNetwork for a driver that does not say, and for an
// unconfigured region.
func (r *Region) Reach() Reach {
	st := r.state.Load()
	if st == nil {
		return ReachNetwork
	}
	if c, ok := capability[Reacher](st.driver); ok {
		return c.Reach()
	}
	return ReachNetwork
}
