package session

import "errors"

// Sentinel errors, matched with errors.Is. Errors returned by this package
// wrap them with the detail (a setting, a key, a session id) that caused
// them.
var (
	// ErrNotConfigured is returned by every Maker method used before
	// Configure succeeded.
	ErrNotConfigured = errors.New("session: maker not configured")

	// ErrAlreadyConfigured is returned by a second call of Configure.
	ErrAlreadyConfigured = errors.New("session: maker already configured")

	// ErrInvalidSetting is returned for a bad setting: an unknown key, a
	// value of the wrong type, a key that is too short, an unknown
	// backend, a missing required setting.
	ErrInvalidSetting = errors.New("session: invalid setting")

	// ErrUnknownBackend is returned by Configure for a backend name that
	// no imported package registered (it also wraps ErrInvalidSetting).
	ErrUnknownBackend = errors.New("session: unknown backend")

	// ErrNotFound is returned by Backend.Load for an id that has no stored
	// session (never saved, deleted, or evicted).
	ErrNotFound = errors.New("session: not found")

	// ErrConflict is returned by Save (in a *ConflictError) when another
	// request stored the session since it was loaded and the two cannot
	// be merged: both changed the same key, or the other deleted,
	// renewed or invalidated the session; the changes of this Session
	// were not stored. Backends return it from Save and Delete when the
	// stored record is not the write's base.
	ErrConflict = errors.New("session: conflict: the stored session changed since it was loaded")

	// ErrLock is wrapped by backend errors that come from a lock service
	// rather than the store's data (the file backend's lock files: a
	// flock or open that fails), so that the Maker can count them apart
	// (Stats.LockErrors).
	ErrLock = errors.New("session: the backend's lock failed")

	// ErrUnsupportedValue is returned by Save (wrapping the codec's error)
	// when a value cannot be encoded by the session's codec. Nothing is
	// stored and the Session keeps its data.
	ErrUnsupportedValue = errors.New("session: value cannot be encoded")

	// ErrInternalKey is returned by Save (and Session.Err) after Set was
	// given a key that starts with "_": such keys are reserved for the
	// session's own bookkeeping, and the Set stored nothing.
	ErrInternalKey = errors.New("session: keys starting with _ are internal")

	// ErrKeyNotFound is returned by GetAs when the key is not set.
	ErrKeyNotFound = errors.New("session: key not found")

	// ErrWrongType is returned by GetAs when the stored value is not of
	// the requested type.
	ErrWrongType = errors.New("session: value has another type")

	// ErrUnsupported is returned by Maker.Cleanup when the backend has no
	// Cleanup capability.
	ErrUnsupported = errors.New("session: not supported by the backend")
)
