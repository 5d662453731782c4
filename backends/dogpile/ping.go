package dogpile

import "context"

// Ping implements session.Pinger: it pings the region's driver (see
// (*region.Region).Ping), so a health check of the sessions checks the
// cache server they live on.
func (b *Backend) Ping(ctx context.Context) error { return b.r.Ping(ctx) }
