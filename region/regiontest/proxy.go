package regiontest

import (
	"context"
	"io"
	"time"

	"github.com/gosess/gosess/region"
	"github.com/gosess/gosess/region/driver"
)

// Proxies for tests (region.Proxy values for region.Config.Wrap): one
// that hides a driver's capabilities, one that watches its writes.

// HideCAS returns d as a driver that has driver.Driver's methods and
// Close, and no other optional capability: no driver.CASDriver (so a
// region on it compares and sets under its key mutex), no driver.Locker,
// and no Unwrap through which the region could find d's. It is a
// region.Proxy. Comparison runs use it to show what compare-and-set in the
// store buys.
func HideCAS(d driver.Driver) driver.Driver { return casHidden{d} }

type casHidden struct{ driver.Driver }

// Close closes the wrapped driver, if it has a Close.
func (h casHidden) Close() error {
	if c, ok := h.Driver.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// WatchWrites returns a region.Proxy that calls onWrite with the key,
// value and TTL of every write that reaches the driver it wraps: Set (the
// multi writes come through it: the proxy has no SetMulti), and
// CompareAndSet when that driver is a driver.CASDriver, whose GetCAS and
// CompareAndSet the proxy then passes through. It unwraps to the driver
// (driver.Unwrapper), so that the region finds the driver's other
// capabilities. onWrite may be called from several goroutines at once.
func WatchWrites(onWrite func(key string, value []byte, ttl time.Duration)) region.Proxy {
	return func(d driver.Driver) driver.Driver {
		w := &writeWatcher{Driver: d, onWrite: onWrite}
		if cas, ok := d.(driver.CASDriver); ok {
			return &casWriteWatcher{writeWatcher: w, cas: cas}
		}
		return w
	}
}

type writeWatcher struct {
	driver.Driver
	onWrite func(key string, value []byte, ttl time.Duration)
}

func (w *writeWatcher) Unwrap() driver.Driver { return w.Driver }

func (w *writeWatcher) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	w.onWrite(key, value, ttl)
	return w.Driver.Set(ctx, key, value, ttl)
}

// casWriteWatcher is a writeWatcher on a driver.CASDriver.
type casWriteWatcher struct {
	*writeWatcher
	cas driver.CASDriver
}

func (w *casWriteWatcher) GetCAS(ctx context.Context, key string) ([]byte, driver.CASToken, error) {
	return w.cas.GetCAS(ctx, key)
}

func (w *casWriteWatcher) CompareAndSet(ctx context.Context, key string, token driver.CASToken, value []byte, ttl time.Duration) error {
	w.onWrite(key, value, ttl)
	return w.cas.CompareAndSet(ctx, key, token, value, ttl)
}
