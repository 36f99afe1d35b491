#!/usr/bin/env bash
# Prints the path of a Pulumi CLI at the pinned version (scripts/pulumi-version.txt).
# Uses `pulumi` on PATH when its version equals the pin; otherwise builds the pinned CLI from the
# Go module proxy into .cache/pulumi-cli/<version>/bin/pulumi (git-ignored) and reuses it later.
# Only the path goes to stdout; progress goes to stderr. Usage:
#   PULUMI=$(bash scripts/pulumi-cli.sh)          # path of the binary
#   bash scripts/pulumi-cli.sh --root             # its install root (for PulumiCommand.get({root}))
# Env: STREAMSTACK_PULUMI_CACHE overrides the cache folder.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
pin_file="$repo/scripts/pulumi-version.txt"
version="$(tr -d '[:space:]' < "$pin_file")"
if ! [[ "$version" =~ ^3\.[0-9]+\.[0-9]+$ ]]; then
  echo "pulumi-cli: $pin_file holds '$version'; expected a 3.x.y version matching @pulumi/pulumi's major line" >&2
  exit 2
fi

want_root=0
case "${1:-}" in
  --root) want_root=1 ;;
  "") ;;
  *) echo "pulumi-cli: unknown argument '$1' (use no argument or --root)" >&2; exit 2 ;;
esac

emit() { # $1 = binary path
  if [[ $want_root == 1 ]]; then dirname "$(dirname "$1")"; else echo "$1"; fi
}

version_of() { PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | tr -d '[:space:]' || true; }

# 1. A pulumi on PATH at the pinned version (only usable for --root if it sits in <root>/bin/).
if on_path="$(command -v pulumi 2>/dev/null)" && [[ "$(version_of "$on_path")" == "v$version" ]]; then
  if [[ $want_root == 0 || "$(basename "$(dirname "$on_path")")" == "bin" ]]; then
    emit "$on_path"
    exit 0
  fi
fi

cache="${STREAMSTACK_PULUMI_CACHE:-$repo/.cache/pulumi-cli}"
root="$cache/$version"
bin="$root/bin/pulumi"

# 2. Already built.
if [[ -x "$bin" && "$(version_of "$bin")" == "v$version" ]]; then
  emit "$bin"
  exit 0
fi

# 3. Build. One build at a time per cache folder (parallel test processes may all ask).
command -v go >/dev/null || { echo "pulumi-cli: no pulumi v$version on PATH and no 'go' to build it; install Go >= 1.26 or the Pulumi CLI v$version (https://www.pulumi.com/docs/install/)" >&2; exit 1; }
mkdir -p "$root"
exec 9>"$root/.build.lock"
flock 9
if [[ -x "$bin" && "$(version_of "$bin")" == "v$version" ]]; then emit "$bin"; exit 0; fi

src="$root/src"
rm -rf "$src"
mkdir -p "$src" "$root/bin"
# `go install .../cmd/pulumi@v` is refused (pkg/v3's go.mod has replace directives), so build from
# a wrapper module that carries the same replace. Without -X ...Version the CLI reports no
# version and the Automation API refuses it.
cat > "$src/go.mod" <<GOMOD
module pulumicli

go 1.26

require (
	github.com/pulumi/pulumi/pkg/v3 v$version
	github.com/pulumi/pulumi/sdk/v3 v$version
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
GOMOD
cat > "$src/tools.go" <<'GOTOOLS'
//go:build tools

package tools

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
GOTOOLS

echo "pulumi-cli: building Pulumi CLI v$version from the Go module proxy into $root (about 3 min cold, seconds warm)" >&2
start=$SECONDS
# Both go steps are silent for minutes: say every 20 s which one runs and how far the downloads got.
phase_file="$root/.build.phase"
echo "downloading modules" > "$phase_file"
modcache="$(go env GOMODCACHE)"
(
  while sleep 20; do
    echo "pulumi-cli: $(cat "$phase_file" 2>/dev/null) ... $((SECONDS - start)) s (module cache $(du -sh "$modcache" 2>/dev/null | cut -f1))" >&2
  done
) &
progress=$!
trap 'kill "$progress" 2>/dev/null || true' EXIT
(
  cd "$src"
  go mod tidy >&2
  echo "compiling (about 2 min cold)" > "$phase_file"
  go build -buildvcs=false -trimpath \
    -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$version" \
    -o "$bin.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi >&2
)
kill "$progress" 2>/dev/null || true
mv "$bin.tmp" "$bin"
got="$(version_of "$bin")"
if [[ "$got" != "v$version" ]]; then
  echo "pulumi-cli: built $bin but it reports '$got', expected v$version" >&2
  exit 1
fi
echo "pulumi-cli: built $bin in $((SECONDS - start)) s" >&2
emit "$bin"
