package session

import (
	"context"
	"fmt"
)

// Pinger is an optional Backend capability: a cheap check that the store
// answers (the dogpile backend pings its region's driver, the file
// backend checks that it can create a file in its directory). Backends
// without it keep nothing to reach (the cookie backend) and are taken to
// be up.
type Pinger interface {
	// Ping returns nil when the store answered within ctx, or the
	// store's error.
	Ping(ctx context.Context) error
}

// Ping checks that the Maker's backend can be reached, for start-up
// checks and health endpoints: ErrNotConfigured before Configure, the
// backend's error (wrapped, naming the backend) when its Pinger fails,
// nil otherwise.
func (m *Maker) Ping(ctx context.Context) error {
	st, err := m.current()
	if err != nil {
		return err
	}
	p, ok := st.backend.(Pinger)
	if !ok {
		return nil
	}
	if err := p.Ping(ctx); err != nil {
		return fmt.Errorf("session: backend %q: ping: %w", st.backendName, err)
	}
	return nil
}

// BackendName returns the name of the configured backend ("" before
// Configure), for logs and health pages.
func (m *Maker) BackendName() string {
	if st := m.state.Load(); st != nil {
		return st.backendName
	}
	return ""
}
