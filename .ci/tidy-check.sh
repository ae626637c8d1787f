#!/usr/bin/env bash
# tidy-check: fail when a module's go.mod or go.sum is not tidy, printing
# what "go mod tidy" would change (go mod tidy -diff).
#
# The library is checked as it is. The other modules (the command,
# redislimit, mipushprom) require the
# library at its next release (see docs/releasing.md), which does not
# exist until it is tagged; "go mod tidy" ignores go.work, so each
# is checked with a copy of its go.mod that replaces the library by this
# work tree (-modfile), leaving the real go.mod free of replace
# directives. The library's own lines in the command's go.sum (recorded at
# a release, for builds with GOWORK=off) are left out of the comparison:
# with the replacement tidy has no use for them.
#
# Usage: .ci/tidy-check.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
lib=github.com/mipush-go/mipush
export GOWORK=off GOFLAGS=-mod=mod

status=0
echo "== tidy-check: $lib"
go mod tidy -diff || status=1

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for dir in cmd/mipush redislimit mipushprom; do
  echo "== tidy-check: $lib/$dir"
  mkdir -p "$tmp/$dir"
  cp "$dir/go.mod" "$tmp/$dir/go.mod"
  grep -v "^$lib " "$dir/go.sum" >"$tmp/$dir/go.sum" || true
  (cd "$dir" &&
    go mod edit -modfile="$tmp/$dir/go.mod" -replace="$lib=$root" &&
    go mod tidy -diff -modfile="$tmp/$dir/go.mod") || status=1
done

[ $status = 0 ] && echo "tidy-check: ok"
exit $status
