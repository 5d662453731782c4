package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// This file is per-user sessions: a session bound to a user (SetUser),
// the user's live sessions (Maker.UserSessions) and "log out everywhere"
// (Maker.RevokeUser).
//
// The Maker keeps one small record per user in the backend (UserStore):
// a revocation generation, and the index of the user's sessions, each
// with a time the index keeps it until. The record is only ever changed
// with UserStore.UpdateUser, a read-modify-write that loses no concurrent
// change (compare-and-set in a region, the file backend's lock).
//
// Keeping the index right without writing it on every save:
//
//   - A session is added to its user's index before the save that stores
//     it bound to the user (a bind: SetUser, or a new id after Renew).
//   - An entry is kept until a time at least as late as its session's
//     expiry: the end of the MaxAge-long period the expiry falls in
//     (capped by the lifetime). A session whose expiry moves on with its
//     accesses (refresh on access) renews its entry before a save moves
//     the expiry past it: one index write per MaxAge of activity, not per
//     request.
//   - Entries whose time has passed (by more than indexGrace, for clock
//     differences between hosts) leave the index at its next write, and
//     the record's TTL in the store is the latest entry's time: so the
//     index holds the user's live sessions and those that ended less than
//     about MaxAge ago, and the record of a user who stops coming goes
//     with the store's eviction. Invalidate and Renew take their id out
//     at once (sessions without any expiry leave that way).
//
// Revoking: RevokeUser increases the generation, then deletes every
// indexed session still bound to the user (a compare-and-set delete of
// what it loaded, so a save racing with it fails rather than bringing
// the session back), and takes those entries out. A login racing with a
// revocation is caught by the login: a save that stores a new id bound to
// a user reads the generation back afterwards, and a generation other
// than the one its index write saw means a revocation ran in between, so
// the save deletes what it stored (and reports the session gone). Cookie
// sessions cannot be deleted: they carry the generation they were bound
// at, and load as new sessions once it is not the user's.

// Names of the internal values of a session's user binding.
const (
	internalUser    = "_user"
	internalUserGen = "_ugen"
)

// indexGrace is how long past its time an index entry stays, for clocks
// that differ between the hosts of a fleet.
const indexGrace = time.Minute

// UserSession is one live session of a user, as Maker.UserSessions
// reports it.
type UserSession struct {
	// ID is the session id (a credential: show it to its user only, or a
	// prefix of it).
	ID string
	// Created is when the session was created.
	Created time.Time
	// LastAccess is the session's last recorded access (accesses are
	// recorded at most every TouchInterval).
	LastAccess time.Time
	// Expires is when the session expires on the server if not used
	// again; the zero time means never.
	Expires time.Time
}

// SetUser binds the session to the user id (a user name, a number, an
// email: any non-empty string), as at login; the binding is stored with
// the session at the next Save, which also adds the session to the
// user's index, for Maker.UserSessions and Maker.RevokeUser. SetUser("")
// unbinds it. Binding to the user it is already bound to changes nothing.
// Call Renew first at login, as always. Clear keeps the binding;
// Invalidate (logout) starts a session bound to nobody.
func (s *Session) SetUser(user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.user != user {
		s.user = user
		s.modified = true
	}
}

// User returns the user the session is bound to, "" when none.
func (s *Session) User() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.user
}

// userRecord is the Maker's record of one user.
type userRecord struct {
	gen uint64 // revocation generation: RevokeUser adds one
	// revokedUntil is how long the record must outlive the cookie
	// sessions a revocation ended (they carry the old generation); the
	// zero time means no such need, foreverTime no end.
	revokedUntil time.Time
	entries      []userEntry
}

// userEntry is one indexed session: its id and the time the index keeps
// it until (the zero time: never).
type userEntry struct {
	id   string
	keep time.Time
}

var foreverTime = time.Unix(0, 1<<62)

const userRecordMagic = "gsu1"

func (u *userRecord) marshal() []byte {
	b := make([]byte, 0, len(userRecordMagic)+24+len(u.entries)*56)
	b = append(b, userRecordMagic...)
	b = binary.BigEndian.AppendUint64(b, u.gen)
	b = binary.BigEndian.AppendUint64(b, uint64(unixNano(u.revokedUntil)))
	b = binary.AppendUvarint(b, uint64(len(u.entries)))
	for _, e := range u.entries {
		b = binary.AppendUvarint(b, uint64(len(e.id)))
		b = append(b, e.id...)
		b = binary.BigEndian.AppendUint64(b, uint64(unixNano(e.keep)))
	}
	return b
}

