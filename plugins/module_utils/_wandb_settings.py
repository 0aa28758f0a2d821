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
    aws_kms_key_problems as _aws_kms_key_problems,
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
    # ---- Advanced settings (docs/advanced_settings.md; names as W&B's Helm chart, operator and docs set them) ----
    # SMTP: smtp://[user:password@]host:port (the password makes it a secret) and the sender address.
    "email_sink": ("GORILLA_EMAIL_SINK", "GORILLA_EMAIL_SINK", True),
    "email_from_address": ("GORILLA_EMAIL_FROM_ADDRESS", "GORILLA_EMAIL_FROM_ADDRESS", False),
    # The server's own CORS allow-list, comma separated (the chart's extraCors).
    "cors_origins": ("GORILLA_CORS_ORIGINS", "GORILLA_CORS_ORIGINS", False),
    # SSO provisioning: the documentation's DISABLE_SSO_PROVISIONING, the operator's GORILLA_ name.
    "disable_sso_provisioning": ("DISABLE_SSO_PROVISIONING", "GORILLA_DISABLE_SSO_PROVISIONING", False),
    # Security flags (operator v2 security flags; wandb/docs advanced_env_vars).
    "disable_code_saving": ("GORILLA_DISABLE_CODE_SAVING", "GORILLA_DISABLE_CODE_SAVING", False),
    "allow_user_team_creation": ("GORILLA_ALLOW_USER_TEAM_CREATION", "GORILLA_ALLOW_USER_TEAM_CREATION", False),
    "allow_anonymous_public_projects": ("GORILLA_ALLOW_ANONYMOUS_PUBLIC_PROJECTS",
                                        "GORILLA_ALLOW_ANONYMOUS_PUBLIC_PROJECTS", False),
    "hide_upgrade_banner": ("GORILLA_ONPREM_HIDE_UPGRADE_BANNER", "GORILLA_ONPREM_HIDE_UPGRADE_BANNER", False),
    "disable_personal_entity": ("GORILLA_DISABLE_PERSONAL_ENTITY", "GORILLA_DISABLE_PERSONAL_ENTITY", False),
    "disable_admin_team_access": ("GORILLA_DISABLE_ADMIN_TEAM_ACCESS", "GORILLA_DISABLE_ADMIN_TEAM_ACCESS", False),
    # Data retention: a Go duration (24h; the operator writes 168h0m0s) and artifact garbage collection.
    "data_retention_period": ("GORILLA_DATA_RETENTION_PERIOD", "GORILLA_DATA_RETENTION_PERIOD", False),
    "artifact_gc_enabled": ("GORILLA_ARTIFACT_GC_ENABLED", "GORILLA_ARTIFACT_GC_ENABLED", False),
    # OIDC extras: scopes asked for besides openid/profile/email, teams from the token's groups claim, usernames
    # from preferred_username/name.
    "oidc_custom_scopes": ("GORILLA_OIDC_CUSTOM_SCOPES", "GORILLA_OIDC_CUSTOM_SCOPES", False),
    "sso_group_claims": ("GORILLA_ENABLE_SSO_GROUP_CLAIMS", "GORILLA_ENABLE_SSO_GROUP_CLAIMS", False),
    "use_identifier_claims": ("GORILLA_USE_IDENTIFIER_CLAIMS", "GORILLA_USE_IDENTIFIER_CLAIMS", False),
    # Outbound proxy of the server (operator v2 proxy). A proxy URL with credentials is masked by its value.
    "http_proxy": ("HTTP_PROXY", "HTTP_PROXY", False),
    "https_proxy": ("HTTPS_PROXY", "HTTPS_PROXY", False),
    "no_proxy": ("NO_PROXY", "NO_PROXY", False),
    # LDAP login (the chart's ldap.*; wandb/docs iam/authentication/ldap).
    "ldap_login": ("LOCAL_LDAP_LOGIN", "LOCAL_LDAP_LOGIN", False),
    "ldap_address": ("LOCAL_LDAP_ADDRESS", "LOCAL_LDAP_ADDRESS", False),
    "ldap_base_dn": ("LOCAL_LDAP_BASE_DN", "LOCAL_LDAP_BASE_DN", False),
    "ldap_bind_dn": ("LOCAL_LDAP_BIND_DN", "LOCAL_LDAP_BIND_DN", False),
    "ldap_bind_password": ("LOCAL_LDAP_BIND_PW", "LOCAL_LDAP_BIND_PW", True),
    "ldap_attributes": ("LOCAL_LDAP_ATTRIBUTES", "LOCAL_LDAP_ATTRIBUTES", False),
    "ldap_tls_enable": ("LOCAL_LDAP_TLS_ENABLE", "LOCAL_LDAP_TLS_ENABLE", False),
    "ldap_group_allow_list": ("LOCAL_LDAP_GROUP_ALLOW_LIST", "LOCAL_LDAP_GROUP_ALLOW_LIST", False),
    "ldap_group_sync": ("GORILLA_LDAP_GROUP_SYNC", "GORILLA_LDAP_GROUP_SYNC", False),
}

