# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The catalog of W&B server settings and the environment variables that carry them.

One place that knows each setting's environment name in both spellings the server has used:
``classic`` (the names of the documentation's "Configuration as code" table: LICENSE, HOST, OIDC_ISSUER...)
and ``gorilla`` (the GORILLA_* names newer servers and the W&B operator use). Where a setting has only one
name, both spellings are the same. Secrets are flagged so every caller masks them.
"""
from __future__ import annotations

import base64 as _base64
import json as _json
import re
from urllib.parse import urlsplit as _urlsplit

from ansible_collections.wandb_local.server.plugins.module_utils._oidc import (
    auth_method_problems as _oidc_auth_method_problems,
    cognito_domain_problems as _oidc_cognito_domain_problems,
    cognito_method_problems as _oidc_cognito_method_problems,
    issuer_url_problems as _oidc_issuer_url_problems,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    bucket_url_problems as _bucket_url_problems,
    queue_url_problems as _queue_url_problems,
)

MASK = "********"

# canonical key: (classic env name, gorilla env name, secret?)
SETTINGS = {
    "license": ("LICENSE", "GORILLA_LICENSE", True),
    "host": ("HOST", "GORILLA_FRONTEND_HOST", False),
    "mysql": ("MYSQL", "MYSQL", True),
    "bucket": ("BUCKET", "BUCKET", False),
    "bucket_queue": ("BUCKET_QUEUE", "BUCKET_QUEUE", False),
    "notifications_queue": ("NOTIFICATIONS_QUEUE", "NOTIFICATIONS_QUEUE", False),
    "aws_region": ("AWS_REGION", "AWS_REGION", False),
    "aws_s3_kms_id": ("AWS_S3_KMS_ID", "AWS_S3_KMS_ID", False),
    "oidc_issuer": ("OIDC_ISSUER", "GORILLA_OIDC_ISSUER", False),
    "oidc_client_id": ("OIDC_CLIENT_ID", "GORILLA_OIDC_CLIENT_ID", False),
    "oidc_auth_method": ("OIDC_AUTH_METHOD", "GORILLA_AUTH_METHOD", False),
    "oidc_secret": ("OIDC_SECRET", "GORILLA_OIDC_SECRET", True),
    "slack_client_id": ("SLACK_CLIENT_ID", "GORILLA_SLACK_CLIENT_ID", False),
    "slack_secret": ("SLACK_SECRET", "GORILLA_SLACK_SECRET", True),
    "local_restore": ("LOCAL_RESTORE", "LOCAL_RESTORE", False),
    "redis": ("REDIS", "REDIS", True),
    "logging_enabled": ("LOGGING_ENABLED", "LOGGING_ENABLED", False),
    "azure_storage_account": ("AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_ACCOUNT", False),
    "azure_storage_key": ("AZURE_STORAGE_KEY", "AZURE_STORAGE_KEY", True),
    "session_length": ("SESSION_LENGTH", "GORILLA_SESSION_LENGTH", False),
    "admin_api_key": ("GLOBAL_ADMIN_API_KEY", "GLOBAL_ADMIN_API_KEY", True),
    "admin_api_key_access": (
        "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS",
        "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS",
        False,
    ),
}

# Integration role -> the settings (canonical keys) its fact <role>_server_settings may carry for the server. When
# the inventory enables an integration whose role did not run (a tagged run that left it out), the server's env file
# keeps these settings' variables, in both spellings, as they are (env_file's keep).
INTEGRATION_SETTINGS = {
    "storage": ("bucket", "bucket_queue", "aws_region", "aws_s3_kms_id", "azure_storage_account",
                "azure_storage_key"),
    "redis": ("redis",),
    "oidc": ("oidc_issuer", "oidc_client_id", "oidc_auth_method", "oidc_secret"),
    "slack": ("slack_client_id", "slack_secret"),
}

ENV_STYLES = ("classic", "gorilla")

# Names of other (user-supplied) variables whose values are secret: KEY, SECRET, PASSWORD, TOKEN... anywhere in
# the name (AWS_SECRET_ACCESS_KEY, MY_API_TOKEN, GORILLA_LDAP_BIND_PW).
_SECRET_NAME = re.compile(r"(KEY|SECRET|PASSWORD|PASSWD|PASS$|_PW$|TOKEN|LICENSE|CREDENTIAL|PRIVATE|MYSQL|REDIS|DSN)",
                          re.IGNORECASE)
# A URL with a user part (s3://KEY:SECRET@minio/bucket, mysql://u:p@db/w, smtp://u:p@mail:587): everything between
# "scheme://" and the last "@" may be a password, and a password may hold "/", ":" or "@".
_URL_WITH_USERINFO = re.compile(r"^\s*[A-Za-z][A-Za-z0-9+.-]*://[^\s]*@")
# A credential passed as a query parameter (redis://host:6379?password=..., ...&access_token=...).
_SECRET_QUERY = re.compile(r"[?&][^=&#]*(pass|secret|token|key|credential|auth)[^=&#]*=", re.IGNORECASE)
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def env_name(key, style="classic"):
    """Environment variable name of setting ``key`` in ``style``."""
    classic, gorilla, _secret = SETTINGS[key]
    return gorilla if style == "gorilla" else classic


def all_env_names(key):
    """Every name a server may know ``key`` under (to remove stale spellings)."""
    classic, gorilla, _secret = SETTINGS[key]
    return sorted({classic, gorilla})


def integration_env_names(integrations):
    """Every environment name (both spellings) of the settings the ``integrations`` own (INTEGRATION_SETTINGS);
    names of integrations without settings for the server (team_storage, front_door) are ignored."""
    return sorted(set(name for integration in integrations or ()
                      for key in INTEGRATION_SETTINGS.get(integration, ())
                      for name in all_env_names(key)))


def secret_env_names():
    """Environment names (both spellings) whose values are secret."""
    names = set()
    for classic, gorilla, secret in SETTINGS.values():
        if secret:
            names.update((classic, gorilla))
    return names


def _catalog_secret_flags():
    flags = {}
    for classic, gorilla, secret in SETTINGS.values():
        flags[classic] = flags[gorilla] = secret
    return flags


_CATALOG_SECRET = _catalog_secret_flags()


def is_secret_value(value):
    """Whether ``value`` carries a credential whatever its name: a URL with a user part or a credential in its
    query, or a PEM private key."""
    if value is None or isinstance(value, bool):
        return False
    text = str(value)
    if "://" in text and (_URL_WITH_USERINFO.match(text) or _SECRET_QUERY.search(text)):
        return True
    return "PRIVATE KEY-----" in text


def is_secret(name, value=None):
    """The one rule that says whether the environment variable ``name`` with ``value`` is a secret, used for the
    env file, its diff, the settings read back, status rows and the filters alike.

    A variable of the catalog is secret when the catalog says so (LICENSE, MYSQL, REDIS, OIDC_SECRET...); any other
    name when it looks like one (KEY, SECRET, PASSWORD, TOKEN... in the name). Any value with credentials in it
    (``s3://KEY:SECRET@minio:9000/bucket``) is secret whatever its name. Everything else stays visible, so a diff
    shows, for example, whether GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS is on.
    """
    name = str(name)
    flag = _CATALOG_SECRET.get(name)
    if flag or (flag is None and _SECRET_NAME.search(name)):
        return True
    return is_secret_value(value)


def is_secret_setting(key, value=None):
    """:func:`is_secret` for a setting of the catalog under its canonical key (``bucket``, ``oidc_secret``...)."""
    return bool(SETTINGS[key][2]) or is_secret_value(value)


def is_secret_env(name):
    """Whether ``name`` is secret by name alone (the value unknown): :func:`is_secret` without a value."""
    return is_secret(name)


def render_value(value):
    """Environment value of a setting: booleans as true/false, everything else as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_unset(value):
    """Unset settings are not passed to the server at all."""
    return value is None or value is False or (isinstance(value, str) and value.strip() == "")


def settings_to_env(settings, style="classic", extra_env=None):
    """Environment dict for ``settings`` (canonical key -> value) plus ``extra_env``.

    Unset values (None, "", False) are left out, so the server keeps its own defaults. ``extra_env``
    entries win over settings with the same environment name.
    """
    if style not in ENV_STYLES:
        raise ValueError("env style must be one of %s, got %r" % (", ".join(ENV_STYLES), style))
    env = {}
    for key, value in (settings or {}).items():
        if key not in SETTINGS:
            raise ValueError("unknown W&B setting %r; known settings: %s" % (key, ", ".join(sorted(SETTINGS))))
        if is_unset(value):
            continue
        env[env_name(key, style)] = render_value(value)
    for name, value in (extra_env or {}).items():
        if not _ENV_NAME.match(str(name)):
            raise ValueError("extra environment variable name %r is not a valid variable name" % (name,))
        if value is None:
            continue
        env[str(name)] = render_value(value)
    for name, value in env.items():
        if "\n" in value or "\r" in value:
            raise ValueError("environment variable %s contains a line break; the server's env file cannot carry it" % name)
    return env


def mask_env(env):
    """Copy of ``env`` with secret values replaced by a mask (for diffs, results and logs)."""
    return dict((name, MASK if is_secret(name, value) else value) for name, value in env.items())


# The user part of a URL inside a text (an error message, a log line): replaced by the mask, up to the URL's last
# "@" (a password may hold "/" or "@").
_USERINFO_IN_TEXT = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^\s'\"]*@")


def redactor(env):
    """A function that replaces, in a text, every value of ``env`` that :func:`is_secret` calls secret (longest
    first) and the user part of any URL: for error messages and log lines that may quote the environment."""
    secrets = sorted((v for k, v in (env or {}).items() if v and len(v) > 3 and is_secret(k, v)), key=len, reverse=True)

    def redact(text):
        text = str(text or "")
        for value in secrets:
            text = text.replace(value, MASK)
        return _USERINFO_IN_TEXT.sub(lambda m: m.group(1) + MASK + "@", text)
    return redact


def mask_settings(values):
    """Copy of ``values`` (canonical key -> value) with every secret set value replaced by a mask."""
    return dict((key, MASK if (value and is_secret_setting(key, value)) else value) for key, value in values.items())


# ---------------------------------------------------------------------------------------------------------
# Reading settings back, planning changes, and pre-flight checks (used by the settings/settings_info modules).
# ---------------------------------------------------------------------------------------------------------
OIDC_AUTH_METHODS = ("implicit", "pkce")
_JWS_PART = re.compile(r"^[A-Za-z0-9_-]+$")
_GO_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h))+$")


