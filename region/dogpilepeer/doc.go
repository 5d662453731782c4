// Package dogpilepeer has no API: its tests run gosess regions side by
// side with Python dogpile.cache 1.1 processes (Debian's packages, run by
// internal/pypeer) to show that the region format "dogpile" (see
// region.FormatDogpile) is a peer of the real library, not a
// reimplementation of it:
//
//   - values written by either language are read by the other, on real
//     memcached and redis servers started by the tests;
//   - a cold key hit at once by Python and Go processes runs its creator
//     once, through dogpile's own lock protocol on each server;
//   - a function memoized in Go and one decorated with
//     cache_on_arguments in Python share their results;
//   - the call-level expiration arguments, ignore_expiration and soft
//     invalidation behave as in dogpile, measured against it, while the
//     default format keeps gosess's own behaviour (docs/dogpile-compat.md
//     lists both);
//   - a value in gosess's own format is never read by Python as a wrong
//     value.
//
// Run them with ./scripts/test.sh, which installs memcached, redis-server,
// python3-dogpile.cache, python3-pymemcache and python3-redis when they
// are missing; without them the tests skip, except under CI=true.
package dogpilepeer
