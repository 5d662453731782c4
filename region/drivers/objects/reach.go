package objects

import "github.com/gosess/gosess/region"

// Reach implements driver.Reacher: the values live in this process.
func (d *Driver) Reach() region.Reach { return region.ReachProcess }
