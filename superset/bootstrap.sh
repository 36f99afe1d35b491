#!/usr/bin/env bash
# Container start for streamstack's Superset, safe to run on every start:
#   1. superset db upgrade   (no-op when the metadata schema is current)
#   2. superset fab create-admin from the environment (an existing user: message, exit 0)
#   3. superset init         (roles and permissions; idempotent)
#   4. exec the server: the given command, or the image's gunicorn script.
# The image's own CMD (run-server.sh) runs only step 4 (FACTS.md, Superset).
set -euo pipefail

fail() { echo "streamstack bootstrap: $*" >&2; exit 64; }
[ -n "${SUPERSET_SECRET_KEY:-}" ] || fail "SUPERSET_SECRET_KEY is not set: pass a long random value"
[ -n "${SUPERSET_ADMIN_PASSWORD:-}" ] || fail "SUPERSET_ADMIN_PASSWORD is not set: pass the generated admin password"
admin_user="${SUPERSET_ADMIN_USER:-admin}"
admin_email="${SUPERSET_ADMIN_EMAIL:-${admin_user}@streamstack.invalid}"

echo "streamstack bootstrap: $(date -u +%H:%M:%S) superset db upgrade"
superset db upgrade

echo "streamstack bootstrap: $(date -u +%H:%M:%S) ensuring admin user ${admin_user}"
# create-admin prompts for anything not given, so all five are passed. It leaves an existing
# user as it is: changing SUPERSET_ADMIN_PASSWORD later does not change the stored password.
superset fab create-admin \
  --username "${admin_user}" \
  --firstname Superset \
  --lastname Admin \
  --email "${admin_email}" \
  --password "${SUPERSET_ADMIN_PASSWORD}"

echo "streamstack bootstrap: $(date -u +%H:%M:%S) superset init"
superset init

if [ "$#" -gt 0 ]; then
  exec "$@"
fi
exec /app/docker/entrypoints/run-server.sh
