#!/usr/bin/env bash
# Container start for streamstack's Superset, safe to run on every start:
#   1. superset db upgrade   (no-op when the metadata schema is current)
#   2. the admin user from the environment, as `fab create-admin` would make it but with the
#      password kept out of argv (an existing user: message, exit 0)
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
# What `superset fab create-admin` does (flask_appbuilder/cli.py, Flask-AppBuilder 5.3.0), but the
# password comes from the environment: create-admin takes it only as --password, which any user
# on the host could read in the process list, or from an interactive prompt. An existing user is
# left as it is, so changing SUPERSET_ADMIN_PASSWORD later does not change the stored password.
# The script is read from stdin (quoted heredoc: bash expands nothing in it).
SUPERSET_ADMIN_USER="${admin_user}" SUPERSET_ADMIN_EMAIL="${admin_email}" python - <<'PY'
import os
import sys

from superset.app import create_app

username = os.environ["SUPERSET_ADMIN_USER"]
email = os.environ["SUPERSET_ADMIN_EMAIL"]
app = create_app()
with app.app_context():
    sm = app.appbuilder.sm
    if sm.find_user(username=username) or sm.find_user(email=email):
        print(f"streamstack bootstrap: admin user {username} exists; left as it is")
        sys.exit(0)
    user = sm.add_user(username, "Superset", "Admin", email, sm.find_role(sm.auth_role_admin), password=os.environ["SUPERSET_ADMIN_PASSWORD"])
    if not user:
        sys.exit(f"streamstack bootstrap: could not create admin user {username} (see the log above)")
    print(f"streamstack bootstrap: admin user {username} created")
PY

echo "streamstack bootstrap: $(date -u +%H:%M:%S) superset init"
superset init

if [ "$#" -gt 0 ]; then
  exec "$@"
fi
exec /app/docker/entrypoints/run-server.sh
