#!/usr/bin/env bash
# Runs the whole test suite: installs memcached, redis-server and chromium
# when they are missing, and the Python dogpile.cache peers' packages for
# Debian's /usr/bin/python3 (python3-dogpile.cache, python3-pymemcache,
# python3-redis), all from Debian packages, then go vet and go test -race on
# the main module, the bench module and the e2e module (the demo driven by
# a headless chromium). Tests start their own servers on free loopback
# ports. Extra arguments are passed to go test (e.g. -run Redis).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v memcached >/dev/null 2>&1 || need+=(memcached)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The interop tests run Python dogpile.cache peers with Debian's python3
# (internal/pypeer), never a python3 that happens to be first on PATH.
if ! /usr/bin/python3 -c 'import dogpile.cache, pymemcache, redis' >/dev/null 2>&1; then
  need+=(python3 python3-dogpile.cache python3-pymemcache python3-redis)
fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing ${need[*]}: install them (apt-get install -y ${need[*]}); tests that need them will skip unless CI=true" >&2
  fi
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt needed on:" >&2; echo "$unformatted" >&2; exit 1
fi
go vet ./...
go test -race -count=1 -timeout 20m "$@" ./...
for mod in bench e2e; do
  if [ -f "$mod/go.mod" ]; then
    (cd "$mod" && go vet ./... && go test -race -count=1 -timeout 20m "$@" ./...)
  fi
done
