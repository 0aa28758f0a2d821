# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""OpenID Connect pre-flight for the W&B server: read the provider's discovery document and check that the
W&B server will be able to sign users in with it, before anything is changed.

The W&B server needs (documentation, "SSO & Authentication"): the discovery document at
``$OIDC_ISSUER/.well-known/openid-configuration`` with the same ``issuer``; the implicit grant with the
``form_post`` response mode (method ``implicit``, the default) or the authorization code grant with PKCE
(method ``pkce``); the scopes ``openid``, ``profile`` and ``email``. AWS Cognito needs ``pkce``, and its
issuer is ``https://cognito-idp.$REGION.amazonaws.com/$USER_POOL_ID``, never the "Cognito domain".
"""
from __future__ import annotations

import json
import re

from urllib.parse import urlsplit

AUTH_METHODS = ("implicit", "pkce")
REQUIRED_SCOPES = ("openid", "profile", "email")
DISCOVERY_PATH = "/.well-known/openid-configuration"

_COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/([A-Za-z0-9-]+_[A-Za-z0-9]+)/?$")
_COGNITO_DOMAIN = re.compile(r"^([a-z0-9-]+\.)+auth\.([a-z0-9-]+)\.amazoncognito\.com$", re.IGNORECASE)


class OIDCError(Exception):
    """A failure with a message that says what to fix."""


def discovery_url(issuer):
    """Where the discovery document of ``issuer`` lives (OpenID Connect Discovery 1.0, section 4)."""
    return str(issuer).rstrip("/") + DISCOVERY_PATH


def cognito_issuer(issuer):
    """(region, user pool id) when ``issuer`` is a Cognito user pool issuer, else None."""
    match = _COGNITO_ISSUER.match(str(issuer or ""))
    return (match.group(1), match.group(2)) if match else None


# --- The offline rules: one function per rule, called by the oidc role's preflight (oidc_problems filter), by the
# --- wandb_server role's preflight and the settings module (check_oidc), and by the oidc_check module.
def _server_method(auth_method):
    """The grant the server uses: an empty method is the server's default, implicit."""
    return auth_method or "implicit"


def issuer_url_problems(issuer):
    """The issuer must be an absolute http(s) URL without query or fragment (the server appends the discovery path)."""
    try:
        parts = urlsplit(str(issuer or ""))
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        return ["the issuer %r is not an absolute http(s) URL; use the issuer URL of your identity provider, "
                "e.g. https://cognito-idp.us-east-1.amazonaws.com/us-east-1_uiIFNdacd" % (issuer,)]
    if parts.query or parts.fragment:
        return ["the issuer %r must not contain a query or fragment (the server reads "
                "<issuer>%s)" % (issuer, DISCOVERY_PATH)]
    return []


def auth_method_problems(auth_method, empty_allowed=False):
    """The auth method must be implicit or pkce (or empty, the server's default implicit, where `empty_allowed`)."""
    if auth_method in AUTH_METHODS or (empty_allowed and not auth_method):
        return []
    allowed = " or ".join(AUTH_METHODS)
    if empty_allowed:
        allowed = "empty (the server's default, implicit), implicit or pkce"
    return ["auth method %r is not allowed: it must be %s" % (auth_method, allowed)]


def cognito_domain_problems(issuer):
    """A "Cognito domain" (https://<prefix>.auth.<region>.amazoncognito.com) is not an issuer."""
    try:
        hostname = urlsplit(str(issuer or "")).hostname or ""
    except ValueError:
        return []
    domain = _COGNITO_DOMAIN.match(hostname)
    if not domain:
        return []
    return ["%s is a Cognito domain, not an issuer: do not use the \"Cognito domain\" for the IDP url. Cognito "
            "provides its discovery document at https://cognito-idp.$REGION.amazonaws.com/$USER_POOL_ID, so use "
            "https://cognito-idp.%s.amazonaws.com/<your user pool id> (User Pools > App Integration)"
            % (issuer, domain.group(2))]


def cognito_method_problems(issuer, auth_method):
    """A Cognito user pool issuer needs pkce (Cognito has no implicit grant with form_post); an empty method is the
    server's default, implicit."""
    if cognito_issuer(issuer) and _server_method(auth_method) == "implicit":
        return ["for AWS Cognito providers you must set the auth method to \"pkce\": %s is a Cognito user pool issuer "
                "and the method is implicit" % (issuer,)]
    return []


