"""Private by default: the admin API (super-admin key) on a server published beyond loopback with an http:// HOST is
refused before anything changes (validate.yml and site.yml), with a message naming the variables and the ways out;
binding 127.0.0.1, an https:// HOST or the explicit opt-in wandb_server_allow_insecure_admin_api pass. A custom CA
item that is not a certificate is refused offline too."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from ca_testenv import run_site

INSECURE = {"wandb_server_admin_api_enabled": True, "wandb_server_bind_address": "0.0.0.0",
            "wandb_server_host": "http://wandb.example.com:8080"}
CASES = {
    "insecure": (INSECURE, False),
    "opt_in": (dict(INSECURE, wandb_server_allow_insecure_admin_api=True), True),
    "loopback": (dict(INSECURE, wandb_server_bind_address="127.0.0.1"), True),
    "loopback_v6": (dict(INSECURE, wandb_server_bind_address="::1"), True),
    "https_host": (dict(INSECURE, wandb_server_host="https://wandb.example.com"), True),
    "admin_api_off": (dict(INSECURE, wandb_server_admin_api_enabled=False), True),
    "bind_all_v6": (dict(INSECURE, wandb_server_bind_address="::"), False),
}


@pytest.fixture(scope="module")
def validated(tmp_path_factory):
    """validate.yml for every case (three at a time): {case: result}."""
    def run(item):
        name, (variables, _ok) = item
        config = tmp_path_factory.mktemp(name) / "etc"
        return name, run_site(dict(variables, wandb_server_config_dir=str(config)), playbook="validate.yml",
                              timeout=180)

    with ThreadPoolExecutor(max_workers=3) as pool:
        return dict(pool.map(run, CASES.items()))


@pytest.mark.parametrize("case", sorted(CASES))
def test_validate_refuses_only_the_insecure_combination(case, validated):
    result = validated[case]
    expected_ok = CASES[case][1]
    assert (result.returncode == 0) == expected_ok, result.output[-3000:]
    if not expected_ok:
        for words in ("wandb_server_admin_api_enabled", "wandb_server_bind_address", "wandb_server_host",
                      "wandb_server_allow_insecure_admin_api: true", "127.0.0.1", "https://", "clear text"):
            assert words in result.output, "the message does not say %r:\n%s" % (words, result.output[-3000:])


def test_site_refuses_it_before_any_change(server_instance, docker_client):
    inst = server_instance
    result = run_site(dict(inst.vars, **dict(INSECURE, wandb_server_port=inst.port)))
    assert result.returncode != 0 and "wandb_server_allow_insecure_admin_api" in result.output, result.output[-3000:]
    assert result.recap()["changed"] == 0
    assert not docker_client.containers.list(all=True, filters={"name": inst.name})
    assert not inst.config_dir.exists()


@pytest.mark.parametrize("item, says", [
    ("/nonexistent/internal-ca.pem", "no such file on the controller"),
    ("-----BEGIN PRIVATE KEY-----\nMIIEvQ\n-----END PRIVATE KEY-----\n", "contains a private key"),
    ("-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n", "not a PEM certificate"),
])
def test_validate_refuses_a_ca_item_that_is_no_certificate(item, says, tmp_path):
    result = run_site({"wandb_server_ca_certificates": [item], "wandb_server_config_dir": str(tmp_path / "etc")},
                      playbook="validate.yml", timeout=180)
    assert result.returncode != 0
    assert "wandb_server_ca_certificates item 0" in result.output and says in result.output, result.output[-3000:]
    assert "MIIEvQ" not in result.output  # never the content
