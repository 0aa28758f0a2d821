"""The advanced settings of the catalog (issue 15): names in both spellings, secrets, rendering of lists and the LDAP
attributes, the checks (each message starting with the setting, never a secret), the filter naming role variables,
and the BER of the LDAP pre-flight."""
from __future__ import annotations

import pytest

from ansible_collections.wandb_local.server.plugins.filter.server_env import (
    server_env,
    settings_problems,
    split_secret_env,
)
from ansible_collections.wandb_local.server.plugins.module_utils import _ldap, _smtp
from ansible_collections.wandb_local.server.plugins.module_utils._settings_check import unchanged
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import (
    ADVANCED_SETTINGS,
    SETTINGS,
    env_changes,
    is_secret,
    mask_settings,
    preflight,
    settings_from_env,
)


def test_every_advanced_setting_is_in_the_catalog_and_a_role_variable():
    from pathlib import Path  # pylint: disable=import-outside-toplevel
    import yaml  # pylint: disable=import-outside-toplevel
    defaults = yaml.safe_load((Path(__file__).parents[4] / "roles/wandb_server/defaults/main.yml").read_text())
    for key in ADVANCED_SETTINGS:
        assert key in SETTINGS, key
        assert "wandb_server_%s" % key in defaults, key


def test_names_and_spellings():
    env = server_env({"disable_sso_provisioning": True, "email_sink": "smtp://relay:25",
                      "ldap_address": "ldaps://ldap:636"}, "classic")
    assert env == {"DISABLE_SSO_PROVISIONING": "true", "GORILLA_EMAIL_SINK": "smtp://relay:25",
                   "LOCAL_LDAP_ADDRESS": "ldaps://ldap:636"}
    env = server_env({"disable_sso_provisioning": True}, "gorilla")
    assert env == {"GORILLA_DISABLE_SSO_PROVISIONING": "true"}
    # read back in either spelling
    values, names, _conflicts = settings_from_env({"DISABLE_SSO_PROVISIONING": "true"})
    assert values == {"disable_sso_provisioning": "true"}
    assert names == {"disable_sso_provisioning": "DISABLE_SSO_PROVISIONING"}
    set_vars, unset = env_changes({"disable_sso_provisioning": True}, "gorilla")
    assert set_vars == {"GORILLA_DISABLE_SSO_PROVISIONING": "true"} and unset == ["DISABLE_SSO_PROVISIONING"]


def test_lists_and_the_ldap_attributes_are_rendered_and_empty_ones_left_out():
    env = server_env({"cors_origins": ["https://a.example.com", "null"], "no_proxy": [".internal", "10.0.0.0/8"],
                      "oidc_custom_scopes": ["groups"], "ldap_attributes": {"email": "mail", "group": "gidNumber"},
                      "ldap_group_allow_list": [], "http_proxy": "", "ldap_login": False, "hide_upgrade_banner": True})
    assert env == {"GORILLA_CORS_ORIGINS": "https://a.example.com,null", "NO_PROXY": ".internal,10.0.0.0/8",
                   "GORILLA_OIDC_CUSTOM_SCOPES": "groups", "LOCAL_LDAP_ATTRIBUTES": "email=mail,group=gidNumber",
                   "GORILLA_ONPREM_HIDE_UPGRADE_BANNER": "true"}


def test_secrets_are_masked_and_a_proxy_only_with_credentials():
    env = server_env({"email_sink": "smtp://u:pw@mail:587", "ldap_bind_password": "pw",
                      "http_proxy": "http://u:pw@proxy:3128", "https_proxy": "http://proxy:3128",
                      "ldap_bind_dn": "cn=a,dc=b"})
    split = split_secret_env(env)
    assert set(split["secret"]) == {"GORILLA_EMAIL_SINK", "LOCAL_LDAP_BIND_PW", "HTTP_PROXY"}
    assert split["plain"] == {"HTTPS_PROXY": "http://proxy:3128", "LOCAL_LDAP_BIND_DN": "cn=a,dc=b"}
    assert is_secret("GORILLA_EMAIL_SINK", "smtp://relay:25")  # the catalog's flag, whatever the value
    masked = mask_settings({"email_sink": "smtp://relay:25", "ldap_bind_password": "x", "ldap_base_dn": "dc=b"})
    assert masked == {"email_sink": "********", "ldap_bind_password": "********", "ldap_base_dn": "dc=b"}


