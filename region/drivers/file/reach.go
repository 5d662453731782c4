package file

import "github.com/gosess/gosess/region"

// Reach implements region.Reacher: region.ReachHost (processes of this host that open the same directory share the store).
func (d *Driver) Reach() region.Reach { return region.ReachHost }
