#!/usr/bin/env bash
# `npm run up`: stands the whole stack up with Pulumi (scripts/pulumi.sh: local state, generated
# passphrase, the dev stack). Settings are checked first (infra/preflight.ts, the program's own
# validation), then Docker when the settings need containers. Extra arguments go to `pulumi up`
# (e.g. npm run up -- --diff).
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
stack="${STREAMSTACK_STACK:-dev}"
pulumi_sh=(bash "$repo/scripts/pulumi.sh")

die() { echo "streamstack: $*" >&2; exit 1; }

# The program validates its settings again when it runs; this only fails earlier, before Docker,
# and tells whether containers are needed (prints "docker" or "no-docker").
config_json="$("${pulumi_sh[@]}" config --json)"
need="$(printf '%s' "$config_json" | node --import tsx infra/preflight.ts "$stack")" || exit 1
# `pulumi up` runs infra/index.ts through Pulumi's Node.js language host, which Pulumi's installer
# puts next to the CLI. A CLI built from Go modules (scripts/pulumi-cli.sh, for the tests) has none.
# (scripts/pulumi.sh already found a CLI: on PATH, or the pinned build in .cache/.)
pin="$(tr -d '[:space:]' < "$repo/scripts/pulumi-version.txt")"
# Pulumi looks next to its own executable with symlinks resolved (workspace/plugins.go), so do we.
cli="$(readlink -f "$(command -v pulumi || echo "$repo/.cache/pulumi-cli/$pin/bin/pulumi")")"
if ! command -v pulumi-language-nodejs >/dev/null 2>&1 && [[ ! -x "$(dirname "$cli")/pulumi-language-nodejs" ]]; then
  die "the Pulumi CLI at $cli has no Node.js language host (pulumi-language-nodejs) beside it or on PATH, so it cannot run the program.
Pulumi's installer bundles it: curl -fsSL https://get.pulumi.com | sh -s -- --version $pin
(a CLI built from Go modules with scripts/pulumi-cli.sh serves the tests, not npm run up)"
fi

if [[ "$need" == "docker" ]]; then
  command -v docker >/dev/null 2>&1 || die "docker is not on PATH: install Docker Engine or Docker Desktop"
  docker info >/dev/null 2>&1 || die "cannot reach the Docker daemon (docker info failed): start Docker, or check DOCKER_HOST and your permissions"
fi

"${pulumi_sh[@]}" up --yes --stack "$stack" "$@"

output() { "${pulumi_sh[@]}" stack output "$1" 2>/dev/null || echo "$2"; }
cat >&2 <<MSG

streamstack is up. Open:
  Grafana    $(output grafanaUrl "(disabled)")   user $(output grafanaAdminUser -)
  Superset   $(output supersetDashboardUrl "(disabled)")   user $(output supersetAdminUser -)
  ClickHouse $(output clickhouseUrl -)   user $(output clickhouseAdminUser -)
Passwords:   npm run stack -- output --show-secrets
Settings:    npm run config
Tear down:   npm run down
MSG
