package region

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Keys. A caller's key goes through three steps on its way to the driver:
// the region's key mangler (WithKeyMangler, dogpile's key_mangler) if one
// is set; then, if the result is a key the driver cannot hold (see
// driver.KeyLimiter) or one that starts with the reserved prefix "~gs:", MangleKey,
// which hashes it into the reserved namespace. Everything else reaches the
// driver unchanged.
//
// The reserved namespace holds the region's own items (the locks of the
// dogpile lock, the shared invalidation record) and the hashed keys, so no
// caller key can name one of them: a caller key equal to a lock key, to
// the invalidation record's key or to MangleKey(k) is itself hashed, to a
// key that is none of those.
const reservedPrefix = "~gs:"

// Names inside the reserved namespace.
const (
	hashedPrefix     = reservedPrefix + "h:"     // MangleKey's results
	lockPrefix       = reservedPrefix + "lock:"  // the lock of a store key
	lockHashedPrefix = reservedPrefix + "lockh:" // the lock of a store key too long to prefix
	ownPrefix        = reservedPrefix + "own:"   // the region's own records
)

// MangleKey rewrites any key into one every driver can hold, in the
// region's reserved namespace: at most 100 bytes of printable ASCII without
// spaces. It keeps up to 29 bytes of the key's readable start (other bytes
// replaced by '_') so that keys stay recognizable in the store, between the
// prefix "~gs:h:" and ":" followed by the SHA-256 of the whole key in hex.
// Distinct keys give distinct results (up to SHA-256 collisions). The
// region applies it to keys the driver cannot hold (see driver.KeyLimiter) and to
// keys that start with "~gs:".
func MangleKey(key string) string {
	const keep = 29 // so that the result is at most 100 bytes
	n := min(len(key), keep)
	b := make([]byte, 0, len(hashedPrefix)+n+1+64)
	b = append(b, hashedPrefix...)
	for i := 0; i < n; i++ {
		c := key[i]
		if c <= ' ' || c >= 0x7f {
			c = '_'
		}
		b = append(b, c)
	}
	sum := sha256.Sum256([]byte(key))
	b = append(b, ':')
	b = hex.AppendEncode(b, sum[:])
	return string(b)
}

// storeKey returns the driver key of the caller key k (see above).
func (st *state) storeKey(k string) string {
	if st.mangle != nil {
		k = st.mangle(k)
	}
	if strings.HasPrefix(k, reservedPrefix) || (st.limiter != nil && !st.limiter.ValidKey(k)) {
		return MangleKey(k)
	}
	return k
}

// lockKey returns the driver key of the lock that guards the store key mk:
// "~gs:lock:" + mk, or "~gs:lockh:" + the SHA-256 of mk when the driver
// cannot hold that.
func (st *state) lockKey(mk string) string {
	lk := lockPrefix + mk
	if st.limiter != nil && !st.limiter.ValidKey(lk) {
		sum := sha256.Sum256([]byte(mk))
		return lockHashedPrefix + hex.EncodeToString(sum[:])
	}
	return lk
}

// ownKey returns the driver key of one of the region's own records, such
// as the shared invalidation record: "~gs:own:" + name, hashed like a
// caller key when the driver cannot hold it.
func (st *state) ownKey(name string) string {
	k := ownPrefix + name
	if st.limiter != nil && !st.limiter.ValidKey(k) {
		return MangleKey(k)
	}
	return k
}
