"""ldap_check against Debian's slapd with a test directory: the right bind, a wrong password, a wrong base DN, ldaps://
and StartTLS with the custom CA (and without it); each failure names the variable to fix and never the password."""
from __future__ import annotations

import pytest

from ansible_collections.wandb_local.server.plugins.modules import ldap_check

VARIABLES = {"address": "wandb_server_ldap_address", "base_dn": "wandb_server_ldap_base_dn",
             "bind_dn": "wandb_server_ldap_bind_dn", "bind_password": "wandb_server_ldap_bind_password",
             "tls": "wandb_server_ldap_tls_enable"}


def run(run_module, slapd, advanced_tls, scheme="ldaps", ca=True, **extra):
    port = slapd["ldaps"] if scheme == "ldaps" else slapd["ldap"]
    args = dict(address="%s://127.0.0.1:%d" % (scheme, port), base_dn=slapd["base"], bind_dn=slapd["bind_dn"],
                bind_password=slapd["password"], timeout=5, variables=VARIABLES,
                ca_certificates=[advanced_tls["ca"].read_text()] if ca else [])
    args.update(extra)
    return run_module(ldap_check, args)


def test_ldaps_bind_and_base_search_with_the_custom_ca(run_module, slapd, advanced_tls):
    result = run(run_module, slapd, advanced_tls)
    assert not result.failed, result
    assert result["checked"] and result["tls"] == "ldaps" and result["entries"] == 1 and not result["anonymous"]
    assert slapd["password"] not in str(result)


def test_starttls_bind_and_base_search(run_module, slapd, advanced_tls):
    result = run(run_module, slapd, advanced_tls, scheme="ldap", starttls=True)
    assert not result.failed, result
    assert result["tls"] == "starttls" and result["entries"] == 1


def test_plain_ldap_bind(run_module, slapd, advanced_tls):
    result = run(run_module, slapd, advanced_tls, scheme="ldap")
    assert not result.failed, result
    assert result["tls"] == "none"


def test_wrong_password_names_the_password_variable(run_module, slapd, advanced_tls):
    result = run(run_module, slapd, advanced_tls, bind_password="Wrong-Ldap-Secret-3")
    assert result.failed
    assert result["variable"] == "wandb_server_ldap_bind_password"
    assert "wandb_server_ldap_bind_password" in result["msg"] and "invalidCredentials 49" in result["msg"]
    assert "Wrong-Ldap-Secret-3" not in str(result)


def test_wrong_base_dn_names_the_base_dn_variable(run_module, slapd, advanced_tls):
    result = run(run_module, slapd, advanced_tls, base_dn="ou=nowhere,dc=example,dc=com")
    assert result.failed
    assert result["variable"] == "wandb_server_ldap_base_dn" and "wandb_server_ldap_base_dn" in result["msg"]
    assert "noSuchObject 32" in result["msg"]


def test_base_dn_outside_the_directory(run_module, slapd, advanced_tls):
    result = run(run_module, slapd, advanced_tls, base_dn="dc=other,dc=org")
    assert result.failed and result["variable"] == "wandb_server_ldap_base_dn"


@pytest.mark.parametrize("scheme, starttls", [("ldaps", False), ("ldap", True)])
def test_without_the_custom_ca_names_the_ca_variable(run_module, slapd, advanced_tls, scheme, starttls):
    result = run(run_module, slapd, advanced_tls, scheme=scheme, ca=False, starttls=starttls)
    assert result.failed
    assert result["variable"] == "wandb_server_ca_certificates"
    assert "wandb_server_ca_certificates" in result["msg"] and "does not trust" in result["msg"]
    assert slapd["password"] not in str(result)


def test_an_unrelated_ca_is_not_enough(run_module, slapd, advanced_tls):
    result = run(run_module, slapd, advanced_tls, ca_certificates=[advanced_tls["other_ca"].read_text()])
    assert result.failed and result["variable"] == "wandb_server_ca_certificates"


def test_anonymous_bind_cannot_read_the_base(run_module, slapd, advanced_tls):
    result = run(run_module, slapd, advanced_tls, bind_dn="", bind_password="")
    assert result.failed and result["variable"] == "wandb_server_ldap_base_dn"


def test_ldaps_scheme_on_the_plain_port_names_the_address(run_module, slapd, advanced_tls):
    result = run_module(ldap_check, dict(address="ldaps://127.0.0.1:%d" % slapd["ldap"], base_dn=slapd["base"],
                                         bind_dn=slapd["bind_dn"], bind_password=slapd["password"], timeout=2,
                                         variables=VARIABLES, ca_certificates=[advanced_tls["ca"].read_text()]))
    assert result.failed and result["variable"] == "wandb_server_ldap_address"


def test_ldap_scheme_on_the_tls_port_names_the_address(run_module, slapd, advanced_tls):
    result = run_module(ldap_check, dict(address="ldap://127.0.0.1:%d" % slapd["ldaps"], base_dn=slapd["base"],
                                         bind_dn=slapd["bind_dn"], bind_password=slapd["password"], timeout=2,
                                         variables=VARIABLES))
    assert result.failed and result["variable"] == "wandb_server_ldap_address"


def test_a_bind_dn_without_password_is_refused_before_connecting(run_module, advanced_tls):
    result = run_module(ldap_check, dict(address="ldap://127.0.0.1:9", base_dn="dc=example,dc=com",
                                         bind_dn="cn=wandb,dc=example,dc=com", variables=VARIABLES))
    assert result.failed and result["variable"] == "wandb_server_ldap_bind_password"


def test_nothing_listening_names_the_address(run_module, advanced_tls):
    from support.procs import free_port  # pylint: disable=import-outside-toplevel
    result = run_module(ldap_check, dict(address="ldap://127.0.0.1:%d" % free_port(), base_dn="dc=example,dc=com",
                                         variables=VARIABLES, timeout=2))
    assert result.failed and result["variable"] == "wandb_server_ldap_address" and "could not connect" in result["msg"]


def test_an_unchanged_env_file_contacts_nothing(run_module, tmp_path):
    from support.procs import free_port  # pylint: disable=import-outside-toplevel
    address = "ldap://127.0.0.1:%d" % free_port()
    env_file = tmp_path / "wandb.env"
    env_file.write_text("LOCAL_LDAP_ADDRESS=%s\nLOCAL_LDAP_BASE_DN=dc=example,dc=com\n" % address)
    wanted = {"LOCAL_LDAP_ADDRESS": address, "LOCAL_LDAP_BASE_DN": "dc=example,dc=com", "LOCAL_LDAP_BIND_DN": "",
              "LOCAL_LDAP_BIND_PW": "", "LOCAL_LDAP_TLS_ENABLE": ""}
    result = run_module(ldap_check, dict(address=address, base_dn="dc=example,dc=com", variables=VARIABLES,
                                         unchanged_env_file=str(env_file), unchanged_env=wanted))
    assert not result.failed and result["checked"] is False
