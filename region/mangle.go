package region

import (
	"crypto/sha256"
	"encoding/hex"
)

// MangleKey rewrites any key into one every driver can hold: at most 100
// bytes of printable ASCII without spaces. It keeps up to 32 bytes of the
// key's readable start (other bytes replaced by '_') so that keys stay
// recognizable in the store, followed by ":" and the SHA-256 of the whole
// key in hex. Distinct keys give distinct results (up to SHA-256
// collisions). It is the default mangler for drivers that implement
// KeyLimiter.
func MangleKey(key string) string {
	const keep = 32
	n := min(len(key), keep)
	b := make([]byte, 0, n+1+64+2)
	b = append(b, 'h', ':')
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
