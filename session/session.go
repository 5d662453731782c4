package session

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
)

// Names of the internal values kept with every session's data. Keys that
// start with "_" are reserved: Set refuses them (see Set) and Keys, Len,
// Get and All do not show them.
const (
	internalCreated = "_creation"
	internalAccess  = "_access"
	internalFlash   = "_flash"
)

// Session is one client's session: a map of values plus the bookkeeping
// to store it and to hand the client a cookie. Get one from Maker.New,
// Maker.Load or, in a handler behind Maker.Middleware, FromContext.
//
// A Session is safe for concurrent use, but it is meant for one request:
// two requests of the same client each load their own Session, and the
// second to save after both changed it gets ErrConflict.
//
// Values are kept as given; a value changed in place (a map or slice
// stored earlier) is not noticed: Set it again, or call MarkModified.
type Session struct {
	mu sync.Mutex
	m  *Maker
	st *makerState
	cc *callConfig

	id      string
	data    map[string]any
	flashes []any
	kept    int // leading flashes that are base's (the rest were added since)
	created time.Time
	access  time.Time // last access as stored (or creation for a new session)
	// base is the stored record the values are based on: the one loaded,
	// or the last one this Session saved; nil when nothing is stored
	// under id (a new session, or a new id after Renew or Invalidate).
	// Saves and Renew are conditional on it (see merge.go).
	base *Record

	// user is the user the session is bound to (SetUser), userGen the
	// user's revocation generation when it was bound (checked for cookie
	// sessions), and indexedUser the user whose index is known to hold
	// this id ("" when none): the bound user of a loaded session, or the
	// one the last save indexed (see users.go).
	user        string
	userGen     uint64
	indexedUser string

	isNew       bool
	modified    bool
	invalidated bool   // Invalidate was called and nothing saved since
	rotated     bool   // the id changed (Renew, Invalidate) since the last cookie
	aborted     bool   // Abort was called
	loadedValue string // the cookie value the session was loaded from
	hadCookie   bool   // the input carried a session cookie (valid or not)
	saved       *http.Cookie
	keyErr      error // a Set with a reserved key: Save fails with it
}

func newID(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b)
}

func internal(key string) bool { return strings.HasPrefix(key, "_") }

// ID returns the session id. A new session has an id from the start; it
// changes with Renew and Invalidate (and, for a new session, in the
// astronomically unlikely case that Save finds it taken).
func (s *Session) ID() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.id
}

// IsNew reports whether the session was created rather than loaded from a
// stored session, and has not been saved since (also true after
// Invalidate).
func (s *Session) IsNew() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isNew
}

// Created returns when the session was created.
func (s *Session) Created() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.created
}

// LastAccess returns when the session was last saved (its last recorded
// access); for a new session, its creation.
func (s *Session) LastAccess() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.access
}

// Modified reports whether the values (or flashes, or the id through
// Renew) changed since the session was loaded or last saved.
func (s *Session) Modified() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.modified
}

// MarkModified flags the session as modified, for a value changed in
// place, so that the middleware saves it.
func (s *Session) MarkModified() {
	s.mu.Lock()
	s.modified = true
	s.mu.Unlock()
}

// Get returns the value of key and whether it is set.
func (s *Session) Get(key string) (any, bool) {
	if internal(key) {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	return v, ok
}

// GetAs returns the value of key as a T. It fails with ErrKeyNotFound when
// the key is not set and with ErrWrongType (naming both types) when the
// value is of another type; there are no conversions (an int is not an
// int64), which the default codec makes reliable since it keeps types.
func GetAs[T any](s *Session, key string) (T, error) {
	var zero T
	v, ok := s.Get(key)
	if !ok {
		return zero, fmt.Errorf("%w: %q", ErrKeyNotFound, key)
	}
	t, ok := v.(T)
	if !ok {
		return zero, fmt.Errorf("%w: %q holds %T, not %v", ErrWrongType, key, v, reflect.TypeFor[T]())
	}
	return t, nil
}

// Set stores v under key and marks the session modified. Whether v can
// be encoded is checked at Save (a value the codec cannot encode fails
// Save with ErrUnsupportedValue and nothing is lost).
//
// Keys that start with "_" are reserved for the session's own
// bookkeeping. Set with such a key stores nothing, and every later Save
// of this Session fails with ErrInternalKey naming the key (behind the
// middleware: a 500 and a logged error), so the mistake cannot go
// unnoticed; Err reports it at once. Set has no error result because
// that mistake is its only failure.
func (s *Session) Set(key string, v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if internal(key) {
		if s.keyErr == nil {
			s.keyErr = fmt.Errorf("%w: Set(%q)", ErrInternalKey, key)
		}
		return
	}
	s.data[key] = v
	s.modified = true
}

// Err reports a Set with a reserved key ("_..."), which stored nothing and
// makes Save fail with the same error (wrapping ErrInternalKey); nil when
// there was none.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keyErr
}

