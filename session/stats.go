package session

import (
	"errors"
	"sync/atomic"

	"github.com/gosess/gosess/cookie"
)

// Reasons a cookie from a client did not load a session, as counted in
// Stats.Rejected. Each is bad client input, not a server error.
const (
	RejectMalformed     = "malformed"      // not a cookie of ours: bad encoding, too long, garbage
	RejectSignature     = "signature"      // signature does not verify (tampered, or an unknown key)
	RejectCookieExpired = "cookie_expired" // issued longer ago than max_age, or in the future
	RejectDecrypt       = "decrypt"        // the encrypted payload does not open
	RejectPayload       = "payload"        // verified, but holds no valid session id or cookie session
	RejectUnknownID     = "unknown_id"     // no stored session for the id (expired, deleted, never saved)
	RejectExpired       = "expired"        // the stored session expired on the server
	RejectUndecodable   = "undecodable"    // the stored data cannot be decoded
	RejectRevoked       = "revoked"        // a cookie session of a user whose sessions were revoked
)

var rejectReasons = []string{RejectMalformed, RejectSignature, RejectCookieExpired, RejectDecrypt,
	RejectPayload, RejectUnknownID, RejectExpired, RejectUndecodable, RejectRevoked}

// Stats is a snapshot of a Maker's counters since NewMaker; the metrics
// package exports them to Prometheus.
type Stats struct {
	// Loads counts sessions loaded from a cookie.
	Loads uint64
	// New counts new sessions handed out (by New, or by Load when the
	// cookie did not load one).
	New uint64
	// Saves counts successful saves; Conflicts saves (and Renew calls)
	// refused with ErrConflict: another request changed the same keys, or
	// deleted the session; SaveErrors other failed saves.
	Saves, Conflicts, SaveErrors uint64
	// Merges counts saves (and Renew calls) that found the session
	// stored by another request since it was loaded and merged both
	// requests' changes instead of failing (counted in Saves too).
	Merges uint64
	// LockErrors counts backend failures of a lock service (errors
	// wrapping ErrLock: the file backend's lock files) in saves, loads
	// and deletes. The dogpile backend takes no lock of its own: the
	// region counts its lock failures (region.Stats.LockErrors).
	LockErrors uint64
	// Rejected counts cookies that did not load a session, by reason
	// (the Reject* constants); every reason is present.
	Rejected map[string]uint64
}

type makerStats struct {
	loads, news, saves, conflicts, saveErrors atomic.Uint64
	merges, lockErrors                        atomic.Uint64
	rejected                                  [9]atomic.Uint64 // indexed like rejectReasons
}

func (s *makerStats) reject(reason string) {
	for i, r := range rejectReasons {
		if r == reason {
			s.rejected[i].Add(1)
			return
		}
	}
}

func (s *makerStats) saved(err error) {
	switch {
	case err == nil:
		s.saves.Add(1)
	case errors.Is(err, ErrConflict):
		s.conflicts.Add(1)
	default:
		s.saveErrors.Add(1)
		s.failed(err)
	}
}

// failed counts a backend failure that is a lock service's.
func (s *makerStats) failed(err error) {
	if errors.Is(err, ErrLock) {
		s.lockErrors.Add(1)
	}
}

// cookieRejectReason classifies an error of cookie.Codec.Decode.
func cookieRejectReason(err error) string {
	switch {
	case errors.Is(err, cookie.ErrSignature):
		return RejectSignature
	case errors.Is(err, cookie.ErrExpired):
		return RejectCookieExpired
	case errors.Is(err, cookie.ErrDecrypt):
		return RejectDecrypt
	}
	return RejectMalformed
}

// Stats returns a snapshot of the Maker's counters.
func (m *Maker) Stats() Stats {
	s := &m.stats
	out := Stats{
		Loads: s.loads.Load(), New: s.news.Load(), Saves: s.saves.Load(),
		Conflicts: s.conflicts.Load(), SaveErrors: s.saveErrors.Load(),
		Merges: s.merges.Load(), LockErrors: s.lockErrors.Load(),
		Rejected: make(map[string]uint64, len(rejectReasons)),
	}
	for i, r := range rejectReasons {
		out.Rejected[r] = s.rejected[i].Load()
	}
	return out
}
