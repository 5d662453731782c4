package region

import (
	"context"
	"time"
)

// UnlockGrace bounds how long releasing a lock may keep its caller past
// the caller's deadline. A release must happen even when the caller's
// context is already done (a cancelled request must not leave its lock to
// block everyone until it expires), so it cannot simply use that context;
// but a release on a hung lock service (a stopped redis or memcached) must
// not hold the caller for the driver's full network timeouts either. So
// every release, the region's and the drivers' own Mutex.Unlock, runs
// under UnlockContext: it ends at the caller's deadline plus UnlockGrace,
// or UnlockGrace after it starts when that is later or there is no
// deadline. A release cut short leaves the lock to expire on its own
// (lock_timeout) and is reported as an error.
//
// 250ms is two orders of magnitude above a release's round trip on a
// healthy network, and short enough not to matter to a caller whose own
// deadline has passed.
const UnlockGrace = 250 * time.Millisecond

// unlockKey marks a context made by UnlockContext.
type unlockKey struct{}

// UnlockContext returns the context to release a lock with, given the
// context of the caller that holds it: it keeps ctx's values, is not
// cancelled when ctx is, and has the deadline max(ctx's deadline, now) +
// UnlockGrace (now + UnlockGrace when ctx has none). Given a context it
// made itself it returns it unchanged, so that layers (the region's
// release, then the driver's Unlock) do not add their graces up. Call the
// CancelFunc when the release is done.
//
// Drivers call it at the start of Mutex.Unlock, so that their mutexes used
// directly keep the same bound.
func UnlockContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx.Value(unlockKey{}) != nil {
		return ctx, func() {}
	}
	end := time.Now()
	if d, ok := ctx.Deadline(); ok && d.After(end) {
		end = d
	}
	uctx := context.WithValue(context.WithoutCancel(ctx), unlockKey{}, true)
	return context.WithDeadline(uctx, end.Add(UnlockGrace))
}
