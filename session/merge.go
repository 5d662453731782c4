package session

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/gosess/gosess/internal/backoff"
)

// This file is what happens when a write of a session (Save, or the
// delete of the old id in Renew) finds that another request stored the
// session since this one loaded it: the three-way merge of the two
// requests' changes, and the loop that reloads, merges and writes again.
//
// What "changed" means. A request changed a key when the value it would
// store under that key differs from the value it loaded (base): a Set to a
// different value, a Delete or Pop of a key that was set, a Clear of the
// keys that were set, or a value changed in place (a map or slice stored
// earlier and modified, with or without MarkModified). Setting a key to
// the value it already had is no change. The values compared are the
// stored forms: each side's bytes decoded again by the session's codec,
// compared with reflect.DeepEqual (time.Time: the same instant and
// offset), so that a value changed in place is seen even though nothing
// told the session, and a codec that does not keep Go types compares
// what it would store. Two values that DeepEqual cannot tell apart
// although they differ only in the order their codec wrote them are
// counted as different: the comparison errs towards a conflict, never
// towards a lost write.
//
// The merge, key by key, of base (what this session loaded), mine (what
// it would store) and theirs (what is stored now):
//
//	mine did not change k       -> theirs (their change, or nothing)
//	theirs did not change k     -> mine
//	both changed k              -> conflict (ConflictError.Keys)
//
// Both changing a key is a conflict even when both stored the same value:
// two requests that each read a counter at 5 and store 6 would otherwise
// merge into 6 and lose an increment, and an assignment cannot be told
// from such a read-modify-write. With this rule every merge is the result
// of running the two requests one after the other, for each key: the one
// that did not change the key first.
//
// The internal keys: _access is this save's time (the latest access);
// _creation must be the same in base and theirs (a different one means the
// id holds another session: a conflict); _flash, the queue of flash
// messages, always merges: the messages this session read are removed
// from the front of the stored queue (unless the other request read them
// too) and the ones it added are appended after the other request's.
//
// A record that is gone (deleted by Invalidate or Renew in another request,
// expired, evicted) is a conflict too: a save after a delete must not
// bring the session back, and a renewed session's new id is not given to
// other requests holding the old cookie (that would undo the defence
// against session fixation).

// MaxMergeAttempts bounds how many times a save (or Renew) reloads the
// session and merges when other requests keep storing it first; after that
// it gives up with ErrConflict.
const MaxMergeAttempts = 16

// mergeWait spaces the attempts: a conflict means another request has just
// stored, so the first retry comes quickly; the waits grow (jittered) when
// the session stays contended.
var mergeWait = backoff.Policy{First: 100 * time.Microsecond, Max: 10 * time.Millisecond}

// ConflictError is the error (wrapping ErrConflict, matched with
// errors.Is) of a save whose changes could not be merged with those of
// another request that stored the session first: both changed the same
// keys to different values, or the other request deleted the session
// (Invalidate, Renew, expiry). Nothing of this request was stored and the
// other request's data stands. errors.As gives the detail; the middleware
// passes it to the conflict handler (see WithConflictHandler).
type ConflictError struct {
	// Keys are the keys both requests changed, sorted; empty when the
	// session was gone.
	Keys []string
	// Gone reports that the stored session was deleted, renewed,
	// invalidated or had expired.
	Gone bool
	// Attempts is how many writes were tried (more than one when this
	// request merged with other writers before it gave up).
	Attempts int
	detail   string
}