// Delete removes key; the session is modified only if key was set.
func (s *Session) Delete(key string) {
	s.Pop(key)
}

// Pop removes key and returns its value and whether it was set.
func (s *Session) Pop(key string) (any, bool) {
	if internal(key) {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.data[key]
	if ok {
		delete(s.data, key)
		s.modified = true
	}
	return v, ok
}

// Has reports whether key is set.
func (s *Session) Has(key string) bool {
	_, ok := s.Get(key)
	return ok
}

// Keys returns the keys that are set, sorted (internal keys excluded).
func (s *Session) Keys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.data))
}

// Len returns the number of keys set (internal keys excluded).
func (s *Session) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.data)
}

// All returns the keys and values, in key order. It iterates over a
// snapshot taken when iteration starts.
func (s *Session) All() iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		s.mu.Lock()
		snap := maps.Clone(s.data)
		s.mu.Unlock()
		for _, k := range slices.Sorted(maps.Keys(snap)) {
			if !yield(k, snap[k]) {
				return
			}
		}
	}
}

// Clear removes every value and pending flash message; the id, creation
// and access times stay (use Invalidate to start over with a new id).
func (s *Session) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.data) > 0 || len(s.flashes) > 0 {
		s.modified = true
	}
	clear(s.data)
	s.flashes, s.kept = nil, 0
}

// AddFlash queues a flash message: a value shown once, typically on the
// next page. It is stored with the session (so v must be encodable by the
// codec) until Flashes reads it.
func (s *Session) AddFlash(v any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.flashes = append(s.flashes, v)
	s.modified = true
}

// Flashes returns the queued flash messages in the order they were added
// and removes them (read once); nil when there are none.
func (s *Session) Flashes() []any {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.flashes
	if len(f) > 0 {
		s.flashes, s.kept = nil, 0
		s.modified = true
	}
	return f
}

// Save stores the session and returns the cookie to send to the client
// (add it with http.SetCookie). Save records the access time; the
// session's server-side expiry and the backend's TTL are computed from it
// (see Config.MaxAge, Config.Lifetime).
//
// Concurrent requests: when another request stored the session since this
// one loaded it, Save merges instead of failing: it reloads the session
// and keeps both requests' changes, key by key (this request's changes
// and the other's), then stores the result, conditional again on what it
// reloaded; the Session then holds the merged values. Only a change of
// the same key by both requests (even to the same value: think of two
// increments of a counter), or a session that the other request deleted,
// renewed or invalidated, is a conflict: Save
// returns a *ConflictError wrapping ErrConflict, stores nothing, and
// keeps this Session's values; the other request's data stands (reload
// and retry, or let the middleware's conflict handler answer). See
// merge.go for what counts as a change.
//
// Other errors: ErrUnsupportedValue when a value cannot be encoded
// (nothing is stored, nothing is lost: fix the value and save again); a
// cookie error (cookie.ErrTooLarge) when the cookie would exceed 4096
// bytes; otherwise a backend failure, wrapped. A session without changes
// whose save loses to a concurrent writer is not an error: the other
// writer's data stands and the cookie is returned.
func (s *Session) Save(ctx context.Context) (*http.Cookie, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.save(ctx)
}

// save stores the session (s.mu held) and counts the outcome.
func (s *Session) save(ctx context.Context) (*http.Cookie, error) {
	if s.keyErr != nil {
		s.m.stats.saved(s.keyErr)
		return nil, fmt.Errorf("session: save: %w", s.keyErr)
	}
	c, err := s.saveUncounted(ctx)
	s.m.stats.saved(err)
	return c, err
}

