package region

import "github.com/gosess/gosess/region/driver"

// Reach says which processes see the items of a region's store (see
// (*Region).Reach): ReachProcess, ReachHost or ReachNetwork.
type Reach = driver.Reach

// The reaches of a store; see driver.Reach.
const (
	ReachProcess = driver.ReachProcess // the process's own memory (memory, objects, null)
	ReachHost    = driver.ReachHost    // processes of this host (file)
	ReachNetwork = driver.ReachNetwork // every process that reaches its servers (memcached, redis)
)

// Reach returns the reach of the configured driver's store (see
// driver.Reacher): ReachNetwork for a driver that does not say, and for an
// unconfigured region.
func (r *Region) Reach() Reach {
	st := r.state.Load()
	if st == nil {
		return ReachNetwork
	}
	if c, ok := driver.Capability[driver.Reacher](st.driver); ok {
		return c.Reach()
	}
	return ReachNetwork
}