def settings_from_env(env):
    """Canonical settings found in ``env`` -> (values, names, conflicts).

    ``values`` maps each setting present to its value, ``names`` to the environment name it was read from (the
    GORILLA_ spelling wins when both are present), ``conflicts`` lists settings present under both spellings with
    different values.
    """
    values, names, conflicts = {}, {}, []
    for key, (classic, gorilla, _secret) in SETTINGS.items():
        found = [n for n in (gorilla, classic) if n in env]
        if not found:
            continue
        values[key] = env[found[0]]
        names[key] = found[0]
        if len(set(env[n] for n in found)) > 1:
            conflicts.append(key)
    return values, names, sorted(conflicts)


def env_changes(settings, style="classic"):
    """(set_vars, unset) environment changes that make ``settings`` true in ``style``.

    ``settings`` maps canonical keys to wanted values; ``None`` means "leave as is", an unset value ("", False)
    removes every spelling of the setting, any other value is written under the ``style`` name and the other
    spelling is removed.
    """
    if style not in ENV_STYLES:
        raise ValueError("env style must be one of %s, got %r" % (", ".join(ENV_STYLES), style))
    set_vars, unset = {}, set()
    for key, value in settings.items():
        if key not in SETTINGS:
            raise ValueError("unknown W&B setting %r; known settings: %s" % (key, ", ".join(sorted(SETTINGS))))
        if value is None:
            continue
        names = all_env_names(key)
        if is_unset(value):
            unset.update(names)
            continue
        rendered = render_value(value)
        if "\n" in rendered or "\r" in rendered:
            raise ValueError("setting %s contains a line break; the server's env file cannot carry it" % key)
        wanted = env_name(key, style)
        set_vars[wanted] = rendered
        unset.update(n for n in names if n != wanted)
    return set_vars, sorted(unset)


