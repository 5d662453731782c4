package memcached

import (
	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// Name is the name the driver is registered under.
const Name = "memcached"

func init() { region.RegisterDriver(Name, Factory) }

// Factory is the driver.Factory registered as "memcached". It reads the
// arguments listed in the package documentation, fails on unknown or
// ill-typed ones (errors wrap region.ErrInvalidArgument), and returns a
// *Driver, or a *LockingDriver when distributed_lock is true.
func Factory(_ driver.Info, args *driver.Arguments) (driver.Driver, error) {
	cfg := Config{
		Servers:          args.Strings("url", nil),
		Timeout:          args.Duration("timeout", 0),
		MaxIdleConns:     args.Int("max_idle_conns", 0),
		ExpireTime:       args.Duration("memcached_expire_time", 0),
		LockTimeout:      args.Duration("lock_timeout", 0),
		LockSleep:        args.Duration("lock_sleep", 0),
		MultiConcurrency: args.Int("multi_concurrency", 0),
	}
	locking := args.Bool("distributed_lock", false)
	if args.Has("lock_timeout") && cfg.LockTimeout == 0 {
		args.Fail("lock_timeout", "0 (a lock that never expires) is not supported: a holder that dies would block its key for good; give a number of seconds (default %v)", DefaultLockTimeout)
	}
	if cfg.MaxIdleConns < 0 {
		args.Fail("max_idle_conns", "must not be negative, got %d", cfg.MaxIdleConns)
	}
	if cfg.MultiConcurrency < 0 {
		args.Fail("multi_concurrency", "must not be negative, got %d", cfg.MultiConcurrency)
	}
	if !args.Has("url") {
		args.Fail("url", "is required: a memcached address such as \"127.0.0.1:11211\", or several")
	}
	if err := args.Err(); err != nil {
		return nil, err
	}
	d, err := New(cfg)
	if err != nil {
		return nil, err
	}
	if locking {
		return d.Locking(), nil
	}
	return d, nil
}