func (s *Session) saveUncounted(ctx context.Context) (*http.Cookie, error) {
	now := s.m.now()
	d := s.draft()
	expires := s.cc.cfg.expiry(s.created, now)
	var ttl time.Duration
	if !expires.IsZero() {
		ttl = max(expires.Sub(now), time.Second)
	}
	if s.st.carrier != nil {
		// A cookie session carries the generation it was bound at.
		ui, err := s.indexForSave(ctx, d.user, s.id, d.user == d.indexedUser, s.cc.cfg.expiry(s.created, d.baseAccess), expires)
		if err != nil {
			return nil, fmt.Errorf("session: save: %w", err)
		}
		if ui.done && ui.bind {
			d.userGen = ui.gen
		}
	}
	raw, err := s.encode(d, now)
	if err != nil {
		return nil, fmt.Errorf("session: save: %w", err)
	}

	var c *http.Cookie
	if carrier := s.st.carrier; carrier != nil {
		payload, err := carrier.Seal(s.id, Record{Version: 1, Expires: expires, Data: raw})
		if err != nil {
			return nil, fmt.Errorf("session: save: %w", err)
		}
		if c, err = s.cc.cookie(payload, now, expires); err != nil {
			return nil, fmt.Errorf("session: save: %w", err)
		}
	} else {
		var stored *Record
		if stored, c, err = s.store(ctx, d, raw, now, expires, ttl); err != nil {
			return nil, fmt.Errorf("session: save: %w", err)
		}
		if stored != nil {
			s.base = stored
		}
		if d.merges > 0 {
			s.m.stats.merges.Add(1)
			s.data, s.flashes = d.data, d.flashes
		}
		s.kept = len(s.flashes)
	}
	s.user, s.userGen, s.indexedUser = d.user, d.userGen, d.user
	s.isNew, s.modified, s.invalidated, s.rotated = false, false, false, false
	s.access = now
	s.saved = c
	return c, nil
}

// errTouchLost ends the write of a save that only records an access when
// another request stored the session first.
var errTouchLost = errors.New("access update lost to a concurrent save")

// store writes the draft to the backend and returns the record written
// (nil when a save that only records an access lost to a concurrent
// writer: nothing written, and that is fine) and the cookie naming it. A
// new id is added only if absent (another id is drawn when it is taken);
// an existing one is written conditionally on d.base, merging with
// concurrent writers (writeMerging).
func (s *Session) store(ctx context.Context, d *draft, raw []byte, now, expires time.Time, ttl time.Duration) (*Record, *http.Cookie, error) {
	if d.base == nil {
		for attempt := 0; ; attempt++ {
			c, err := s.cc.cookie([]byte(s.id), now, expires)
			if err != nil {
				return nil, nil, err
			}
			ui, err := s.indexForSave(ctx, d.user, s.id, false, time.Time{}, expires)
			if err != nil {
				return nil, nil, err
			}
			rec := Record{Version: 1, Expires: expires, Data: raw}
			err = s.st.backend.Save(ctx, s.id, rec, nil, ttl)
			switch {
			case err == nil:
				if err := s.verifyBinding(ctx, ui, s.id, &rec, expires); err != nil {
					return nil, nil, err
				}
				return &rec, c, nil
			case !errors.Is(err, ErrConflict):
				return nil, nil, fmt.Errorf("backend %q: %w", s.st.backendName, err)
			case attempt < 3:
				s.m.logger.WarnContext(ctx, "session: new session id already taken; drawing another")
				s.id = newID(s.cc.cfg.IDLength)
			default:
				return nil, nil, err
			}
		}
	}
	c, err := s.cc.cookie([]byte(s.id), now, expires)
	if err != nil {
		return nil, nil, err
	}
	touch := !s.modified
	var (
		rec Record
		ui  userIndexing
	)
	err = s.writeMerging(ctx, d, raw, now, func(ctx context.Context, base *Record, raw []byte) error {
		// The user's index first, for the binding this attempt stores
		// (a merge may have brought another request's).
		idx, err := s.indexForSave(ctx, d.user, s.id, d.user == d.indexedUser, s.cc.cfg.expiry(s.created, d.baseAccess), expires)
		if err != nil {
			return err
		}
		if idx.done {
			ui, d.indexedUser = idx, d.user
		}
		rec = Record{Version: base.Version + 1, Expires: expires, Data: raw}
		err = s.st.backend.Save(ctx, s.id, rec, base, ttl)
		switch {
		case touch && errors.Is(err, ErrConflict):
			return errTouchLost
		case err != nil && !errors.Is(err, ErrConflict):
			return fmt.Errorf("backend %q: %w", s.st.backendName, err)
		}
		return err
	})
	if errors.Is(err, errTouchLost) {
		// Only the access time would have been written, and another
		// writer has just stored the session: its data stands.
		s.m.logger.DebugContext(ctx, "session: access update skipped: the session was saved concurrently")
		return nil, c, nil
	}
	if err != nil {
		return nil, nil, err
	}
	if err := s.verifyBinding(ctx, ui, s.id, &rec, expires); err != nil {
		return nil, nil, err
	}
	return &rec, c, nil
}

