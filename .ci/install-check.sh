#!/usr/bin/env bash
# install-check: publish the library and the command's module, as they are
# in the work tree, to a local file proxy and install them from it the way a
# user outside the repository does:
#
#   go get github.com/mipush-go/mipush@V
#   go install github.com/mipush-go/mipush/cmd/mipush@V
#
# with an empty module cache, GOWORK=off and outside the repository, so a
# replace directive, a placeholder version or a dependency missing from a
# published go.mod fails here. V is the library version that
# cmd/mipush/go.mod requires (the next release to be tagged); the command
# is published at the same version. Other modules come from the host's
# module cache when it has them, else from $GOPROXY, and are verified
# against $GOSUMDB as usual; only the two snapshot modules, which no
# checksum database knows, are exempt (GONOSUMDB).
#
# What "go install m@v" needs (tested here): it reads m's go.mod from the
# proxy and ignores both the repository's go.work and m's go.sum, so the
# command's go.sum need not (and before the first release cannot) hold a
# hash of the library. See docs/releasing.md.
#
# Usage: .ci/install-check.sh  (exit status 0 when both installs work)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

lib=github.com/mipush-go/mipush
cmd=$lib/cmd/mipush

fail() { echo "install-check: $*" >&2; exit 1; }

# No published go.mod may carry a replace directive (go.work may).
nested=(cmd/mipush redislimit mipushprom) # the modules beside the library
for m in go.mod "${nested[@]/%//go.mod}"; do
  if GOWORK=off go mod edit -json "$m" | grep -q '"Replace": \['; then
    fail "$m has a replace directive: go install $cmd@version would refuse it"
  fi
done

version=$(GOWORK=off go mod edit -json cmd/mipush/go.mod |
  awk -v lib="\"$lib\"" '$1 == "\"Path\":" && $2 == lib"," { getline; gsub(/[",]/, "", $2); print $2 }')
[[ "$version" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]] ||
  fail "cmd/mipush/go.mod must require a release version of $lib, got '${version}'"

# go.work must replace exactly that version by the work tree, or builds in
# the workspace would look for an unreleased version on the proxy.
if ! go work edit -json | grep -A3 '"Old"' | grep -q "\"Version\": \"$version\""; then
  fail "go.work must replace $lib $version (the version cmd/mipush/go.mod requires) by ./"
fi

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# A tree object of the work tree as it is, tracked files with their
# changes and new files not ignored, made in a scratch index so the real
# one is untouched.
cp "$(git rev-parse --git-path index)" "$tmp/index"
GIT_INDEX_FILE=$tmp/index git add -A
tree=$(GIT_INDEX_FILE=$tmp/index git write-tree)

# publish MODULE DIR: one version of the module at DIR of the tree, in the
# layout of a GOPROXY (path/@v/list, .info, .mod, .zip). The library's zip
# leaves out the nested module, as the go command's own zips do.
proxy=$tmp/proxy
publish() {
  local mod=$1 dir=$2 at=$proxy/$1/@v
  mkdir -p "$at"
  echo "$version" >"$at/list"
  printf '{"Version":"%s","Time":"%s"}\n' "$version" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$at/$version.info"
  if [ "$dir" = . ]; then
    git show "$tree:go.mod" >"$at/$version.mod"
    local excludes=()
    for d in "${nested[@]}"; do excludes+=(":(exclude)$d"); done
    git archive --format=zip --prefix="$mod@$version/" -o "$at/$version.zip" "$tree" -- . "${excludes[@]}"
  else
    git show "$tree:$dir/go.mod" >"$at/$version.mod"
    git archive --format=zip --prefix="$mod@$version/" -o "$at/$version.zip" "$tree:$dir"
  fi
}
publish "$lib" .
for d in "${nested[@]}"; do publish "$lib/$d" "$d"; done

upstream=$(go env GOPROXY)
hostcache=$(go env GOMODCACHE)/cache/download
export GOPROXY="file://$proxy,file://$hostcache,$upstream"
export GONOSUMDB=$lib,$lib/cmd/mipush,$lib/redislimit,$lib/mipushprom GOPRIVATE= GONOPROXY=
export GOWORK=off GOTOOLCHAIN=local GOFLAGS=-modcacherw
export GOPATH=$tmp/gopath GOMODCACHE=$tmp/modcache GOBIN=$tmp/bin

echo "== install-check: go install $cmd@$version (from a local proxy of the work tree)"
(cd "$tmp" && go install "$cmd@$version") || fail "go install $cmd@$version failed"
out=$("$GOBIN/mipush" --version) || fail "mipush --version failed"
echo "$out"
grep -q "^mipush *$cmd $version\$" <<<"$out" || fail "--version does not name $cmd $version"
grep -q "^library *$lib $version\$" <<<"$out" || fail "--version does not name $lib $version"
[ "$("$GOBIN/mipush" version)" = "$out" ] || fail "mipush version differs from mipush --version"
"$GOBIN/mipush" send --fake --regid r1 --title Hi --description Hello >/dev/null ||
  fail "the installed mipush cannot send to its fake server"

echo "== install-check: go get $lib@$version in a new module"
app=$tmp/app
mkdir -p "$app"
cat >"$app/main.go" <<'EOF'
package main

import "github.com/mipush-go/mipush"

func main() { _ = mipush.NewClient }
EOF
(cd "$app" && go mod init example.com/app >/dev/null 2>&1 && go get "$lib@$version" && go build ./...) ||
  fail "go get $lib@$version and a build against it failed"
# The library's go.mod must not pull in the other modules' dependencies.
if (cd "$app" && go list -m all | grep -Eq 'progressbar|redis|prometheus'); then
  fail "the library's module graph includes a dependency of another module"
fi

echo "== install-check: go get $lib/redislimit@$version and $lib/mipushprom@$version in a new module"
fleet=$tmp/fleet
mkdir -p "$fleet"
cat >"$fleet/main.go" <<'EOF'
package main

import (
	"github.com/mipush-go/mipush/mipushprom"
	"github.com/mipush-go/mipush/redislimit"
)

func main() { _, _ = redislimit.New, mipushprom.NewObserver }
EOF
(cd "$fleet" && go mod init example.com/fleet >/dev/null 2>&1 &&
  go get "$lib/redislimit@$version" "$lib/mipushprom@$version" && go build ./...) ||
  fail "go get of redislimit and mipushprom at $version and a build against them failed"
echo "install-check: ok"
