package region

import "github.com/gosess/gosess/region/driver"

// The store under a region is a driver. Its contract, and everything else
// a driver author needs (optional capabilities, Factory, Arguments), is in
// package driver; these are the names a region's user meets.

// Driver is the store under a region: what ConfigureDriver takes and
// Driver and ActualDriver return. See package driver for its contract.
type Driver = driver.Driver

// Mutex is a lock on one key: the dogpile lock that (*Region).Mutex
// returns. See driver.Mutex for its contract.
type Mutex = driver.Mutex
