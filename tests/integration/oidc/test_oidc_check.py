"""oidc_check against a real OpenID provider (npm oidc-provider) on 127.0.0.1."""
from __future__ import annotations

import json
import urllib.parse
import urllib.request

from ansible_collections.wandb_local.server.plugins.modules import oidc_check
from support.procs import free_port

REDIRECT = "http://127.0.0.1:8080/oidc/callback"  # registered for both clients by conftest.py
HOSTS = ["http://127.0.0.1:8080", "https://wandb.example.com/"]


def test_implicit_form_post_passes(run_module, provider):
    result = run_module(oidc_check, dict(issuer=provider["issuer"], auth_method="implicit", hosts=HOSTS))
    assert not result.failed, result["msg"] if result.failed else result
    assert result["changed"] is False and result["problems"] == []
    assert result["discovery"]["issuer"] == provider["issuer"]
    assert "form_post" in result["discovery"]["response_modes_supported"]
    assert result["callback_urls"] == ["http://127.0.0.1:8080/oidc/callback", "https://wandb.example.com/oidc/callback"]
    assert result["logout_urls"] == ["http://127.0.0.1:8080", "http://127.0.0.1:8080/logout",
                                     "https://wandb.example.com", "https://wandb.example.com/logout"]


def test_pkce_passes_and_in_check_mode(run_module, provider):
    result = run_module(oidc_check, dict(issuer=provider["issuer"], auth_method="pkce", hosts=HOSTS[:1]),
                        check_mode=True)
    assert not result.failed, result
    assert result["changed"] is False
    assert result["discovery"]["code_challenge_methods_supported"] == ["S256"]


def test_the_provider_really_runs_both_flows(provider):
    """The clients the good cases stand for exist: the provider accepts an implicit form_post request and a
    PKCE S256 code request (redirect to its login interaction), and refuses a code request without PKCE."""
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def authorize(**params):
        query = urllib.parse.urlencode(dict(redirect_uri=REDIRECT, scope="openid profile email", **params))
        try:
            response = opener.open(provider["issuer"] + "/auth?" + query, timeout=10)
            return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", "")

    status, location = authorize(client_id="wandb-implicit", response_type="id_token", response_mode="form_post",
                                 nonce="n1", state="s1")
    assert status == 303 and "/interaction/" in location
    status, location = authorize(client_id="wandb-pkce", response_type="code", state="s2",
                                 code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                                 code_challenge_method="S256")
    assert status == 303 and "/interaction/" in location
    status, location = authorize(client_id="wandb-pkce", response_type="code", state="s3")
    assert status == 303 and "error=invalid_request" in location and "requires+PKCE" in location


def test_wrong_issuer_fails(run_module, provider):
    result = run_module(oidc_check, dict(issuer=provider["issuer"] + "/", hosts=HOSTS))
    assert result.failed
    assert "not %r" % (provider["issuer"] + "/") in result["msg"] and "trailing slash" in result["msg"]


def test_issuer_with_a_typo_in_the_path_fails(run_module, provider):
    result = run_module(oidc_check, dict(issuer=provider["issuer"] + "/realms/typo"))
    assert result.failed
    assert "HTTP 404" in result["msg"] and "check the issuer URL" in result["msg"]


def test_unreachable_issuer_fails(run_module):
    port = free_port()
    result = run_module(oidc_check, dict(issuer="http://127.0.0.1:%d" % port, timeout=3))
    assert result.failed and "cannot reach the provider" in result["msg"]


def test_provider_without_pkce_fails_for_pkce(run_module, provider_without_pkce):
    result = run_module(oidc_check, dict(issuer=provider_without_pkce["issuer"], auth_method="pkce"))
    assert result.failed
    assert "needs response type code" in result["msg"]
    assert "does not publish code_challenge_methods_supported" in result["msg"]
    # the same provider is fine for the implicit grant
    ok = run_module(oidc_check, dict(issuer=provider_without_pkce["issuer"], auth_method="implicit"))
    assert not ok.failed, ok


def test_provider_without_email_scope_fails(run_module, provider_without_email_scope):
    result = run_module(oidc_check, dict(issuer=provider_without_email_scope["issuer"]))
    assert result.failed and "scope(s) email" in result["msg"]


def test_cognito_issuer_with_implicit_fails_before_any_request(run_module, cognito_fake):
    result = run_module(oidc_check, dict(issuer=cognito_fake["issuer"], auth_method="implicit",
                                         discovery_url=cognito_fake["discovery_url"]))
    assert result.failed
    assert 'For AWS Cognito providers you must set the auth method to "pkce"'.lower() in result["msg"].lower()
    assert "before contacting the provider" in result["msg"]
    assert cognito_fake["requests"] == []


def test_cognito_issuer_with_pkce_passes(run_module, cognito_fake):
    result = run_module(oidc_check, dict(issuer=cognito_fake["issuer"], auth_method="pkce",
                                         discovery_url=cognito_fake["discovery_url"],
                                         hosts=["https://wandb.mycompany.com"]))
    assert not result.failed, result
    assert cognito_fake["requests"] == [("GET", "/us-east-1_uiIFNdacd/.well-known/openid-configuration")]
    assert result["callback_urls"] == ["https://wandb.mycompany.com/oidc/callback"]


def test_cognito_domain_as_issuer_fails_with_the_hint(run_module):
    result = run_module(oidc_check, dict(issuer="https://wandb-corp.auth.us-east-1.amazoncognito.com",
                                         auth_method="pkce"))
    assert result.failed
    assert "https://cognito-idp.$REGION.amazonaws.com/$USER_POOL_ID" in result["msg"]


def test_bad_host_fails_before_contacting(run_module, provider):
    result = run_module(oidc_check, dict(issuer=provider["issuer"], hosts=["wandb.example.com"]))
    assert result.failed and "not an absolute http(s) URL" in result["msg"]


def test_private_idp_with_custom_ca(run_module, tls_provider, tls_material):
    assert tls_provider["issuer"].startswith("https://127.0.0.1:")
    refused = run_module(oidc_check, dict(issuer=tls_provider["issuer"]))
    assert refused.failed and "ca_bundle" in refused["msg"] and "certificate" in refused["msg"]
    result = run_module(oidc_check, dict(issuer=tls_provider["issuer"], auth_method="pkce",
                                         ca_bundle=str(tls_material["ca"])))
    assert not result.failed, result
    insecure = run_module(oidc_check, dict(issuer=tls_provider["issuer"], validate_certs=False))
    assert not insecure.failed, insecure
    assert json.dumps(result["discovery"]).count("https://127.0.0.1") >= 3
