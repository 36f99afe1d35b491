#!/usr/bin/env bash
# `npm run down`: destroys the stack made by `npm run up` (containers, network, built images, and
# the data volumes unless streamstack:keepDataOnDestroy is true). Extra arguments go to
# `pulumi destroy`. The stack's config and state stay in .pulumi-state/ for the next `up`.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
stack="${STREAMSTACK_STACK:-dev}"
[[ -s "$repo/.pulumi-state/passphrase" ]] || { echo "streamstack: no .pulumi-state/passphrase: nothing was deployed from this checkout" >&2; exit 1; }
exec bash "$repo/scripts/pulumi.sh" destroy --yes --stack "$stack" "$@"
