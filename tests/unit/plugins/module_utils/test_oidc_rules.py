"""Unit tests of the OIDC pre-flight rules (no network)."""
from __future__ import annotations

import pytest

from ansible_collections.wandb_local.server.plugins.filter.oidc_problems import oidc_problems
from ansible_collections.wandb_local.server.plugins.module_utils._oidc import (
    auth_method_problems,
    cognito_domain_problems,
    cognito_method_problems,
    discovery_url,
    document_problems,
    issuer_problems,
    issuer_url_problems,
    registration_urls,
)

ISSUER = "https://sso.example.com"
COGNITO = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_uiIFNdacd"


def doc(**overrides):
    base = {
        "issuer": ISSUER,
        "authorization_endpoint": ISSUER + "/auth",
        "jwks_uri": ISSUER + "/jwks",
        "response_types_supported": ["code", "id_token"],
        "response_modes_supported": ["query", "fragment", "form_post"],
        "code_challenge_methods_supported": ["S256"],
        "scopes_supported": ["openid", "profile", "email"],
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_discovery_url():
    assert discovery_url(ISSUER + "/") == ISSUER + "/.well-known/openid-configuration"


def test_good_document_both_methods():
    assert document_problems(doc(), ISSUER, "implicit") == []
    assert document_problems(doc(), ISSUER, "pkce") == []


def test_issuer_must_match_exactly_with_slash_hint():
    problems = document_problems(doc(issuer=ISSUER + "/"), ISSUER, "implicit")
    assert len(problems) == 1 and "trailing slash" in problems[0]


def test_missing_endpoints():
    problems = document_problems(doc(authorization_endpoint=None, jwks_uri=None), ISSUER, "implicit")
    assert any("authorization_endpoint" in p for p in problems) and any("jwks_uri" in p for p in problems)


def test_implicit_needs_id_token_and_form_post():
    problems = document_problems(doc(response_types_supported=["code"], response_modes_supported=["query"]),
                                 ISSUER, "implicit")
    assert any("response type id_token" in p for p in problems)
    assert any("form_post" in p for p in problems)


def test_response_modes_unpublished_is_accepted():
    assert document_problems(doc(response_modes_supported=None), ISSUER, "implicit") == []


def test_pkce_needs_code_and_s256():
    no_code = document_problems(doc(response_types_supported=["id_token"]), ISSUER, "pkce")
    assert any("response type code" in p for p in no_code)
    only_plain = document_problems(doc(code_challenge_methods_supported=["plain"]), ISSUER, "pkce")
    assert any("offers only plain" in p for p in only_plain)
    unpublished = doc(code_challenge_methods_supported=None)
    assert any("does not publish" in p for p in document_problems(unpublished, ISSUER, "pkce"))
    assert document_problems(unpublished, ISSUER, "pkce", assume_pkce=True) == []


def test_cognito_publishes_no_pkce_methods_but_is_accepted_with_pkce():
    cognito_doc = doc(issuer=COGNITO, response_types_supported=["code", "token"], response_modes_supported=None,
                      code_challenge_methods_supported=None,
                      scopes_supported=["openid", "email", "phone", "profile"])
    assert document_problems(cognito_doc, COGNITO, "pkce") == []
    assert any("response type id_token" in p for p in document_problems(cognito_doc, COGNITO, "implicit"))


def test_scopes_checked_when_published():
    problems = document_problems(doc(scopes_supported=["openid", "profile"]), ISSUER, "implicit")
    assert len(problems) == 1 and "email" in problems[0]
    assert document_problems(doc(scopes_supported=None), ISSUER, "implicit") == []


def test_cognito_issuer_with_implicit_fails_with_the_seed_rule():
    problems = issuer_problems(COGNITO, "implicit")
    assert len(problems) == 1 and 'must set the auth method to "pkce"' in problems[0]
    assert issuer_problems(COGNITO, "pkce") == []


def test_cognito_domain_fails_with_the_seed_hint():
    problems = issuer_problems("https://myapp.auth.eu-west-1.amazoncognito.com", "pkce")
    assert len(problems) == 1
    assert "https://cognito-idp.$REGION.amazonaws.com/$USER_POOL_ID" in problems[0]
    assert "https://cognito-idp.eu-west-1.amazonaws.com/" in problems[0]


def test_issuer_must_be_an_url():
    assert "not an absolute http(s) URL" in issuer_problems("sso.example.com", "implicit")[0]


def test_registration_urls_for_every_host():
    callbacks, logouts = registration_urls(["https://a.example.com/", "http://b.example.com:8080"])
    assert callbacks == ["https://a.example.com/oidc/callback", "http://b.example.com:8080/oidc/callback"]
    assert logouts == ["https://a.example.com", "https://a.example.com/logout",
                       "http://b.example.com:8080", "http://b.example.com:8080/logout"]


# --- one function per offline rule; the oidc role's preflight (oidc_problems filter), the wandb_server role and the
# --- settings module (check_oidc) and the oidc_check module all call them.
def test_issuer_url_rule():
    assert issuer_url_problems(ISSUER) == [] and issuer_url_problems(COGNITO) == []
    assert "not an absolute http(s) URL" in issuer_url_problems("sso.example.com")[0]
    assert "not an absolute http(s) URL" in issuer_url_problems("https://idp.example.com:99999")[0]
    assert "query or fragment" in issuer_url_problems(ISSUER + "?x=1")[0]


def test_auth_method_rule_and_its_message():
    assert auth_method_problems("implicit") == [] and auth_method_problems("pkce") == []
    assert auth_method_problems("") and auth_method_problems("", empty_allowed=True) == []
    message = auth_method_problems("magic", empty_allowed=True)[0]
    assert "empty (the server's default, implicit), implicit or pkce" in message
    assert ", ," not in message and ": ," not in message
    assert "implicit or pkce" in auth_method_problems("magic")[0]


def test_cognito_domain_rule():
    assert cognito_domain_problems(ISSUER) == [] and cognito_domain_problems(COGNITO) == []
    problem = cognito_domain_problems("https://wandb.auth.eu-west-1.amazoncognito.com")[0]
    assert "Cognito domain, not an issuer" in problem and "cognito-idp.eu-west-1.amazonaws.com" in problem


@pytest.mark.parametrize("method", ["implicit", "", None])
def test_cognito_method_rule_empty_is_the_servers_implicit(method):
    assert 'must set the auth method to "pkce"' in cognito_method_problems(COGNITO, method)[0]
    assert cognito_method_problems(COGNITO, "pkce") == []
    assert cognito_method_problems(ISSUER, method) == []


def test_issuer_problems_combines_the_rules():
    domain = "https://wandb.auth.eu-west-1.amazoncognito.com"
    assert issuer_problems(domain, "magic") == auth_method_problems("magic") + cognito_domain_problems(domain)
    assert issuer_problems(COGNITO, "implicit") == cognito_method_problems(COGNITO, "implicit")


def test_the_filter_is_the_module_rule():
    for issuer, method in [(COGNITO, "implicit"), ("https://a.auth.us-east-1.amazoncognito.com", "pkce"),
                           ("sso.example.com", "pkce"), (ISSUER, "pkce")]:
        assert oidc_problems(issuer, method) == issuer_problems(issuer, method)


def test_the_module_checks_offline_with_the_same_function():
    import ansible_collections.wandb_local.server.plugins.module_utils._server_checks as module
    assert module.issuer_problems is issuer_problems


def test_the_host_filter_is_the_module_rule():
    from ansible_collections.wandb_local.server.plugins.filter.oidc_problems import oidc_host_problems
    from ansible_collections.wandb_local.server.plugins.module_utils._oidc import host_problems
    hosts = ["https://wandb.example.com", "not a url", "https://w.example.com?x=1"]
    assert oidc_host_problems(hosts) == host_problems(hosts) and len(host_problems(hosts)) == 2
