package file

import "github.com/gosess/gosess/region"

// Reach implements driver.Reacher: region.ReachHost (processes of this host that open the same directory share the store).
func (d *Driver) Reach() region.Reach { return region.ReachHost }