// Abort gives up the changes of this request: nothing is stored, and the
// middleware will not save the session. It returns the cookie that keeps
// the client where it was: the cookie of the last Save of this Session if
// there was one, else the cookie the session was loaded from, or, for a
// session that was new (or whose id changed through Renew or
// Invalidate), an expired cookie that removes any cookie the client holds.
func (s *Session) Abort() *http.Cookie {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aborted = true
	if s.rotated {
		return s.cc.opts.Expired()
	}
	if s.saved != nil {
		return s.saved
	}
	if s.loadedValue != "" {
		now := s.m.now()
		c, err := s.cc.cookieValue(s.loadedValue, now, s.cc.cfg.expiry(s.created, s.access))
		if err == nil {
			return c
		}
	}
	return s.cc.opts.Expired()
}

// Invalidate ends the session, as at logout: the stored record is deleted,
// and the Session starts over empty, new, with a new id. Saving it stores
// the new session; the middleware instead sends an expired cookie when
// nothing was set after Invalidate. A request that saves the old session
// afterwards gets ErrConflict (it is not brought back). With the cookie
// backend the old cookie cannot be revoked (it stays valid until it
// expires).
func (s *Session) Invalidate(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base != nil && s.st.carrier == nil {
		if err := s.st.backend.Delete(ctx, s.id, nil); err != nil {
			s.m.stats.failed(err)
			return fmt.Errorf("session: delete: backend %q: %w", s.st.backendName, err)
		}
	}
	if err := s.unindex(ctx, s.indexedUser, s.id); err != nil {
		s.m.stats.failed(err)
		return fmt.Errorf("session: invalidate: %w", err)
	}
	s.newID()
	now := s.m.now()
	s.user, s.userGen = "", 0
	s.data = map[string]any{}
	s.flashes, s.kept = nil, 0
	s.created, s.access = now, now
	s.isNew, s.modified, s.invalidated = true, false, true
	return nil
}

// Renew gives the session a new id and keeps its values, as after a
// login (the defence against session fixation; scs calls it RenewToken):
// the record under the old id is deleted at once, so the cookie from
// before never loads the session again, and the session is marked
// modified so that it is saved under the new id. With the cookie backend
// the old cookie cannot be revoked (it stays valid until it expires).
//
// The old record is deleted only if it is still the one this Session is
// based on: when another request stored the session meanwhile, Renew
// merges its changes into this Session first (as Save does), so that
// they move to the new id too. When they cannot be merged (the same key
// changed by both, or the session was deleted meanwhile) Renew returns a
// *ConflictError wrapping ErrConflict and changes nothing.
func (s *Session) Renew(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.base != nil && s.st.carrier == nil {
		d := s.draft()
		err := s.writeMerging(ctx, d, nil, s.m.now(), func(ctx context.Context, base *Record, _ []byte) error {
			err := s.st.backend.Delete(ctx, s.id, base)
			if err != nil && !errors.Is(err, ErrConflict) {
				return fmt.Errorf("backend %q: %w", s.st.backendName, err)
			}
			return err
		})
		if err != nil {
			if errors.Is(err, ErrConflict) {
				s.m.stats.conflicts.Add(1)
			} else {
				s.m.stats.failed(err)
			}
			return fmt.Errorf("session: renew: %w", err)
		}
		if d.merges > 0 {
			s.m.stats.merges.Add(1)
			s.data, s.flashes, s.kept = d.data, d.flashes, d.kept
			s.user, s.userGen = d.user, d.userGen
		}
	}
	if err := s.unindex(ctx, s.indexedUser, s.id); err != nil {
		s.m.stats.failed(err)
		return fmt.Errorf("session: renew: %w", err)
	}
	s.newID()
	s.modified = true
	return nil
}

// Refresh is Renew under its former name, kept so that existing code
// builds. It renews the session id; it has nothing to do with the
// refresh_on_access setting.
//
// Deprecated: use Renew.
func (s *Session) Refresh(ctx context.Context) error { return s.Renew(ctx) }

// newID moves the session to a new id, under which nothing is stored.
func (s *Session) newID() {
	s.id = newID(s.cc.cfg.IDLength)
	s.base, s.rotated, s.indexedUser = nil, true, ""
}

// expiry returns when a session created at created and last accessed at
// access expires on the server; the zero time means never.
func (c *Config) expiry(created, access time.Time) time.Time {
	var exp time.Time
	if c.MaxAge > 0 {
		from := created
		if c.refreshOnAccess() {
			from = access
		}
		exp = from.Add(c.MaxAge)
	}
	if c.Lifetime > 0 {
		if l := created.Add(c.Lifetime); exp.IsZero() || l.Before(exp) {
			exp = l
		}
	}
	return exp
}
