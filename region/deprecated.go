package region

import "github.com/gosess/gosess/region/driver"

// Names of the driver-author API from before it moved to package driver.
// They still work; new code uses the driver package's names.

// Arguments is driver.Arguments.
//
// Deprecated: use driver.Arguments.
type Arguments = driver.Arguments

// NewArguments is driver.NewArguments.
//
// Deprecated: use driver.NewArguments.
func NewArguments(name string, values map[string]any) *Arguments {
	return driver.NewArguments(name, values)
}

// Factory is driver.Factory.
//
// Deprecated: use driver.Factory.
type Factory = driver.Factory

// DriverInfo is driver.Info.
//
// Deprecated: use driver.Info.
type DriverInfo = driver.Info

// Locker is driver.Locker.
//
// Deprecated: use driver.Locker.
type Locker = driver.Locker

// KeyLimiter is driver.KeyLimiter.
//
// Deprecated: use driver.KeyLimiter.
type KeyLimiter = driver.KeyLimiter

// TTLLimiter is driver.TTLLimiter.
//
// Deprecated: use driver.TTLLimiter.
type TTLLimiter = driver.TTLLimiter

// Unwrapper is driver.Unwrapper.
//
// Deprecated: use driver.Unwrapper.
type Unwrapper = driver.Unwrapper

// LockFree is the former name of driver.LockSkipper, with the method
// LockFree instead of SkipLocks. The region still honours it: a driver
// whose LockFree reports true is not locked.
//
// Deprecated: implement driver.LockSkipper.
type LockFree interface {
	// LockFree reports whether the region should skip locking entirely.
	LockFree() bool
}

// Register is RegisterDriver.
//
// Deprecated: use RegisterDriver, named like RegisterProxy and
// session.RegisterBackend.
func Register(name string, f driver.Factory) { RegisterDriver(name, f) }
