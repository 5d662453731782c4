package memory

import "github.com/gosess/gosess/region"

// Reach implements driver.Reacher: region.ReachProcess (the store is this process's memory).
func (d *Driver) Reach() region.Reach { return region.ReachProcess }
