"""The wandb_local.server.oidc role via ansible-playbook -vvv against the real oidc-provider, and its verify
entry point against the wandb/local stand-in (tests/fixtures/standin) started with an OIDC issuer and an admin key."""
from __future__ import annotations

import functools
import json
import os
import secrets
import stat
import sys

import pytest

from support import playbooks
from support.playbooks import REPO
from support.procs import BackgroundProcess, free_port

HOST = "https://wandb.example.com"
SECRET = "oidc-Cl1ent-" + secrets.token_hex(8)


# run_playbook(tmp_path, tasks, extra_vars) -> PlaybookResult (ansible-playbook -vvv --diff on localhost)
run_playbook = functools.partial(playbooks.run_tasks, name="oidc role test")
# role_tasks(out): the role, then what it published kept in `out` (0600) for the test
role_tasks = functools.partial(playbooks.role_publish_tasks, "oidc", "oidc_server_settings")


def test_implicit_publishes_env_and_prints_registration(tmp_path, provider):
    out = tmp_path / "env.json"
    result = run_playbook(tmp_path, role_tasks(out), {
        "oidc_issuer": provider["issuer"], "oidc_client_id": "wandb-implicit", "oidc_client_secret": SECRET,
        "wandb_server_host": HOST})
    output = result.output
    assert result.returncode == 0, output[-4000:]
    assert json.loads(out.read_text()) == {"oidc_issuer": provider["issuer"], "oidc_client_id": "wandb-implicit",
                                           "oidc_auth_method": "implicit", "oidc_secret": SECRET}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "Allowed callback URL(s): https://wandb.example.com/oidc/callback" in output
    assert "https://wandb.example.com, https://wandb.example.com/logout" in output
    assert SECRET not in output


def test_pkce_without_secret(tmp_path, provider):
    out = tmp_path / "env.json"
    result = run_playbook(tmp_path, role_tasks(out), {
        "oidc_issuer": provider["issuer"], "oidc_client_id": "wandb-pkce", "oidc_auth_method": "pkce",
        "oidc_hosts": ["http://127.0.0.1:8080", "https://wandb.example.com"]})
    assert result.returncode == 0, result.output[-4000:]
    assert json.loads(out.read_text()) == {"oidc_issuer": provider["issuer"], "oidc_client_id": "wandb-pkce",
                                           "oidc_auth_method": "pkce", "oidc_secret": ""}


@pytest.mark.parametrize("case", ["wrong_issuer", "no_pkce", "cognito_implicit"])
def test_bad_settings_fail_before_anything_is_published(tmp_path, provider, provider_without_pkce, cognito_fake,
                                                        case):
    settings = {
        "wrong_issuer": {"oidc_issuer": provider["issuer"] + "/", "oidc_client_id": "wandb-implicit"},
        "no_pkce": {"oidc_issuer": provider_without_pkce["issuer"], "oidc_client_id": "wandb-pkce",
                    "oidc_auth_method": "pkce"},
        "cognito_implicit": {"oidc_issuer": cognito_fake["issuer"], "oidc_client_id": "abc",
                             "oidc_discovery_url": cognito_fake["discovery_url"]},
    }[case]
    expected = {"wrong_issuer": "trailing slash", "no_pkce": "needs response type code",
                "cognito_implicit": 'you must set the auth method to \\"pkce\\"'}[case]
    out = tmp_path / "env.json"
    result = run_playbook(tmp_path, role_tasks(out), dict(settings, oidc_client_secret=SECRET,
                                                          wandb_server_host=HOST))
    output = result.output
    assert result.returncode != 0
    assert expected in output, output[-3000:]
    assert "Publish oidc_server_settings" not in output and not out.exists()
    assert SECRET not in output
    if case == "cognito_implicit":
        assert cognito_fake["requests"] == []


def test_preflight_names_the_variables(tmp_path):
    result = run_playbook(tmp_path, role_tasks(tmp_path / "env.json"),
                          {"oidc_issuer": "sso.example.com", "oidc_client_id": "x"})
    output = result.output
    assert result.returncode != 0 and "Set oidc_issuer" in output


# --- verify: the server is ready and the admin key still works after SSO was applied -----------------------------
STANDIN = REPO / "tests" / "fixtures" / "standin" / "server.py"


@pytest.fixture()
def standin_with_sso(tmp_path, provider):
    key = "local-" + secrets.token_hex(20)
    port = free_port()
    vol = tmp_path / "vol"
    vol.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STANDIN_PORT": str(port), "STANDIN_BIND": "127.0.0.1",
           "STANDIN_VOL": str(vol), "STANDIN_STARTUP_SECONDS": "1", "OIDC_ISSUER": provider["issuer"],
           "OIDC_CLIENT_ID": "wandb-implicit", "OIDC_AUTH_METHOD": "implicit", "GLOBAL_ADMIN_API_KEY": key,
           "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS": "true"}
    url = "http://127.0.0.1:%d" % port
    with BackgroundProcess([sys.executable, STANDIN], tmp_path / "standin.log", seconds=300, env=env, replace_env=True,
                           ready_url=url + "/healthz", ready_status=200) as proc:
        proc.wait_ready(15)
        yield {"url": url, "key": key}


def verify_tasks() -> list:
    return [{"name": "Verify", "ansible.builtin.include_role": {"name": "wandb_local.server.oidc",
                                                                "tasks_from": "verify"}}]


def test_verify_accepts_the_admin_key_after_sso(tmp_path, standin_with_sso):
    keyfile = tmp_path / "admin-api-key"
    keyfile.write_text(standin_with_sso["key"] + "\n")
    keyfile.chmod(0o600)
    result = run_playbook(tmp_path, verify_tasks(), {"oidc_verify_base_url": standin_with_sso["url"],
                                                     "oidc_verify_api_key_file": str(keyfile),
                                                     "oidc_verify_ready_timeout": 30})
    output = result.output
    assert result.returncode == 0, output[-4000:]
    assert standin_with_sso["key"] not in output


def test_verify_fails_when_the_admin_key_is_refused(tmp_path, standin_with_sso):
    wrong = "local-" + secrets.token_hex(20)
    result = run_playbook(tmp_path, verify_tasks(), {"oidc_verify_base_url": standin_with_sso["url"],
                                                     "oidc_verify_api_key": wrong, "oidc_verify_ready_timeout": 30})
    output = result.output
    assert result.returncode != 0
    assert "Verify the server is ready and the admin key still works" in output
    assert "the admin API key was refused" in output, output[-3000:]
    assert wrong not in output and standin_with_sso["key"] not in output