GOOD = {
    "email_sink": "smtp://user%40example.com:p%2Fw@mail.example.com:587",
    "email_from_address": "wandb@example.com",
    "cors_origins": ["https://app.example.com", "http://10.0.0.5:3000", "https://*.example.com", "null"],
    "aws_s3_kms_id": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "data_retention_period": "168h",
    "oidc_custom_scopes": ["groups", "offline_access", "api://wandb/read"],
    "http_proxy": "http://user:pw@proxy.internal:3128",
    "https_proxy": "socks5://proxy.internal:1080",
    "no_proxy": ["localhost", "127.0.0.1", ".internal", "10.0.0.0/8", "db.internal:3306", "*"],
    "ldap_login": True,
    "ldap_address": "ldaps://ldap.example.com:636",
    "ldap_base_dn": "ou=people,dc=example,dc=com",
    "ldap_bind_dn": "cn=wandb\\, service,ou=services,dc=example,dc=com",
    "ldap_bind_password": "pw",
    "ldap_attributes": {"email": "mail", "group": "gidNumber"},
    "ldap_group_allow_list": ["ml", "admins"],
}


def test_good_values_pass():
    assert preflight(GOOD, GOOD.keys()) == []


@pytest.mark.parametrize("key, value, message", [
    ("email_sink", "http://mail:25", "must start with smtp:// or smtps://"),
    ("email_sink", "smtp://user@mail:587", "no password"),
    ("email_sink", "smtp://:pw@mail:587", "no user name"),
    ("email_sink", "smtp://u:p/w@mail:587", "percent-encode"),
    ("email_sink", "smtp://mail:0", "between 1 and 65535"),
    ("email_sink", "smtp://", "names no host"),
    ("email_from_address", "Wandb <wandb@example.com>", "is not an e-mail address"),
    ("cors_origins", ["https://app.example.com/"], "is not an origin"),
    ("cors_origins", ["app.example.com"], "is not an origin"),
    ("aws_s3_kms_id", "key one", "KMS key id"),
    ("data_retention_period", "0h", "positive duration"),
    ("data_retention_period", "1 day", "positive duration"),
    ("oidc_custom_scopes", ["openid"], "openid is always asked for"),
    ("oidc_custom_scopes", ["a,b"], "is not one OAuth scope"),
    ("http_proxy", "proxy:3128", "must start with http:// or https:// or socks5://"),
    ("https_proxy", "http://proxy:3128/path", "no path"),
    ("no_proxy", ["a b"], "is not a host name"),
    ("ldap_address", "ldap://user:pw@ldap:389", "must not carry a user name or password"),
    ("ldap_address", "ldapx://ldap", "ldap:// or ldaps://"),
    ("ldap_base_dn", "example.com", "is not a distinguished name"),
    ("ldap_bind_dn", "cn=,dc=x", "is not a distinguished name"),
    ("ldap_attributes", {"mail": "mail"}, "is not one of email, group"),
    ("ldap_attributes", {"group": "gidNumber"}, "needs the e-mail attribute"),
    ("ldap_attributes", {"email": "m a i l"}, "is not an LDAP attribute name"),
    ("ldap_group_allow_list", [" "], "must not be empty"),
    ("ldap_group_allow_list", ["CN=ML Engineers,OU=Groups,DC=example,DC=com"], "nor contain a comma"),
])
def test_bad_values_name_the_setting_and_never_a_secret(key, value, message):
    settings = dict(GOOD, **{key: value})
    problems = preflight(settings, settings.keys())
    assert problems and any(message in problem for problem in problems), problems
    assert all(key in problem for problem in problems), problems
    assert not any("p%2Fw" in problem or ":pw@" in problem for problem in problems)


