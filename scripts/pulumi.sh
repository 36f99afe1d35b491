#!/usr/bin/env bash
# Runs any Pulumi command for this checkout's stack, with no Pulumi Cloud: state in .pulumi-state/
# (git-ignored), its secrets encrypted with a passphrase generated on first run into
# .pulumi-state/passphrase (git-ignored, mode 600; back it up to keep access to the stack's
# secrets). The npm scripts are thin names for it:
#   npm run pulumi -- <command>    pulumi <command>          (any Pulumi command)
#   npm run stack -- <args>        pulumi stack <args>       (npm run stack -- output --show-secrets)
#   npm run config -- <args>       pulumi config <args>      (npm run config -- set grafanaPort 3300)
#   npm run up / npm run down      scripts/up.sh / scripts/down.sh, through this script
# Env: STREAMSTACK_STACK (default dev).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
stack="${STREAMSTACK_STACK:-dev}"
state_dir="$repo/.pulumi-state"
passphrase_file="$state_dir/passphrase"
pin="$(tr -d '[:space:]' < "$repo/scripts/pulumi-version.txt")"

die() { echo "streamstack: $*" >&2; exit 1; }

# The Pulumi CLI: the one on PATH, else the pinned build scripts/pulumi-cli.sh left in .cache/.
if ! command -v pulumi >/dev/null 2>&1; then
  built="$repo/.cache/pulumi-cli/$pin/bin/pulumi"
  [[ -x "$built" ]] || die "the Pulumi CLI is not on PATH. Install the pinned version $pin with Pulumi's installer
(it bundles the Node.js language host that npm run up needs):
  curl -fsSL https://get.pulumi.com | sh -s -- --version $pin    # then: export PATH=\"\$HOME/.pulumi/bin:\$PATH\"
With Go >= 1.26 and no installer, bash scripts/pulumi-cli.sh builds the same CLI from Go modules
(about 3 minutes): enough for npm test and npm run stack / config, not for npm run up."
  PATH="$(dirname "$built"):$PATH"
fi
command -v node >/dev/null 2>&1 || die "Node.js is not on PATH: install Node 22 LTS (20 works, with an npm engine warning)"
[[ -d node_modules/@pulumi/pulumi && -d node_modules/tsx ]] || {
  echo "streamstack: installing npm dependencies (npm ci)" >&2
  # To stderr: this script's stdout is the Pulumi command's (up.sh parses `config --json`).
  npm ci --no-audit --no-fund >&2
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
exec pulumi "$@"