# The advanced settings above, in the order docs/advanced_settings.md lists them: each is the role variable
# wandb_server_<key> (the settings_problems filter names them so with its variable_prefix).
ADVANCED_SETTINGS = (
    "email_sink", "email_from_address", "cors_origins", "aws_s3_kms_id", "disable_sso_provisioning",
    "disable_code_saving", "allow_user_team_creation", "allow_anonymous_public_projects", "hide_upgrade_banner",
    "disable_personal_entity", "disable_admin_team_access", "data_retention_period", "artifact_gc_enabled",
    "oidc_custom_scopes", "sso_group_claims", "use_identifier_claims", "http_proxy", "https_proxy", "no_proxy",
    "ldap_login", "ldap_address", "ldap_base_dn", "ldap_bind_dn", "ldap_bind_password", "ldap_attributes",
    "ldap_tls_enable", "ldap_group_allow_list", "ldap_group_sync",
)

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
    """Environment value of a setting: booleans as true/false, a list comma separated (GORILLA_CORS_ORIGINS,
    NO_PROXY...), a mapping as comma separated name=value pairs (LOCAL_LDAP_ATTRIBUTES: email=mail,group=gidNumber),
    everything else as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return ",".join("%s=%s" % (name, render_value(item)) for name, item in value.items())
    if isinstance(value, (list, tuple)):
        return ",".join(render_value(item) for item in value)
    return str(value)


def is_unset(value):
    """Unset settings are not passed to the server at all: None, false, an empty text, list or mapping."""
    if isinstance(value, (list, tuple, dict)):
        return len(value) == 0
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


# ---- Advanced settings: each check returns problems starting with the setting's key, never a secret value ----------
SMTP_SCHEMES = ("smtp", "smtps")
LDAP_SCHEMES = ("ldap", "ldaps")
LDAP_ATTRIBUTE_KEYS = ("email", "group")
_EMAIL_ADDRESS = re.compile(r"^[^@\s<>(),;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")
# RFC 6749 scope-token (printable ASCII but space, '"' and '\'), without the comma the list is joined with.
_SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x2B\x2D-\x5B\x5D-\x7E]+$")
_CORS_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9._~-]+(:[0-9]{1,5})?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
_NO_PROXY_ITEM = re.compile(r"^(\*|\.?[A-Za-z0-9_.-]+(:[0-9]{1,5})?|[0-9.]+(/[0-9]{1,2})?|\[?[0-9A-Fa-f:]+\]?(/[0-9]{1,3})?)$")
_LDAP_ATTRIBUTE = re.compile(r"^([A-Za-z][A-Za-z0-9-]*|[0-9]+(\.[0-9]+)+)$")


def _items(value):
    """The items of a list setting given as a list or as the comma separated text the server reads."""
    if isinstance(value, (list, tuple)):
        return [str(item) for item in value]
    return str(value).split(",")


def _url_problems(key, value, schemes, what, credentials_allowed=True, default_port=None):
    """Problems of a URL setting (scheme among ``schemes``, a host, a valid port, no path, query or fragment).
    Never quotes the value (it may carry a password)."""
    text = str(value).strip()
    try:
        url = _urlsplit(text)
        port = url.port
    except ValueError:
        return ["%s: it is not a valid %s URL: the port must be a number between 1 and 65535, and special characters "
                "in a user name or password percent-encoded (%%40 for @, %%2F for /, %%3A for :, %%23 for #, %%3F "
                "for ?)" % (key, what)]
    if text != str(value) or any(c.isspace() for c in text):
        return ["%s: it must not contain spaces or line breaks" % key]
    if url.scheme.lower() not in schemes:
        return ["%s: it must start with %s" % (key, " or ".join("%s://" % scheme for scheme in schemes))]
    if not url.hostname:
        return ["%s: it names no host (%s://HOST%s)" % (key, schemes[0], ":PORT" if default_port is None else "[:PORT]")]
    problems = []
    if port is not None and not 1 <= port <= 65535 or port == 0:
        problems.append("%s: the port must be between 1 and 65535" % key)
    if url.path not in ("", "/") or url.query or url.fragment:
        problems.append("%s: it takes no path, query or fragment after HOST:PORT; percent-encode '/', '?' and '#' "
                        "in a user name or password (%%2F, %%3F, %%23)" % key)
    if (url.username or url.password) and not credentials_allowed:
        problems.append("%s: it must not carry a user name or password" % key)
    return problems


def check_email_sink(value):
    """Problems of GORILLA_EMAIL_SINK: smtp://[user:password@]host:port (W&B's documentation; the user and password
    are optional, and go together); smtps:// for a server that speaks TLS from the start. Never the value."""
    problems = _url_problems("email_sink", value, SMTP_SCHEMES, "SMTP", default_port=25)
    if problems:
        return problems
    url = _urlsplit(str(value).strip())
    if url.username and not url.password:
        problems.append("email_sink: it has a user name but no password (smtp://USER:PASSWORD@HOST:PORT), or remove "
                        "the user for a server without authentication")
    if url.password and not url.username:
        problems.append("email_sink: it has a password but no user name (smtp://USER:PASSWORD@HOST:PORT)")
    return problems


