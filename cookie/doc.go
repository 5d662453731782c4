// Package cookie makes session cookies that a client can carry but cannot
// forge, move or (optionally) read, and formats and parses them.
//
// It is the security layer under package session, and it fixes what PySess,
// the Python library that gosess ports, got wrong:
//
//   - PySess signed only the serialized data. A Codec signs, with
//     HMAC-SHA256, the cookie name, the issue time and the payload, so a
//     value cannot be replayed under another cookie name, its age cannot be
//     forged, and Decode can enforce a maximum age. Signatures are compared
//     with hmac.Equal, in constant time.
//   - PySess encrypted with AES-CTR and a fixed counter, so two cookies
//     encrypted under one key revealed the XOR of their plaintexts. A Codec
//     with EncryptKeys uses an AEAD (AES-256-GCM or XChaCha20-Poly1305) with
//     a fresh random nonce from crypto/rand for every value, and binds the
//     cookie name and issue time as additional data; the HMAC is computed
//     over the ciphertext as well (encrypt-then-MAC), so tampering is
//     reported as ErrSignature and ErrDecrypt means a key problem.
//   - One secret may serve both purposes: sub-keys for signing and for each
//     cipher are derived from it with HKDF-SHA256.
//   - Keys live in a Keyring, so they can be rotated: new cookies use the
//     first key, and every key still verifies and decrypts.
//   - The value format starts with a version byte so it can evolve, uses
//     canonical unpadded base64url (no character can be changed without
//     breaking the signature), and Decode bounds its work by MaxCookieSize
//     before anything else, never panics (it is fuzzed, see FuzzDecode),
//     and tells malformed, forged, expired and undecryptable values apart.
//
// A signed-only value is readable by the client (it is base64); use
// EncryptKeys whenever the payload is more than an opaque session id.
//
// Options builds the Set-Cookie header with every attribute browsers know
// (Domain, Path, Max-Age with Expires, Secure, HttpOnly, SameSite,
// Partitioned) and refuses, instead of letting browsers drop, cookies over
// MaxCookieSize and attribute combinations browsers reject. Extract reads a
// cookie back from a Set-Cookie line, a Cookie header, "name=value" or a
// bare value. LoadOrCreateSecret and WriteSecret keep a key in a 0600 file,
// as PySess's secret file, refusing files others can read.
package cookie
