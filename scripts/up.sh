#!/usr/bin/env bash
# `npm run up`: stands the whole stack up on this machine's Docker with Pulumi, no Pulumi Cloud:
# state in .pulumi-state/ (git-ignored), its secrets encrypted with a passphrase generated on
# first run into .pulumi-state/passphrase (git-ignored, mode 600; back it up to keep access to
# the stack's secrets). Extra arguments go to `pulumi up` (e.g. --diff).
#   bash scripts/up.sh [pulumi up args]     deploy or update the stack
#   bash scripts/up.sh pulumi <args>        any pulumi command in the same setup (npm run stack -- …)
# Env: STREAMSTACK_STACK (default dev).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
stack="${STREAMSTACK_STACK:-dev}"
state_dir="$repo/.pulumi-state"
passphrase_file="$state_dir/passphrase"

die() { echo "streamstack: $*" >&2; exit 1; }

command -v pulumi >/dev/null 2>&1 || die "the Pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/iac/download-install/) and run again"
command -v node >/dev/null 2>&1 || die "Node.js is not on PATH: install Node 20 or newer"
[[ -d node_modules/@pulumi/pulumi && -d node_modules/tsx ]] || {
  echo "streamstack: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund
}

mkdir -p "$state_dir"
chmod 700 "$state_dir"
if [[ ! -s "$passphrase_file" ]]; then
  (umask 077 && node -e 'process.stdout.write(require("node:crypto").randomBytes(32).toString("base64url"))' > "$passphrase_file")
  echo "streamstack: generated a state passphrase in $passphrase_file (keep it: it decrypts this stack's secrets)" >&2
fi

export PULUMI_BACKEND_URL="file://$state_dir"
export PULUMI_CONFIG_PASSPHRASE_FILE="$passphrase_file"
unset PULUMI_CONFIG_PASSPHRASE
export PULUMI_SKIP_UPDATE_CHECK=true

pulumi stack select --create --secrets-provider passphrase "$stack" >/dev/null

if [[ "${1:-}" == "pulumi" ]]; then
  shift
  exec pulumi "$@"
fi

command -v docker >/dev/null 2>&1 || die "docker is not on PATH: install Docker Engine or Docker Desktop"
docker info >/dev/null 2>&1 || die "cannot reach the Docker daemon (docker info failed): start Docker, or check DOCKER_HOST and your permissions"

pulumi up --yes --stack "$stack" "$@"

cat >&2 <<MSG

streamstack is up. Open:
  Grafana   $(pulumi stack output grafanaUrl 2>/dev/null || echo "(disabled)")   user $(pulumi stack output grafanaAdminUser 2>/dev/null || echo -)
  Superset  $(pulumi stack output supersetUrl 2>/dev/null || echo "(disabled)")   user $(pulumi stack output supersetAdminUser 2>/dev/null || echo -)
Passwords:  npm run stack -- output --show-secrets
Tear down:  npm run down
MSG