def check_email_from_address(value):
    if not _EMAIL_ADDRESS.match(str(value)):
        return ["email_from_address: %r is not an e-mail address such as wandb@example.com" % (value,)]
    return []


def check_cors_origins(value):
    problems = []
    for item in _items(value):
        if item in ("null", "*"):
            continue
        if not _CORS_ORIGIN.match(item):
            problems.append("cors_origins: %r is not an origin: scheme://host[:port] such as https://app.example.com "
                            "(no path, no trailing slash), https://*.example.com, null or *" % (item,))
    return problems


def check_aws_s3_kms_id(value):
    return ["aws_s3_kms_id: %s (got %r)" % (problem, value) for problem in _aws_kms_key_problems(str(value))]


def check_data_retention_period(value):
    if not _GO_DURATION.match(str(value)) or not re.search(r"[1-9]", str(value)):
        return ["data_retention_period: %r is not a positive duration such as 24h or 168h (hours, as W&B's "
                "documentation writes it)" % (value,)]
    return []


def check_oidc_custom_scopes(value):
    problems = []
    for item in _items(value):
        if not _SCOPE_TOKEN.match(item):
            problems.append("oidc_custom_scopes: %r is not one OAuth scope (no space, comma, quote or backslash); give "
                            "each scope as one list item, e.g. [groups, offline_access]" % (item,))
        elif item == "openid":
            problems.append("oidc_custom_scopes: openid is always asked for; list only the extra scopes")
    return problems


def check_proxy(key, value):
    return _url_problems(key, value, ("http", "https", "socks5"), "proxy")


def check_no_proxy(value):
    return ["no_proxy: %r is not a host name, .domain, IP address, CIDR range, host:port or *" % (item,)
            for item in _items(value) if not _NO_PROXY_ITEM.match(item)]


def dn_problems(key, value):
    """Problems of a distinguished name (RFC 4514: attribute=value pairs separated by commas, '\\' escapes)."""
    text = str(value)
    if text.strip() != text or not text:
        return ["%s: %r must not start or end with a space" % (key, value)]
    rdns, current, escaped = [], "", False
    for char in text:
        if escaped:
            current += char
            escaped = False
        elif char == "\\":
            current += char
            escaped = True
        elif char in ",;":
            rdns.append(current)
            current = ""
        else:
            current += char
    rdns.append(current)
    for rdn in rdns:
        for part in rdn.split("+"):
            name, sep, val = part.partition("=")
            if not sep or not _LDAP_ATTRIBUTE.match(name.strip()) or not val.strip():
                return ["%s: %r is not a distinguished name such as dc=example,dc=com (attribute=value pairs "
                        "separated by commas; escape ',' '+' '=' inside a value with a backslash)" % (key, value)]
    return []