func unmarshalUser(b []byte) (userRecord, error) {
	var u userRecord
	bad := fmt.Errorf("%w: not a user record (%d bytes)", ErrBadRecord, len(b))
	if len(b) < len(userRecordMagic)+16 || string(b[:len(userRecordMagic)]) != userRecordMagic {
		return u, bad
	}
	b = b[len(userRecordMagic):]
	u.gen = binary.BigEndian.Uint64(b)
	u.revokedUntil = fromUnixNano(int64(binary.BigEndian.Uint64(b[8:])))
	b = b[16:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return u, bad
	}
	b = b[k:]
	u.entries = make([]userEntry, 0, n)
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) || len(b)-k-int(l) < 8 {
			return u, bad
		}
		id := string(b[k : k+int(l)])
		b = b[k+int(l):]
		u.entries = append(u.entries, userEntry{id: id, keep: fromUnixNano(int64(binary.BigEndian.Uint64(b)))})
		b = b[8:]
	}
	return u, nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// prune drops the entries whose time passed more than indexGrace ago.
func (u *userRecord) prune(now time.Time) {
	u.entries = slices.DeleteFunc(u.entries, func(e userEntry) bool {
		return !e.keep.IsZero() && e.keep.Add(indexGrace).Before(now)
	})
}

// ttl is how long the store must keep the record: until its latest entry
// and its revokedUntil (plus indexGrace); 0 (never) when an entry has no
// end. A record that needs keeping no more gets a second.
func (u *userRecord) ttl(now time.Time) time.Duration {
	last := u.revokedUntil
	for _, e := range u.entries {
		if e.keep.IsZero() {
			return 0
		}
		if e.keep.After(last) {
			last = e.keep
		}
	}
	if last.Equal(foreverTime) {
		return 0
	}
	return max(last.Add(indexGrace).Sub(now), time.Second)
}

// put adds id, or moves its time to keep if that is later.
func (u *userRecord) put(id string, keep time.Time) {
	for i, e := range u.entries {
		if e.id == id {
			if !e.keep.IsZero() && (keep.IsZero() || keep.After(e.keep)) {
				u.entries[i].keep = keep
			}
			return
		}
	}
	u.entries = append(u.entries, userEntry{id: id, keep: keep})
}

func (u *userRecord) has(id string) bool {
	return slices.ContainsFunc(u.entries, func(e userEntry) bool { return e.id == id })
}

// errNoUserStore reports a backend without per-user records.
func (st *makerState) errNoUserStore() error {
	return fmt.Errorf("%w: backend %q keeps no per-user records (session.UserStore), so it cannot list or end a user's sessions",
		ErrUnsupported, st.backendName)
}

// updateUser runs fn on the decoded record of user (a fresh one when none
// or an unreadable one is stored), prunes it, and stores it; it returns
// the record stored.
func (m *Maker) updateUser(ctx context.Context, us UserStore, user string, fn func(u *userRecord) error) (userRecord, error) {
	var out userRecord
	err := us.UpdateUser(ctx, user, func(cur []byte, found bool) ([]byte, time.Duration, error) {
		var u userRecord
		if found {
			var err error
			if u, err = unmarshalUser(cur); err != nil {
				// Not ours, or damaged: start over, but never reuse a
				// generation a cookie could carry.
				m.logger.WarnContext(ctx, "session: the user's record is not readable; starting it over", "error", err)
				u = userRecord{gen: uint64(m.now().UnixNano())}
			}
		}
		if err := fn(&u); err != nil {
			return nil, 0, err
		}
		now := m.now()
		u.prune(now)
		out = u
		return u.marshal(), u.ttl(now), nil
	})
	return out, err
}

// loadUser returns the decoded record of user; a missing record is the
// zero record.
func (m *Maker) loadUser(ctx context.Context, us UserStore, user string) (userRecord, error) {
	raw, err := us.LoadUser(ctx, user)
	switch {
	case errors.Is(err, ErrNotFound):
		return userRecord{}, nil
	case err != nil:
		return userRecord{}, err
	}
	u, err := unmarshalUser(raw)
	if err != nil {
		return userRecord{gen: ^uint64(0)}, nil // matches no session's generation
	}
	return u, nil
}

// indexKeep is how long the index keeps a session that expires at exp
// (zero: never): the end of the MaxAge-long period exp falls in when
// accesses move the expiry, capped by the lifetime; exp itself otherwise.
func (c *Config) indexKeep(created, exp time.Time) time.Time {
	if exp.IsZero() || !c.refreshOnAccess() || c.MaxAge <= 0 {
		return exp
	}
	p := int64(c.MaxAge)
	keep := time.Unix(0, (exp.UnixNano()/p+1)*p)
	if c.Lifetime > 0 {
		if limit := created.Add(c.Lifetime); limit.Before(keep) {
			keep = limit
		}
	}
	return keep
}

