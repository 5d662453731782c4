package region

import "github.com/gosess/gosess/region/driver"

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
