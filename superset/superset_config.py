# streamstack's Superset configuration. Loaded through SUPERSET_CONFIG_PATH (set in the
# Dockerfile; the tests point it here too). Every value comes from the environment or is a
# fixed, documented choice: no secret lives in this file. See docs/superset.md.
import os
import sys


def _required(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        # Superset would otherwise start with a well-known key (or refuse with a vaguer error).
        sys.exit(f"streamstack superset_config: {name} is not set; pass a long random value (Pulumi generates one)")
    return value


# Signs session cookies and encrypts database passwords in the metadata database: keep it stable
# across restarts, or stored ClickHouse passwords can no longer be decrypted.
SECRET_KEY = _required("SUPERSET_SECRET_KEY")

# Metadata database: SQLite on the volume mounted at SUPERSET_HOME (/app/superset_home in the
# image). SUPERSET__SQLALCHEMY_DATABASE_URI still overrides this (Superset applies it last).
DATA_DIR = os.environ.get("SUPERSET_HOME", "/app/superset_home")
SQLALCHEMY_DATABASE_URI = "sqlite:///" + os.path.join(DATA_DIR, "superset.db") + "?check_same_thread=false"

FEATURE_FLAGS = {
    # The datasets' SQL comes from sql/queries with Jinja for the time range and the product
    # filter ({{ from_dttm }}, filter_values('product_id')): templating must be on.
    "ENABLE_TEMPLATE_PROCESSING": True,
}

# Security: CSRF on for forms and the REST API (the importer sends X-CSRFToken), cookies not
# readable by scripts, refuse SQLite or other local-file "databases" as data sources.
WTF_CSRF_ENABLED = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = os.environ.get("SUPERSET_COOKIE_SECURE", "false").lower() == "true"
PREVENT_UNSAFE_DB_CONNECTIONS = True
# Only the admin account exists; nobody signs themselves up.
AUTH_USER_REGISTRATION = False
PUBLIC_ROLE_LIKE = None

# The dashboard refreshes every 10 s. In "fetch" mode (not the default "force") a refresh may
# be answered from the chart-data cache, so several viewers in the same 10 s window cost one
# ClickHouse query per chart, not one each. SimpleCache is per gunicorn worker: no Redis needed.
DASHBOARD_AUTO_REFRESH_MODE = "fetch"
DATA_CACHE_CONFIG = {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 10}

SUPERSET_WEBSERVER_TIMEOUT = 60
ROW_LIMIT = 10000

# Login rate limiting, on whatever SUPERSET_ENV says (Superset's own default turns Flask-Limiter on
# only when SUPERSET_ENV == "production": superset/config.py 6.1.0). Per client address, counted
# in each gunicorn worker's memory (no Redis here; the limiter's storage is stated so it does not
# warn). Behind Docker's port publishing every host-side client may share one address (the bridge
# gateway), so a flood of bad logins can lock the form for everyone for up to a minute.
RATELIMIT_ENABLED = True
RATELIMIT_STORAGE_URI = "memory://"
AUTH_RATE_LIMITED = True
# Sign-in attempts per client address (Flask-AppBuilder's default is "10 per 20 second",
# Superset's "5 per second": both allow hundreds of thousands of guesses a day).
AUTH_RATE_LIMIT = "10 per minute"


def _login_limits() -> type:
    """The security manager that applies AUTH_RATE_LIMIT where logins actually arrive."""
    from superset.security import SupersetSecurityManager  # imported late: Superset loads this file while starting

    class StreamstackSecurityManager(SupersetSecurityManager):
        def register_views(self) -> None:
            super().register_views()
            # Superset 6.1.0 applies AUTH_RATE_LIMIT to SupersetAuthView, whose /login/ route takes
            # GET only; the sign-in form POSTs to Flask-AppBuilder's AuthDBView (same /login/ URL),
            # which it leaves unlimited (superset/security/manager.py register_views). Limit that one.
            if self.is_auth_limited and getattr(self.auth_view, "blueprint", None) is not None:
                self.limiter.limit(self.auth_rate_limit, methods=["POST"])(self.auth_view.blueprint)
            # The REST login (/api/v1/security/login, what the stack's automation uses) is not
            # covered by AUTH_RATE_LIMIT at all. Only refused attempts (401) count there, so
            # deploys and checks that log in correctly never run into the limit.
            for view in self.appbuilder.baseviews:
                if isinstance(view, self.security_api) and getattr(view, "blueprint", None) is not None:
                    self.limiter.limit(self.auth_rate_limit, methods=["POST"], deduct_when=lambda response: response.status_code == 401)(view.blueprint)

    return StreamstackSecurityManager


CUSTOM_SECURITY_MANAGER = _login_limits()