func (e *ConflictError) Error() string {
	var b strings.Builder
	b.WriteString(ErrConflict.Error())
	switch {
	case e.Gone:
		b.WriteString(": the session was deleted, renewed or invalidated by another request, or expired")
	case len(e.Keys) > 0:
		fmt.Fprintf(&b, ": another request changed the same keys: %q", e.Keys)
	}
	if e.detail != "" {
		b.WriteString(" (" + e.detail + ")")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// merged is the other request's part of a merge: what this session takes
// over from theirs.
type merged struct {
	set     map[string]any // user keys whose merged value is theirs (they set it)
	gone    []string       // user keys they deleted (this session did not change them)
	flashes []any          // their queue, less the messages this session read
}

// merge3 merges by key the changes of this session (mine, based on base)
// with those of the other writer (theirs), as the file comment says.
// Every map holds decoded stored forms, internal keys included; kept is
// how many leading flashes of mine are base's (the rest were added).
func merge3(base, mine, theirs map[string]any, kept int) (merged, error) {
	out := merged{set: map[string]any{}}
	if !sameValue(base[internalCreated], theirs[internalCreated]) {
		return out, &ConflictError{detail: "the stored session has another creation time"}
	}
	var clash []string
	keys := map[string]struct{}{}
	for _, m := range []map[string]any{base, mine, theirs} {
		for k := range m {
			if !internal(k) {
				keys[k] = struct{}{}
			}
		}
	}
	for k := range keys {
		bv, inB := base[k]
		mv, inM := mine[k]
		tv, inT := theirs[k]
		switch {
		case same(inB, bv, inM, mv): // mine did not change k: theirs stands
			if !same(inB, bv, inT, tv) {
				if inT {
					out.set[k] = tv
				} else {
					out.gone = append(out.gone, k)
				}
			}
		case same(inB, bv, inT, tv): // only mine changed it
		default:
			clash = append(clash, k)
		}
	}
	if len(clash) > 0 {
		slices.Sort(clash)
		return out, &ConflictError{Keys: clash}
	}
	bf, _ := base[internalFlash].([]any)
	tf, _ := theirs[internalFlash].([]any)
	read := len(bf) - min(max(kept, 0), len(bf)) // leading messages of base this session read
	// They read the least number of leading messages of base that leaves
	// their queue starting with the rest of base. (Were they to read the
	// queue and add the very same messages again, this takes it for an
	// untouched queue, and the messages this session read are dropped.)
	theyRead := len(bf)
	for i := range len(bf) + 1 {
		if hasPrefix(tf, bf[i:]) {
			theyRead = i
			break
		}
	}
	out.flashes = tf[max(read-theyRead, 0):]
	return out, nil
}

// same reports whether two possibly absent values are the same stored
// value.
func same(inA bool, a any, inB bool, b any) bool {
	return inA == inB && (!inA || sameValue(a, b))
}

// sameValue compares two decoded stored values.
func sameValue(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		tb, ok := b.(time.Time)
		if !ok {
			return false
		}
		_, oa := ta.Zone()
		_, ob := tb.Zone()
		return ta.Equal(tb) && oa == ob
	}
	return reflect.DeepEqual(a, b)
}

// mergeUser merges the user binding (user and generation, one unit) as
// merge3 merges a key: theirs when this session did not change it, mine
// when they did not, a conflict (key "_user") when both did. A binding
// taken from theirs is indexed: their save did it.
func mergeUser(d *draft, base, mine, theirs map[string]any) error {
	b, m, t := binding(base), binding(mine), binding(theirs)
	switch {
	case m == b:
		d.user, d.userGen = t.user, t.gen
		if t != b {
			d.indexedUser = t.user
		}
	case t == b:
	default:
		return &ConflictError{Keys: []string{internalUser}}
	}
	return nil
}

type userBinding struct {
	user string
	gen  uint64
}

func binding(values map[string]any) userBinding {
	u, _ := values[internalUser].(string)
	g, _ := values[internalUserGen].(uint64)
	return userBinding{u, g}
}

func hasPrefix(list, prefix []any) bool {
	if len(prefix) > len(list) {
		return false
	}
	for i, v := range prefix {
		if !sameValue(list[i], v) {
			return false
		}
	}
	return true
}

// draft is a session's values while a write is being merged: a copy, so
// that the Session keeps its own values when the merge ends in a conflict.
type draft struct {
	base    *Record
	data    map[string]any
	flashes []any
	kept    int // leading flashes that are base's
	merges  int // merges done

	// The user binding (see users.go): the user and generation to store,
	// the user whose index holds the id, and the access time of base
	// (the expiry the index covers is counted from it).
	user        string
	userGen     uint64
	indexedUser string
	baseAccess  time.Time
}

// draft returns a draft of the Session's values, based on s.base.
func (s *Session) draft() *draft {
	return &draft{base: s.base, data: s.data, flashes: s.flashes, kept: s.kept,
		user: s.user, userGen: s.userGen, indexedUser: s.indexedUser, baseAccess: s.access}
}

// encode returns the bytes of the draft's values, stamped with access.
func (s *Session) encode(d *draft, access time.Time) ([]byte, error) {
	values := make(map[string]any, len(d.data)+3)
	maps.Copy(values, d.data)
	values[internalCreated] = s.created
	values[internalAccess] = access
	if len(d.flashes) > 0 {
		values[internalFlash] = slices.Clone(d.flashes)
	}
	if d.user != "" {
		values[internalUser] = d.user
		values[internalUserGen] = d.userGen
	}
	raw, err := s.cc.cfg.Codec.Marshal(values)
	if err != nil {
		if !errors.Is(err, ErrUnsupportedValue) {
			err = fmt.Errorf("%w: %w", ErrUnsupportedValue, err)
		}
		return nil, err
	}
	return raw, nil
}

// writeMerging runs write (a Save or a Delete conditional on d.base, given
// the draft's encoded values) until it succeeds, fails otherwise, or
// conflicts in a way no merge resolves. After a conflict it waits a
// little, reloads the stored session, merges (merge3) and writes again,
// up to MaxMergeAttempts writes. On success d holds what was written.
func (s *Session) writeMerging(ctx context.Context, d *draft, raw []byte, access time.Time,
	write func(ctx context.Context, base *Record, raw []byte) error) error {
	attempts := 0
	var last error
	err := mergeWait.Poll(ctx, func(ctx context.Context) (bool, error) {
		if attempts > 0 {
			var err error
			if raw, err = s.mergeStored(ctx, d, raw, access); err != nil {
				return false, err
			}
		}
		attempts++
		err := write(ctx, d.base, raw)
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, ErrConflict):
			return false, err
		case attempts >= MaxMergeAttempts:
			return false, &ConflictError{Attempts: attempts, detail: "other requests kept storing the session first"}
		}
		last = err
		return false, nil
	})
	var ce *ConflictError
	switch {
	case errors.As(err, &ce):
		ce.Attempts = attempts
	case err != nil && last != nil && ctx.Err() != nil:
		err = fmt.Errorf("%w (while retrying after: %v)", err, last)
	}
	return err
}

