# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read-only checks of an integration the server will use, as functions: the Redis PING (redis_check) and the
OpenID provider's discovery document (oidc_check).

Each module runs one of them; server_state runs those site.yml hands it (its `checks` option) in its own run, before
it reads anything of the server, so that a no-change run checks every integration in one module run. Each returns
(result, error): the module's result, and the message it fails with (None when the check passed).
"""
from __future__ import annotations

import socket
import ssl
from urllib.error import HTTPError, URLError

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import Request

from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import (
    CAError,
    ca_certificates_argument_spec,
    describe_tls_failure,
    ssl_context,
)
from ansible_collections.wandb_local.server.plugins.module_utils._oidc import (
    OIDCError,
    discovery_url as default_discovery_url,
    document_problems,
    host_problems,
    issuer_problems,
    parse_document,
    registration_urls,
    summarize,
)
from ansible_collections.wandb_local.server.plugins.module_utils._redis import (
    RedisClient,
    RedisError,
    parse_redis_url,
)


# ---- Redis: AUTH, SELECT, PING with the credentials and TLS the server will use ------------------------------------
def redis_ping_spec():
    """redis_check's options (also server_state's checks.redis)."""
    return dict(
        url=dict(type="str", no_log=True),
        host=dict(type="str"),
        port=dict(type="int"),
        user=dict(type="str"),
        password=dict(type="str", no_log=True),
        tls=dict(type="bool", default=False),
        db=dict(type="int", default=0),
        ca_file=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
        server_name=dict(type="str"),
        timeout=dict(type="float", default=5.0),
        **ca_certificates_argument_spec()
    )


REDIS_REQUIRED_ONE_OF = [("url", "host")]


def redis_ping(params, no_log_values):
    """(result, error) of a PING as redis_check does it; a password found in the URL is added to ``no_log_values``."""
    params = dict(params)
    if params["url"]:
        try:
            target = parse_redis_url(params["url"])
        except ValueError as exc:
            return dict(changed=False), "url: %s" % exc
        # explicit credentials win over missing ones in the URL
        if target["user"] is None and params["user"]:
            target["user"] = params["user"]
        if target["password"] is None and params["password"]:
            target["password"] = params["password"]
        if params["tls"]:
            target["tls"] = True
        if not target["db"]:
            target["db"] = params["db"]
        if params["host"] and params["host"] != target["host"]:
            if not params["server_name"]:
                params["server_name"] = target["host"]
            target["host"] = params["host"]
        if params["port"]:
            target["port"] = params["port"]
    else:
        target = dict(host=params["host"], port=params["port"] or 6379, user=params["user"],
                      password=params["password"], tls=params["tls"], db=params["db"])
    if target["password"]:
        no_log_values.add(target["password"])
    result = dict(changed=False, host=target["host"], port=target["port"], tls=target["tls"], user=target["user"],
                  authenticated=bool(target["password"]), pong=False, redis_version=None)
    if params["ca_file"] and not target["tls"]:
        return result, "ca_file is set but TLS is off: set tls=true (or tls=true in the URL) to use the CA"
    # ca_certificates without TLS is fine: the roles pass the server's custom CAs to every check.
    client = RedisClient(target["host"], target["port"], tls=target["tls"], ca_file=params["ca_file"],
                         validate_certs=params["validate_certs"], timeout=params["timeout"],
                         server_name=params["server_name"], ca_certificates=params["ca_certificates"])
    try:
        with client:
            if target["password"] or target["user"]:
                client.auth(target["user"], target["password"])
            if target["db"]:
                client.select(target["db"])
            client.ping()
            result["pong"] = True
            result["redis_version"] = client.info_server().get("redis_version")
    except RedisError as exc:
        return result, str(exc)
    return result, None


# ---- OpenID Connect: the provider's discovery document -------------------------------------------------------------
def oidc_discovery_spec():
    """oidc_check's options (also server_state's checks.oidc)."""
    return dict(
        issuer=dict(type="str", required=True),
        auth_method=dict(type="str", choices=["implicit", "pkce"], default="implicit"),
        hosts=dict(type="list", elements="str", default=[]),
        required_scopes=dict(type="list", elements="str", default=["openid", "profile", "email"]),
        assume_pkce=dict(type="bool", default=False),
        discovery_url=dict(type="str"),
        ca_bundle=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="int", default=10),
        **ca_certificates_argument_spec()
    )


def fetch(url, ca_bundle, validate_certs, timeout, ca_certificates=None):
    try:
        context = ssl_context(ca_bundle, ca_certificates, validate_certs)
        response = Request().open("GET", url, headers={"Accept": "application/json"}, validate_certs=validate_certs,
                                  ca_path=ca_bundle, timeout=timeout, follow_redirects="safe", context=context)
        return to_text(response.read(), errors="surrogate_or_strict")
    except CAError as exc:
        raise OIDCError(str(exc))
    except HTTPError as exc:
        raise OIDCError("the provider answered HTTP %s for %s: the discovery document must be at "
                        "$issuer/.well-known/openid-configuration; check the issuer URL" % (exc.code, url))
    except URLError as exc:
        reason = exc.reason
        tls = describe_tls_failure(exc, "the identity provider at %s" % url)
        if tls:
            raise OIDCError(tls + (" (or give its CA with ca_bundle)" if not ca_bundle else ""))
        raise OIDCError("cannot reach the provider at %s: %s; check the issuer URL and that this host can reach it"
                        % (url, reason))
    except (socket.timeout, TimeoutError):
        raise OIDCError("the provider at %s did not answer within %ss" % (url, timeout))
    except ssl.SSLError as exc:
        tls = describe_tls_failure(exc, "the identity provider at %s" % url)
        raise OIDCError(tls or "TLS with the provider at %s failed: %s; check that it speaks TLS on that port"
                        % (url, exc))
    except (OSError, ValueError) as exc:
        raise OIDCError("cannot read the discovery document at %s: %s" % (url, exc))


def oidc_discovery(params):
    """(result, error) of the discovery pre-flight as oidc_check does it."""
    issuer = params["issuer"]
    method = params["auth_method"]
    url = params["discovery_url"] or default_discovery_url(issuer)
    callbacks, logouts = registration_urls(params["hosts"])
    result = dict(changed=False, issuer=issuer, discovery_url=url, auth_method=method, callback_urls=callbacks,
                  logout_urls=logouts, problems=[])
    problems = host_problems(params["hosts"]) + issuer_problems(issuer, method)
    if problems:
        result["problems"] = problems
        return result, "OIDC pre-flight failed before contacting the provider: " + "; ".join(problems)
    try:
        doc = parse_document(fetch(url, params["ca_bundle"], params["validate_certs"], params["timeout"],
                                   params["ca_certificates"]))
    except OIDCError as exc:
        result["problems"] = [str(exc)]
        return result, "OIDC pre-flight failed: %s" % exc
    result["discovery"] = summarize(doc)
    problems = document_problems(doc, issuer, method, required_scopes=params["required_scopes"],
                                 assume_pkce=params["assume_pkce"])
    if problems:
        result["problems"] = problems
        return result, "OIDC pre-flight failed: " + "; ".join(problems)
    return result, None


# ---- several of them in one module run (server_state's `checks`) ---------------------------------------------------
CHECKS = {
    "redis": (redis_ping_spec, REDIS_REQUIRED_ONE_OF, redis_ping),
    # The discovery has no secret of its own to add to no_log_values.
    "oidc": (oidc_discovery_spec, [], lambda params, _no_log: oidc_discovery(params)),
}


def run_checks(module, checks):
    """Run the checks named in ``checks`` ({name: that check module's options}) in this module run, each validated by
    its module's own argument spec (its secrets join ``module.no_log_values``); fail_json with the first failure's own
    message. Returns {name: result}."""
    # pylint: disable-next=import-outside-toplevel  # only a run that has checks needs the validator
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    unknown = sorted(set(checks) - set(CHECKS))
    if unknown:
        module.fail_json(msg="checks: unknown check(s) %s; known: %s" % (", ".join(unknown), ", ".join(sorted(CHECKS))))
    results = {}
    for name in sorted(checks):
        spec, required_one_of, check = CHECKS[name]
        validated = ArgumentSpecValidator(spec(), required_one_of=required_one_of).validate(dict(checks[name] or {}))
        module.no_log_values.update(validated._no_log_values)  # pylint: disable=protected-access
        if validated.error_messages:
            module.fail_json(msg="checks.%s: %s" % (name, "; ".join(validated.error_messages)))
        results[name], error = check(validated.validated_parameters, module.no_log_values)
        if error:
            module.fail_json(msg=error, checks=results)
    return results