// userIndexing is what a save of a bound session did to the user's
// index: the generation its index write saw, and whether it was a bind
// (the index had not seen this binding) rather than a renewal.
type userIndexing struct {
	user string
	gen  uint64
	done bool // the index was written
	bind bool
}

// indexForSave adds the session (id, bound to user, expiring at exp after
// this save) to the user's index when the index does not cover it: a
// binding the index has not seen (indexed is false), or an expiry that
// moved past the time the index keeps the session until (prevExp is the
// expiry the index covers). ui.done is false when nothing was needed, or
// the backend keeps no per-user records.
func (s *Session) indexForSave(ctx context.Context, user, id string, indexed bool, prevExp, exp time.Time) (userIndexing, error) {
	ui := userIndexing{user: user, bind: !indexed}
	us, ok := s.st.backend.(UserStore)
	if user == "" || !ok {
		return ui, nil
	}
	cfg := &s.cc.cfg
	keep, prevKeep := cfg.indexKeep(s.created, exp), cfg.indexKeep(s.created, prevExp)
	covered := prevKeep.IsZero() || (!keep.IsZero() && !keep.After(prevKeep))
	if indexed && covered {
		return ui, nil
	}
	u, err := s.m.updateUser(ctx, us, user, func(u *userRecord) error {
		u.put(id, keep)
		return nil
	})
	if errors.Is(err, ErrUnsupported) {
		return ui, nil // no store for them: the binding is kept in the session only
	}
	if err != nil {
		return ui, fmt.Errorf("index the session of the user: backend %q: %w", s.st.backendName, err)
	}
	ui.gen, ui.done = u.gen, true
	return ui, nil
}

// verifyBinding is the check of a save that stored a session bound to a
// user whose index had not seen the binding (ui.bind): when the user's
// generation is no longer the one its index write saw, a revocation ran
// meanwhile and may have missed the session (it was not stored, or not
// bound, when the revocation looked), so it is deleted and the save
// reports it gone. An entry that a concurrent RevokeUser took out is put
// back.
func (s *Session) verifyBinding(ctx context.Context, ui userIndexing, id string, stored *Record, exp time.Time) error {
	if !ui.done || !ui.bind {
		return nil
	}
	us := s.st.backend.(UserStore)
	revoked := func() error {
		if err := s.st.backend.Delete(ctx, id, stored); err != nil && !errors.Is(err, ErrConflict) {
			return fmt.Errorf("delete a session revoked while it was saved: backend %q: %w", s.st.backendName, err)
		}
		return &ConflictError{Gone: true, detail: "the user's sessions were revoked while this one was saved"}
	}
	for range 4 {
		u, err := s.m.loadUser(ctx, us, ui.user)
		if err != nil {
			return fmt.Errorf("check the user's index: backend %q: %w", s.st.backendName, err)
		}
		if u.gen != ui.gen {
			return revoked()
		}
		if u.has(id) {
			return nil
		}
		again, err := s.indexForSave(ctx, ui.user, id, false, time.Time{}, exp)
		if err != nil {
			return err
		}
		if again.gen != ui.gen {
			return revoked()
		}
	}
	return errors.New("the user's index keeps losing the session")
}

// unindex takes id out of user's index (at Invalidate and Renew), if
// the backend keeps one.
func (s *Session) unindex(ctx context.Context, user, id string) error {
	us, ok := s.st.backend.(UserStore)
	if user == "" || !ok {
		return nil
	}
	_, err := s.m.updateUser(ctx, us, user, func(u *userRecord) error {
		u.entries = slices.DeleteFunc(u.entries, func(e userEntry) bool { return e.id == id })
		return nil
	})
	if err != nil && !errors.Is(err, ErrUnsupported) {
		return fmt.Errorf("take the session out of the user's index: backend %q: %w", s.st.backendName, err)
	}
	return nil
}

// checkGeneration reports whether a cookie session bound to user at
// generation gen is still valid: false once RevokeUser ran for the user.
func (m *Maker) checkGeneration(ctx context.Context, st *makerState, user string, gen uint64) (bool, error) {
	us, ok := st.backend.(UserStore)
	if !ok {
		return true, nil
	}
	u, err := m.loadUser(ctx, us, user)
	if errors.Is(err, ErrUnsupported) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("session: load: the user's record: backend %q: %w", st.backendName, err)
	}
	return u.gen == gen, nil
}

