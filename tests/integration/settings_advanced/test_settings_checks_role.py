"""The wandb_server role's SMTP and LDAP pre-flights (tasks/settings_checks.yml, run on its converge path before
anything is written), by ansible-playbook -vvv --diff against aiosmtpd and slapd: the role's variables reach the
modules with the custom CAs, a wrong password fails naming its variable, an env file that already holds the values
costs no connection, and no secret appears in the output."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from support.playbooks import run_playbook, write_play


def play(tmp_path):
    return write_play(tmp_path / "play.json", tasks=[{
        "name": "The wandb_server role's settings checks",
        "ansible.builtin.include_role": {"name": "wandb_local.server.wandb_server", "tasks_from": "settings_checks"},
    }])


@pytest.fixture
def role_vars(tmp_path, smtp_servers, slapd, advanced_tls):
    sink = "smtp://%s:%s@127.0.0.1:%d" % (quote(smtp_servers["user"], safe=""),
                                          quote(smtp_servers["password"], safe=""), smtp_servers["starttls"])
    return {
        "wandb_server_config_dir": str(tmp_path / "etc"),
        "wandb_server_container_name": "wandb-settings-checks",
        "wandb_server_ca_certificates": [str(advanced_tls["ca"])],
        "wandb_server_settings_check_timeout": 5,
        "wandb_server_email_sink": sink,
        "wandb_server_ldap_address": "ldap://127.0.0.1:%d" % slapd["ldap"],
        "wandb_server_ldap_tls_enable": True,
        "wandb_server_ldap_base_dn": slapd["base"],
        "wandb_server_ldap_bind_dn": slapd["bind_dn"],
        "wandb_server_ldap_bind_password": slapd["password"],
    }


def secrets_absent(output, *secrets):
    for secret in secrets:
        assert secret not in output, "a secret was printed"
        assert quote(secret, safe="") not in output, "a secret was printed (URL-encoded)"


def test_both_checks_pass_then_an_unchanged_env_file_costs_no_connection(tmp_path, role_vars, smtp_servers, slapd):
    result = run_playbook(play(tmp_path), role_vars)
    assert result.returncode == 0, result.output[-4000:]
    assert result.recap()["changed"] == 0
    assert '"tls": "starttls"' in result.output and '"authenticated": true' in result.output
    assert '"entries": 1' in result.output
    secrets_absent(result.output, smtp_servers["password"], slapd["password"])

    # The env file the converge writes holds both already: nothing is contacted (checked false).
    etc = tmp_path / "etc"
    etc.mkdir()
    (etc / "wandb-settings-checks.env").write_text("\n".join([
        "GORILLA_EMAIL_SINK=%s" % role_vars["wandb_server_email_sink"],
        "LOCAL_LDAP_ADDRESS=%s" % role_vars["wandb_server_ldap_address"],
        "LOCAL_LDAP_BASE_DN=%s" % role_vars["wandb_server_ldap_base_dn"],
        "LOCAL_LDAP_BIND_DN=%s" % role_vars["wandb_server_ldap_bind_dn"],
        "LOCAL_LDAP_BIND_PW=%s" % role_vars["wandb_server_ldap_bind_password"],
        "LOCAL_LDAP_TLS_ENABLE=true", ""]))
    logins = len(smtp_servers["logins"])
    result = run_playbook(play(tmp_path), role_vars)
    assert result.returncode == 0, result.output[-4000:]
    assert result.output.count('"checked": false') == 2, result.output[-4000:]
    assert len(smtp_servers["logins"]) == logins, "the SMTP server was contacted"
    secrets_absent(result.output, smtp_servers["password"], slapd["password"])


def test_a_wrong_ldap_password_fails_naming_its_variable(tmp_path, role_vars, smtp_servers, slapd):
    role_vars["wandb_server_ldap_bind_password"] = "Wrong-Ldap-Role-Secret-5"
    result = run_playbook(play(tmp_path), role_vars)
    assert result.returncode != 0
    assert "wandb_server_ldap_bind_password" in result.output and "invalidCredentials" in result.output
    secrets_absent(result.output, "Wrong-Ldap-Role-Secret-5", smtp_servers["password"])


def test_a_wrong_smtp_password_fails_naming_the_sink(tmp_path, role_vars, smtp_servers):
    role_vars["wandb_server_email_sink"] = "smtp://%s:%s@127.0.0.1:%d" % (
        quote(smtp_servers["user"], safe=""), "Wrong-Smtp-Role-Secret-6", smtp_servers["starttls"])
    result = run_playbook(play(tmp_path), role_vars)
    assert result.returncode != 0
    assert "wandb_server_email_sink" in result.output and "refused the user name or password" in result.output
    secrets_absent(result.output, "Wrong-Smtp-Role-Secret-6", smtp_servers["password"])


def test_without_the_custom_ca_the_ldap_check_names_it(tmp_path, role_vars):
    role_vars["wandb_server_ca_certificates"] = []
    role_vars["wandb_server_smtp_check"] = False
    result = run_playbook(play(tmp_path), role_vars)
    assert result.returncode != 0
    assert "wandb_server_ca_certificates" in result.output and "does not trust" in result.output