def _b64url_decode(part):
    return _base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def check_license(value):
    """Error message for a license that is not a compact JWS, else None."""
    parts = value.strip().split(".")
    if len(parts) != 3:
        return ("license: compact JWS format must have three parts (header.payload.signature, base64url, "
                "separated by dots); got %d part(s). Paste the whole license from W&B" % len(parts))
    for label, part in zip(("header", "payload", "signature"), parts):
        if not _JWS_PART.match(part):
            return "license: the %s part is empty or not base64url (A-Z a-z 0-9 - _)" % label
    try:
        header = _json.loads(_b64url_decode(parts[0]).decode("utf-8"))
    except (ValueError, TypeError, UnicodeDecodeError):
        return "license: the JWS header does not decode to JSON; the license is damaged"
    if not isinstance(header, dict) or "alg" not in header:
        return "license: the JWS header has no 'alg'; the license is damaged"
    return None


def check_host(value, subpath_allowed=False):
    """Error message for a HOST that is not an absolute http(s) origin (path only if allowed), else None."""
    try:
        url = _urlsplit(value)
        url.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        return "host: %r is not a valid URL (%s)" % (value, exc)
    if url.scheme not in ("http", "https") or not url.hostname:
        return "host: %r must be an absolute http:// or https:// URL such as https://wandb.example.com" % value
    if url.username or url.password or url.query or url.fragment:
        return "host: %r must not carry credentials, a query or a fragment" % value
    if url.path and not subpath_allowed:
        return ("host: %r has a path (%r); HOST is the origin the browser uses (scheme://name[:port]) without a "
                "trailing slash, or set host_subpath_allowed: true for a server under a sub-path" % (value, url.path))
    if url.path.endswith("/"):
        return "host: %r ends with '/'; remove the trailing slash" % value
    return None