def check_ldap_address(value):
    return _url_problems("ldap_address", value, LDAP_SCHEMES, "LDAP", credentials_allowed=False, default_port=389)


def check_ldap_attributes(value):
    if isinstance(value, dict):
        pairs = [(str(k), str(v)) for k, v in value.items()]
    else:
        pairs = [item.partition("=")[::2] for item in _items(value)]
    problems = []
    for name, attribute in pairs:
        if name not in LDAP_ATTRIBUTE_KEYS:
            problems.append("ldap_attributes: %r is not one of %s (the e-mail and group-id attribute names, e.g. "
                            "{email: mail, group: gidNumber})" % (name, ", ".join(LDAP_ATTRIBUTE_KEYS)))
        elif not _LDAP_ATTRIBUTE.match(attribute):
            problems.append("ldap_attributes: %s: %r is not an LDAP attribute name such as mail or gidNumber"
                            % (name, attribute))
    if not problems and "email" not in [name for name, _attribute in pairs]:
        problems.append("ldap_attributes: it needs the e-mail attribute (email: mail), and optionally group")
    return problems


def check_ldap_group_allow_list(value):
    """The server reads LOCAL_LDAP_GROUP_ALLOW_LIST comma separated: an item with a comma (a group's DN, as memberOf
    gives it) would become several groups."""
    return ["ldap_group_allow_list: %r: a group must not be empty nor contain a comma (the server splits the list at "
            "commas, so a DN cannot be listed: use a group attribute without commas, e.g. gidNumber)" % (item,)
            for item in _items(value) if not item.strip() or "," in item]


def check_ldap(after):
    """The LDAP settings together (values after the change): an address and a base DN for login, the bind DN and
    password together (else an anonymous bind), the attributes for login."""
    problems = []
    if after.get("ldap_login") and not after.get("ldap_address"):
        problems.append("ldap_login: LDAP login needs ldap_address (ldap://HOST:389 or ldaps://HOST:636) and "
                        "ldap_base_dn")
    if after.get("ldap_login") and not after.get("ldap_attributes"):
        problems.append("ldap_attributes: LDAP login needs the attribute names (ldap_attributes {email: mail, group: "
                        "gidNumber})")
    if after.get("ldap_address") and not after.get("ldap_base_dn"):
        problems.append("ldap_base_dn: ldap_address is set: give the base DN searches start from, e.g. "
                        "dc=example,dc=com")
    configured = any(after.get(key) for key in ("ldap_address", "ldap_login"))
    for key in ("ldap_base_dn", "ldap_bind_dn", "ldap_bind_password", "ldap_tls_enable", "ldap_group_allow_list"):
        if after.get(key) and not configured:
            problems.append("%s: it is set without ldap_address; set ldap_address too or remove it" % key)
    if bool(after.get("ldap_bind_dn")) != bool(after.get("ldap_bind_password")):
        problems.append("ldap_bind_dn and ldap_bind_password go together: set both (a bind as that DN) or neither "
                        "(an anonymous bind)")
    return problems


ADVANCED_CHECKS = {
    "email_sink": check_email_sink,
    "email_from_address": check_email_from_address,
    "cors_origins": check_cors_origins,
    "aws_s3_kms_id": check_aws_s3_kms_id,
    "data_retention_period": check_data_retention_period,
    "oidc_custom_scopes": check_oidc_custom_scopes,
    "http_proxy": lambda value: check_proxy("http_proxy", value),
    "https_proxy": lambda value: check_proxy("https_proxy", value),
    "no_proxy": check_no_proxy,
    "ldap_address": check_ldap_address,
    "ldap_base_dn": lambda value: dn_problems("ldap_base_dn", value),
    "ldap_bind_dn": lambda value: dn_problems("ldap_bind_dn", value),
    "ldap_attributes": check_ldap_attributes,
    "ldap_group_allow_list": check_ldap_group_allow_list,
}
_LDAP_KEYS = frozenset(key for key in SETTINGS if key.startswith("ldap_"))


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
    for key, check in ADVANCED_CHECKS.items():
        if key in touched and not is_unset(after.get(key)):
            errors.extend(check(after[key]))
    if touched & _LDAP_KEYS:
        errors.extend(check_ldap(dict((key, None if is_unset(after.get(key)) else after[key]) for key in _LDAP_KEYS)))
    return [e for e in errors if e]
