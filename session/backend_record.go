package session

// This file is what a backend's implementation uses: the Record it
// stores and the record format for backends that store bytes, the
// condition of conditional writes (CheckBase), and the form of session ids.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Record is one stored session as a backend sees it.
type Record struct {
	// Version increases with every Save of the record: a new record has
	// version 1, and each save stores its base's version plus one. Stored
	// with the record, it is what backends without tokens (files) compare
	// a write's base with.
	Version uint64
	// Expires is when the session expires on the server (the Maker's
	// clock); the zero time means never. Backends without TTLs (files)
	// keep it to skip and clean up expired records.
	Expires time.Time
	// Data is the session's values encoded by the session Codec.
	Data []byte
	// Token is set by Load: the backend's own name for the stored version
	// it read (the dogpile backend's region.Version, for one
	// compare-and-set round trip), opaque to everyone else and never
	// stored. nil when the backend compares versions, and in records the
	// Maker built itself.
	Token any
}

const (
	recordMagic  = "gsr1"
	recordHeader = len(recordMagic) + 8 + 8
)

// ErrBadRecord is returned by Record.UnmarshalBinary for bytes that are not
// a record in this package's format.
var ErrBadRecord = errors.New("session: malformed stored record")

// MarshalBinary encodes r for backends that store bytes:
// magic "gsr1" | version (8 bytes) | expiry in Unix nanoseconds (8 bytes,
// 0 = never) | data.
func (r Record) MarshalBinary() ([]byte, error) {
	return r.AppendBinary(make([]byte, 0, recordHeader+len(r.Data)))
}

// AppendBinary appends the encoding of MarshalBinary to b.
func (r Record) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, recordMagic...)
	b = binary.BigEndian.AppendUint64(b, r.Version)
	var exp int64
	if !r.Expires.IsZero() {
		exp = r.Expires.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(exp))
	return append(b, r.Data...), nil
}

// UnmarshalBinary decodes the format of MarshalBinary. r.Data aliases b.
func (r *Record) UnmarshalBinary(b []byte) error {
	if len(b) < recordHeader || string(b[:len(recordMagic)]) != recordMagic {
		return fmt.Errorf("%w (%d bytes)", ErrBadRecord, len(b))
	}
	b = b[len(recordMagic):]
	r.Version = binary.BigEndian.Uint64(b)
	r.Expires = time.Time{}
	if exp := int64(binary.BigEndian.Uint64(b[8:])); exp != 0 {
		r.Expires = time.Unix(0, exp)
	}
	r.Data = b[16:]
	return nil
}

// ExpiredAt reports whether the record has an expiry time that is not
// after now.
func (r Record) ExpiredAt(now time.Time) bool {
	return !r.Expires.IsZero() && !r.Expires.After(now)
}

// PeekExpiry returns the expiry time of an encoded record from its header
// alone (the zero time for never), so that a cleanup can judge a record
// without reading all of it.
func PeekExpiry(header []byte) (time.Time, error) {
	var r Record
	if err := r.UnmarshalBinary(header[:min(len(header), recordHeader)]); err != nil {
		return time.Time{}, err
	}
	return r.Expires, nil
}

// RecordHeaderSize is how many leading bytes of an encoded record
// PeekExpiry needs.
const RecordHeaderSize = recordHeader

// MaxIDLength is the longest session id ValidID accepts: 171 characters,
// the unpadded base64url form of 128 random bytes, the largest
// session_id_length. Every backend stores such ids: the file backend's
// file name (id + ".session", 179 bytes) fits the 255-byte NAME_MAX of
// Linux file systems, and a dogpile key ("session:" + id) the 250 bytes
// of a memcached key.
const MaxIDLength = 171

// ValidID reports whether id has the form of a session id: 1 to
// MaxIDLength characters of the unpadded base64url alphabet (A-Z a-z 0-9
// - _). Ids the Maker makes always do; backends that build paths or keys
// from ids rely on it.
func ValidID(id string) bool {
	if len(id) == 0 || len(id) > MaxIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// CheckBase applies the condition of Save and Delete for backends that
// compare versions: given what Load returned for the id (read in the same
// atomic step as the write, e.g. under the id's lock), it returns nil when
// a write based on base may replace (or remove) the stored record,
// ErrConflict (wrapped, with the versions) when it may not, and loadErr
// itself when the store failed. base == nil means "nothing may be stored".
func CheckBase(cur Record, loadErr error, base *Record) error {
	switch {
	case errors.Is(loadErr, ErrNotFound):
		if base != nil {
			return fmt.Errorf("%w (based on version %d, none stored)", ErrConflict, base.Version)
		}
		return nil
	case loadErr != nil:
		return loadErr
	case base == nil:
		return fmt.Errorf("%w (the id is taken)", ErrConflict)
	case cur.Version != base.Version:
		return fmt.Errorf("%w (based on version %d, stored %d)", ErrConflict, base.Version, cur.Version)
	}
	return nil
}

// ExistsFromLoad turns the error of a Load into the result of Exists,
// for backends whose Exists is a Load: ErrNotFound is (false, nil), nil is
// (true, nil), anything else is a store failure.
func ExistsFromLoad(loadErr error) (bool, error) {
	if errors.Is(loadErr, ErrNotFound) {
		return false, nil
	}
	return loadErr == nil, loadErr
}

// Found is ExistsFromLoad under its former name.
//
// Deprecated: use ExistsFromLoad.
func Found(loadErr error) (bool, error) { return ExistsFromLoad(loadErr) }
