from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.filter.server_env import kept_env_names, server_env, split_secret_env


def test_classic_names_and_unset_values_left_out():
    env = server_env({"host": "https://w.example.com", "license": "", "local_restore": False,
                      "logging_enabled": True, "mysql": None})
    assert env == {"HOST": "https://w.example.com", "LOGGING_ENABLED": "true"}


def test_gorilla_spelling():
    env = server_env({"host": "https://w", "license": "a.b.c", "oidc_auth_method": "pkce", "bucket": "s3://b"},
                     "gorilla")
    assert env == {"GORILLA_FRONTEND_HOST": "https://w", "GORILLA_LICENSE": "a.b.c",
                   "GORILLA_AUTH_METHOD": "pkce", "BUCKET": "s3://b"}


def test_integration_settings_are_named_by_the_catalog_and_explicit_settings_win():
    published = {"storage": {"bucket": "s3://from-role", "aws_region": "eu-west-1"},
                 "oidc": {"oidc_issuer": "https://idp", "oidc_secret": ""}}
    env = server_env({"bucket": "s3://explicit", "aws_region": "", "oidc_issuer": ""}, "gorilla", published)
    assert env == {"BUCKET": "s3://explicit", "AWS_REGION": "eu-west-1",  # an empty explicit setting does not
                   "GORILLA_OIDC_ISSUER": "https://idp"}                    # erase the role's value


@pytest.mark.parametrize("published, message", [
    ({"storage": {"oidc_issuer": "https://idp"}}, "storage published oidc_issuer, which it does not own"),
    ({"storage": {"BUCKET": "s3://b"}}, "storage published BUCKET"),
    ({"team_storage": {}}, "'team_storage' is not an integration"),
    ({"redis": "redis://h"}, "redis must be a dict"),
])
def test_an_integration_publishes_only_its_own_canonical_settings(published, message):
    with pytest.raises(AnsibleFilterError, match=message):
        server_env({}, "classic", published)


def test_kept_env_names_are_those_of_enabled_integrations_that_did_not_publish():
    assert kept_env_names(["storage", "oidc", "front_door", "team_storage"], {"storage": {}}) == [
        "GORILLA_AUTH_METHOD", "GORILLA_OIDC_CLIENT_ID", "GORILLA_OIDC_ISSUER", "GORILLA_OIDC_SECRET",
        "OIDC_AUTH_METHOD", "OIDC_CLIENT_ID", "OIDC_ISSUER", "OIDC_SECRET"]
    assert kept_env_names(["redis"], {}) == ["REDIS"]
    assert kept_env_names([], {}) == [] and kept_env_names(["slack"], {"slack": {}}) == []


def test_extra_env_passed_verbatim_and_wins():
    env = server_env({"host": "https://w"}, "classic", None, {"HOST": "https://other", "GORILLA_X": 1})
    assert env == {"HOST": "https://other", "GORILLA_X": "1"}


@pytest.mark.parametrize("settings, extra, message", [
    ({"nonsense": "x"}, None, "unknown W&B setting"),
    ({"host": "https://w\nEVIL=1"}, None, "line break"),
    ({}, {"BAD-NAME": "x"}, "not a valid variable name"),
])
def test_bad_input_fails_with_a_clear_message(settings, extra, message):
    with pytest.raises(AnsibleFilterError, match=message):
        server_env(settings, "classic", None, extra)


def test_unknown_style_refused():
    with pytest.raises(AnsibleFilterError, match="env style"):
        server_env({}, "modern")


def test_split_secret_env_by_name_and_by_credentials_in_urls():
    split = split_secret_env({
        "HOST": "https://w", "LICENSE": "a.b.c", "SLACK_SECRET": "s", "GORILLA_OIDC_SECRET": "o",
        "BUCKET": "s3://KEY:SECRET@minio.local/bucket", "REDIS": "redis://h:6379", "MY_API_TOKEN": "t",
        "BUCKET_QUEUE": "sqs://q",
    })
    assert split["plain"] == {"HOST": "https://w", "BUCKET_QUEUE": "sqs://q"}
    assert set(split["secret"]) == {"LICENSE", "SLACK_SECRET", "GORILLA_OIDC_SECRET", "BUCKET", "REDIS",
                                    "MY_API_TOKEN"}


def test_settings_problems_are_the_settings_modules_own_rules():
    from ansible_collections.wandb_local.server.plugins.filter.server_env import settings_problems

    good = {"host": "https://wandb.example.com/sub", "license": "eyJhbGciOiJSUzI1NiJ9.cGF5bG9hZA.c2ln",
            "oidc_issuer": "https://idp.example.com", "oidc_client_id": "c"}
    assert settings_problems(good) == []
    assert any("three parts" in p for p in settings_problems({"license": "not-a-license"}))
    assert any("header" in p for p in settings_problems({"license": "a.b.c"}))
    assert any("trailing slash" in p for p in settings_problems({"host": "https://w.example.com/"}))
    assert any("http" in p for p in settings_problems({"host": "ftp://w.example.com"}))
    assert any("go together" in p for p in settings_problems({"oidc_issuer": "https://idp", "oidc_client_id": ""}))