// mergeStored reloads the stored session and merges the draft with it;
// it returns the draft's new encoding, d.base being the reloaded record.
func (s *Session) mergeStored(ctx context.Context, d *draft, mineRaw []byte, access time.Time) ([]byte, error) {
	if d.merges == 0 { // the first merge: stop sharing the Session's values
		d.data, d.flashes = maps.Clone(d.data), slices.Clone(d.flashes)
	}
	theirs, err := s.st.backend.Load(ctx, s.id)
	if errors.Is(err, ErrNotFound) {
		return nil, &ConflictError{Gone: true}
	}
	if err != nil {
		return nil, fmt.Errorf("reload to merge: backend %q: %w", s.st.backendName, err)
	}
	codec := s.cc.cfg.Codec
	b, err := codec.Unmarshal(d.base.Data)
	if err != nil {
		return nil, &ConflictError{detail: "the loaded session does not decode: " + err.Error()}
	}
	t, err := codec.Unmarshal(theirs.Data)
	if err != nil {
		return nil, &ConflictError{detail: "the stored session does not decode: " + err.Error()}
	}
	if mineRaw == nil { // a Delete (Renew): the values were not encoded yet
		if mineRaw, err = s.encode(d, access); err != nil {
			return nil, err
		}
	}
	m, err := codec.Unmarshal(mineRaw)
	if err != nil {
		return nil, fmt.Errorf("session: the codec does not read back what it wrote: %w", err)
	}
	res, err := merge3(b, m, t, d.kept)
	if err != nil {
		return nil, err
	}
	if err := mergeUser(d, b, m, t); err != nil {
		return nil, err
	}
	if at, ok := t[internalAccess].(time.Time); ok {
		d.baseAccess = at
	}
	for k, v := range res.set {
		d.data[k] = v
	}
	for _, k := range res.gone {
		delete(d.data, k)
	}
	d.flashes = append(slices.Clip(res.flashes), d.flashes[min(d.kept, len(d.flashes)):]...)
	d.kept = len(res.flashes)
	d.base = &theirs
	d.merges++
	return s.encode(d, access)
}
