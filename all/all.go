// Package all imports every region driver and session backend of gosess
// for their registration, so that a program configured from a file can
// name any of them:
//
//	import _ "github.com/gosess/gosess/all"
//
// Programs that know what they use should import only those packages.
package all

import (
	// Session backends.
	_ "github.com/gosess/gosess/backends/cookie"
	_ "github.com/gosess/gosess/backends/dogpile"
	_ "github.com/gosess/gosess/backends/file"

	// Region drivers.
	_ "github.com/gosess/gosess/region/drivers/file"
	_ "github.com/gosess/gosess/region/drivers/gocache"
	_ "github.com/gosess/gosess/region/drivers/memcached"
	_ "github.com/gosess/gosess/region/drivers/memory"
	_ "github.com/gosess/gosess/region/drivers/null"
	_ "github.com/gosess/gosess/region/drivers/objects"
	_ "github.com/gosess/gosess/region/drivers/redis"
)