def issuer_problems(issuer, auth_method, empty_method_allowed=False):
    """Every problem visible from the issuer and the auth method alone (no network needed)."""
    problems = issuer_url_problems(issuer)
    if problems and "not an absolute" in problems[0]:
        return problems
    problems += auth_method_problems(auth_method, empty_method_allowed)
    problems += cognito_domain_problems(issuer)
    problems += cognito_method_problems(issuer, auth_method)
    return problems


def parse_document(text):
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise OIDCError("the discovery document is not JSON (%s): is the issuer URL right?" % exc)
    if not isinstance(doc, dict):
        raise OIDCError("the discovery document is not a JSON object: is the issuer URL right?")
    return doc


def _listed(doc, key):
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def document_problems(doc, issuer, auth_method, required_scopes=REQUIRED_SCOPES, assume_pkce=False):
    """Problems with the discovery document ``doc`` for the W&B server with ``auth_method``."""
    problems = []
    published = doc.get("issuer")
    if published != issuer:
        hint = ""
        if isinstance(published, str) and published.rstrip("/") == str(issuer).rstrip("/"):
            hint = " (they differ only in the trailing slash, which matters: the issuer must match exactly)"
        problems.append("the provider's discovery document says its issuer is %r, not %r%s: set the issuer to "
                        "exactly the provider's value" % (published, issuer, hint))
    for key in ("authorization_endpoint", "jwks_uri"):
        if not isinstance(doc.get(key), str) or not doc.get(key):
            problems.append("the discovery document has no %s" % key)
    response_types = _listed(doc, "response_types_supported") or []
    response_modes = _listed(doc, "response_modes_supported")
    if auth_method == "implicit":
        if "id_token" not in response_types:
            problems.append("auth method implicit needs response type id_token, but the provider offers only %s; "
                            "allow the implicit grant for the client at the provider or use auth method pkce"
                            % (", ".join(response_types) or "none"))
        if response_modes is not None and "form_post" not in response_modes:
            problems.append("auth method implicit needs response mode form_post, but the provider offers only %s; "
                            "use auth method pkce" % (", ".join(response_modes) or "none"))
    elif auth_method == "pkce":
        if "code" not in response_types:
            problems.append("auth method pkce needs response type code (authorization code grant), but the "
                            "provider offers only %s" % (", ".join(response_types) or "none"))
        methods = _listed(doc, "code_challenge_methods_supported")
        if methods is None:
            if not (assume_pkce or cognito_issuer(issuer)):
                problems.append("auth method pkce needs PKCE with S256, but the provider does not publish "
                                "code_challenge_methods_supported (RFC 8414: no PKCE); enable PKCE at the provider, "
                                "or set assume_pkce if you know it supports S256 without publishing it")
        elif "S256" not in methods:
            problems.append("auth method pkce needs PKCE code challenge method S256, but the provider offers only %s"
                            % (", ".join(methods) or "none"))
    scopes = _listed(doc, "scopes_supported")
    if scopes is not None:
        missing = [s for s in required_scopes if s not in scopes]
        if missing:
            problems.append("the provider does not support the scope(s) %s that W&B requests (it supports %s); "
                            "allow openid, profile and email for the client" % (", ".join(missing), ", ".join(scopes)))
    return problems


def host_problems(hosts):
    problems = []
    for host in hosts or []:
        try:
            parts = urlsplit(str(host))
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
            problems.append("host %r is not an absolute http(s) URL such as https://wandb.example.com" % (host,))
        elif parts.query or parts.fragment:
            problems.append("host %r must not contain a query or fragment" % (host,))
    return problems


def registration_urls(hosts):
    """Callback and logout URLs to register at the identity provider for each W&B host."""
    callbacks, logouts = [], []
    for host in hosts or []:
        base = str(host).rstrip("/")
        callbacks.append(base + "/oidc/callback")
        logouts.extend([base, base + "/logout"])
    return callbacks, logouts


DOCUMENT_KEYS = (
    "issuer", "authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint", "end_session_endpoint",
    "response_types_supported", "response_modes_supported", "code_challenge_methods_supported", "scopes_supported",
)


def summarize(doc):
    return dict((key, doc[key]) for key in DOCUMENT_KEYS if key in doc)