@pytest.mark.parametrize("settings, message", [
    ({"ldap_login": True}, "ldap_login: LDAP login needs ldap_address"),
    ({"ldap_address": "ldap://ldap:389"}, "ldap_base_dn: ldap_address is set"),
    ({"ldap_base_dn": "dc=x"}, "ldap_base_dn: it is set without ldap_address"),
    ({"ldap_address": "ldap://l", "ldap_base_dn": "dc=x", "ldap_bind_password": "pw"}, "go together"),
    ({"ldap_address": "ldap://l", "ldap_base_dn": "dc=x", "ldap_login": True}, "ldap_attributes: LDAP login needs"),
])
def test_ldap_settings_together(settings, message):
    problems = preflight(settings, settings.keys())
    assert any(message in problem for problem in problems), problems


def test_the_filter_names_role_variables():
    problems = settings_problems({"ldap_login": True, "ldap_address": "", "ldap_base_dn": ""},
                                 variable_prefix="wandb_server_")
    assert problems[0].startswith("wandb_server_ldap_login: LDAP login needs wandb_server_ldap_address")
    assert "wandb_server_wandb_server" not in " ".join(problems)
    assert settings_problems({"ldap_login": True})[0].startswith("ldap_login:")


def test_unchanged_compares_the_env_file(tmp_path):
    env_file = tmp_path / "w.env"
    assert not unchanged(str(env_file), {"A": "1"})  # no file
    env_file.write_text("A=1\nB=x=y\n")
    assert unchanged(str(env_file), {"A": "1", "B": "x=y", "C": ""})
    assert not unchanged(str(env_file), {"A": "2"})
    assert not unchanged(str(env_file), {})
    env_file.write_text("not a valid line with space=1\n")
    assert not unchanged(str(env_file), {"A": "1"})


def test_smtp_sink_parsing():
    sink = _smtp.parse_sink("smtp://user%40example.com:p%2Fw%40x@mail.example.com:587")
    assert sink == dict(scheme="smtp", host="mail.example.com", port=587, user="user@example.com", password="p/w@x")
    assert _smtp.parse_sink("smtps://mail")["port"] == 465 and _smtp.parse_sink("smtp://mail")["port"] == 25
    with pytest.raises(_smtp.SmtpCheckError, match="wandb_server_email_sink must be smtp://"):
        _smtp.parse_sink("https://mail", "wandb_server_email_sink")


def test_ldap_ber_round_trip():
    data = _ldap.bind_request(1, "cn=wandb,dc=example,dc=com", "pw" * 100)  # a long form length
    message_id, tag, value = _ldap.parse_message(data)
    assert (message_id, tag) == (1, 0x60)
    items = _ldap._elements(value)  # pylint: disable=protected-access
    assert items[0] == (0x02, b"\x03") and items[1] == (0x04, b"cn=wandb,dc=example,dc=com")
    assert items[2] == (0x80, b"pw" * 100)
    message_id, tag, value = _ldap.parse_message(_ldap.search_base_request(300, "dc=example,dc=com"))
    assert (message_id, tag) == (300, 0x63)
    base, scope = _ldap._elements(value)[:2]  # pylint: disable=protected-access
    assert base == (0x04, b"dc=example,dc=com") and scope == (0x0A, b"\x00")
    # a BindResponse invalidCredentials as slapd sends it
    response = bytes.fromhex("300c02010161070a013104000400")
    message_id, tag, value = _ldap.parse_message(response)
    assert (message_id, tag) == (1, 0x61) and _ldap.parse_result(value) == (49, "", "")
    with pytest.raises(ValueError):
        _ldap.parse_message(response[:-1])
    assert _ldap.parse_message(_ldap.starttls_request(2))[1] == 0x77
    assert _ldap._integer(0x02, 128) == b"\x02\x02\x00\x80"  # pylint: disable=protected-access


@pytest.mark.parametrize("address, expected", [
    ("ldap://ldap.example.com", ("ldap", "ldap.example.com", 389)),
    ("LDAPS://ldap.example.com", ("ldaps", "ldap.example.com", 636)),
    ("ldap://[::1]:1389", ("ldap", "::1", 1389)),
])
def test_ldap_addresses(address, expected):
    assert _ldap.parse_address(address) == expected


def test_ldap_bad_address_names_the_variable():
    with pytest.raises(_ldap.LdapCheckError) as caught:
        _ldap.parse_address("ldap://h:99999", "wandb_server_ldap_address")
    assert caught.value.variable == "wandb_server_ldap_address"