// UserSessions returns the live sessions bound to user (SetUser), most
// recently used first. It reads the user's index and loads each session:
// one read, plus one per indexed session. The cookie backend, which
// stores no session on the server, cannot list them (ErrUnsupported, as
// for a backend without a UserStore).
func (m *Maker) UserSessions(ctx context.Context, user string) ([]UserSession, error) {
	st, err := m.current()
	if err != nil {
		return nil, err
	}
	us, ok := st.backend.(UserStore)
	if !ok {
		return nil, st.errNoUserStore()
	}
	if st.carrier != nil {
		return nil, fmt.Errorf("%w: backend %q keeps sessions in the cookies and stores none on the server, so it cannot list them (RevokeUser still ends them, through the user's generation)",
			ErrUnsupported, st.backendName)
	}
	if user == "" {
		return nil, fmt.Errorf("%w: UserSessions of the empty user", ErrInvalidSetting)
	}
	u, err := m.loadUser(ctx, us, user)
	if err != nil {
		return nil, fmt.Errorf("session: user sessions: backend %q: %w", st.backendName, err)
	}
	var out []UserSession
	for _, e := range u.entries {
		s, _, err := m.boundSession(ctx, st, user, e.id)
		if err != nil {
			return nil, err
		}
		if s != nil {
			out = append(out, *s)
		}
	}
	slices.SortFunc(out, func(a, b UserSession) int {
		if c := b.LastAccess.Compare(a.LastAccess); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// boundSession loads the session id and returns it (with its record)
// when it is live and bound to user; nil otherwise.
func (m *Maker) boundSession(ctx context.Context, st *makerState, user, id string) (*UserSession, *Record, error) {
	if !ValidID(id) {
		return nil, nil, nil
	}
	rec, err := st.backend.Load(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session: load a session of the user: backend %q: %w", st.backendName, err)
	}
	values, err := st.cc.cfg.Codec.Unmarshal(rec.Data)
	if err != nil {
		return nil, nil, nil
	}
	if u, _ := values[internalUser].(string); u != user {
		return nil, nil, nil
	}
	created, _ := values[internalCreated].(time.Time)
	access, _ := values[internalAccess].(time.Time)
	return &UserSession{ID: id, Created: created, LastAccess: access, Expires: rec.Expires}, &rec, nil
}

// RevokeUser ends every session bound to user, "log out everywhere":
// their cookies load as new, empty sessions from then on, in every
// process. It returns how many sessions it ended. A session that a
// request is using at that moment is not saved again: its save fails
// with a ConflictError (Gone), as after a delete.
//
// With the cookie backend the sessions cannot be deleted: RevokeUser
// moves the user to a new generation, and a cookie bound at an older one
// loads as a new session (each load of a bound cookie session reads the
// user's record: one read). The cookie backend needs a store for that
// (see package backends/cookie); without one, and with a backend without
// a UserStore, RevokeUser fails with ErrUnsupported and says why.
func (m *Maker) RevokeUser(ctx context.Context, user string) (int, error) {
	st, err := m.current()
	if err != nil {
		return 0, err
	}
	us, ok := st.backend.(UserStore)
	if !ok {
		return 0, st.errNoUserStore()
	}
	if user == "" {
		return 0, fmt.Errorf("%w: RevokeUser of the empty user", ErrInvalidSetting)
	}
	now := m.now()
	u, err := m.updateUser(ctx, us, user, func(u *userRecord) error {
		u.gen++
		if st.carrier != nil {
			for _, e := range u.entries {
				if e.keep.IsZero() {
					u.revokedUntil = foreverTime
				} else if e.keep.After(u.revokedUntil) {
					u.revokedUntil = e.keep
				}
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("session: revoke user: backend %q: %w", st.backendName, err)
	}
	ended := 0
	done := map[string]bool{}
	for _, e := range u.entries {
		if st.carrier != nil {
			if e.keep.IsZero() || !e.keep.Before(now) {
				ended++
			}
			done[e.id] = true
			continue
		}
		gone, err := m.revokeOne(ctx, st, user, e.id)
		if err != nil {
			return ended, err
		}
		if gone {
			ended++
		}
		done[e.id] = true
	}
	_, err = m.updateUser(ctx, us, user, func(u *userRecord) error {
		u.entries = slices.DeleteFunc(u.entries, func(e userEntry) bool { return done[e.id] })
		return nil
	})
	if err != nil {
		return ended, fmt.Errorf("session: revoke user: backend %q: %w", st.backendName, err)
	}
	return ended, nil
}

// revokeOne deletes the session id if it is still bound to user, and
// reports whether it did. The delete is conditional on what was loaded;
// a concurrent save makes it load and try again.
func (m *Maker) revokeOne(ctx context.Context, st *makerState, user, id string) (bool, error) {
	for range MaxMergeAttempts {
		s, rec, err := m.boundSession(ctx, st, user, id)
		if err != nil || s == nil {
			return false, err
		}
		err = st.backend.Delete(ctx, id, rec)
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, ErrConflict):
			return false, fmt.Errorf("session: revoke user: delete a session: backend %q: %w", st.backendName, err)
		}
	}
	return false, fmt.Errorf("session: revoke user: %w: a session of the user kept being saved", ErrConflict)
}