def check_oidc(issuer, client_id, method, secret):
    """Error messages for an incomplete or malformed OIDC configuration (values after the change)."""
    errors = []
    if bool(issuer) != bool(client_id):
        errors.append("oidc: oidc_issuer and oidc_client_id go together; set both or remove both")
    if (method or secret) and not (issuer and client_id):
        errors.append("oidc: oidc_auth_method/oidc_secret need oidc_issuer and oidc_client_id")
    # The offline rules of the oidc role and the oidc_check module (_oidc): the issuer's URL shape, the method, a
    # Cognito domain is no issuer, a Cognito issuer needs pkce (an empty method is the server's default, implicit).
    errors.extend("oidc: oidc_auth_method: %s" % problem
                  for problem in _oidc_auth_method_problems(method, empty_allowed=True))
    if issuer:
        url_problems = _oidc_issuer_url_problems(issuer)
        errors.extend("oidc: oidc_issuer: %s" % problem for problem in url_problems)
        if not url_problems:
            errors.extend("oidc: oidc_issuer: %s" % problem for problem in _oidc_cognito_domain_problems(issuer))
            errors.extend("oidc: oidc_auth_method: %s" % problem
                          for problem in _oidc_cognito_method_problems(issuer, method))
    return errors


def check_storage(bucket, region, queue):
    """Error messages when bucket, region and bucket queue do not describe one provider, or a name inside the bucket
    or queue URL breaks its cloud's naming rules (the rules of ``_storage``, the same the storage role applies).

    Each message starts with ``storage: <setting>:`` (bucket, bucket_queue or aws_region) and never contains the
    bucket's value: an S3-compatible bucket carries credentials (s3://KEY:SECRET@host:port/bucket).
    """
    if not bucket:
        if queue:
            return ["storage: bucket_queue: it is set without a bucket; set bucket too or remove bucket_queue"]
        return []
    scheme = bucket.split("://", 1)[0].lower() if "://" in bucket else ""
    queue = queue or ""
    if scheme not in ("s3", "gs", "az"):
        return ["storage: bucket: it must start with s3://, gs:// or az://"]
    errors = ["storage: bucket: %s" % problem for problem in _bucket_url_problems(bucket)]
    if scheme == "s3":
        if not region:
            errors.append("storage: aws_region: an s3:// bucket needs aws_region")
        if queue and not (queue.startswith("sqs://") or queue.startswith("internal://")):
            errors.append("storage: bucket_queue: an s3:// bucket takes an sqs:// bucket_queue (or none)")
            queue = ""
    elif scheme == "gs":
        if region:
            errors.append("storage: aws_region: a gs:// bucket takes no aws_region; remove it")
        if not queue.startswith("pubsub:/"):
            errors.append("storage: bucket_queue: a gs:// bucket needs a pubsub:/<project>/<topic>/<subscription> "
                          "bucket_queue")
            queue = ""
    else:
        if region:
            errors.append("storage: aws_region: an az:// bucket takes no aws_region; remove it")
        if not queue.startswith("az://"):
            errors.append("storage: bucket_queue: an az:// bucket needs an az://<account>/<queue> bucket_queue")
            queue = ""
    if queue:
        errors.extend("storage: bucket_queue: %s" % problem for problem in _queue_url_problems(queue))
    return errors


def preflight(after, touched, host_subpath_allowed=False):
    """Every error in the settings ``after`` a change (canonical key -> value) for the groups ``touched``."""
    errors = []
    touched = set(touched)
    if "license" in touched and after.get("license"):
        errors.append(check_license(after["license"]))
    if "host" in touched and after.get("host"):
        errors.append(check_host(after["host"], host_subpath_allowed))
    if touched & {"oidc_issuer", "oidc_client_id", "oidc_auth_method", "oidc_secret"}:
        errors.extend(check_oidc(after.get("oidc_issuer"), after.get("oidc_client_id"),
                                 after.get("oidc_auth_method"), after.get("oidc_secret")))
    if touched & {"bucket", "aws_region", "bucket_queue"}:
        errors.extend(check_storage(after.get("bucket"), after.get("aws_region"), after.get("bucket_queue")))
    if "session_length" in touched and after.get("session_length") \
            and not _GO_DURATION.match(after["session_length"]):
        errors.append("session_length: %r is not a duration such as 720h or 30m" % after["session_length"])
    if "redis" in touched and after.get("redis") and not after["redis"].startswith(("redis://", "rediss://")):
        errors.append("redis: the connection string must start with redis:// (e.g. redis://:pass@host:6379?tls=true)")
    if "mysql" in touched and after.get("mysql") and not after["mysql"].startswith("mysql://"):
        errors.append("mysql: the connection string must start with mysql:// (mysql://user:pass@host/db)")
    return [e for e in errors if e]
