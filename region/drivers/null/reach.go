package null

import "github.com/gosess/gosess/region"

// Reach implements driver.Reacher: region.ReachProcess (it stores nothing, and nothing outside this process).
func (d Driver) Reach() region.Reach { return region.ReachProcess }
