"""The wandb_local.server.redis role via ansible-playbook -vvv against the real redis-server (TLS, ACL user)."""
from __future__ import annotations

import functools
import json
import stat
from urllib.parse import quote

from support import playbooks


# run_playbook(tmp_path, tasks, extra_vars) -> PlaybookResult (ansible-playbook -vvv --diff on localhost)
run_playbook = functools.partial(playbooks.run_tasks, name="redis role test")
# publish_tasks(out): the role, then what it published kept in `out` (0600) for the test
publish_tasks = functools.partial(playbooks.role_publish_tasks, "redis", "redis_server_settings")


def test_role_pings_and_publishes_the_url_without_printing_it(tmp_path, redis_server):
    out = tmp_path / "env.json"
    result = run_playbook(tmp_path, publish_tasks(out), {
        "redis_host": "127.0.0.1", "redis_port": redis_server["tls_port"], "redis_user": redis_server["acl_user"],
        "redis_password": redis_server["acl_password"], "redis_tls": True,
        "redis_ca_cert_path": "/etc/wandb-local/redis-ca.pem", "redis_ttl_in_seconds": 3600,
        "redis_check_ca_file": str(redis_server["ca"]),
    })
    output = result.output
    assert result.returncode == 0, output[-4000:]
    env = json.loads(out.read_text())
    escaped = quote(redis_server["acl_password"], safe="")
    assert env == {"redis": "redis://wandb:%s@127.0.0.1:%d?tls=true&caCertPath=/etc/wandb-local/redis-ca.pem"
                            "&ttlInSeconds=3600" % (escaped, redis_server["tls_port"])}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "PING Redis" in output
    assert redis_server["acl_password"] not in output and escaped not in output


def test_full_url_is_checked_and_published(tmp_path, redis_server):
    out = tmp_path / "env.json"
    url = "redis://:%s@127.0.0.1:%d" % (quote(redis_server["password"], safe=""), redis_server["port"])
    # redis_url alone: with redis_host (or another part) next to it the preflight refuses (tests/integration/bad_input).
    result = run_playbook(tmp_path, publish_tasks(out), {"redis_url": url})
    output = result.output
    assert result.returncode == 0, output[-4000:]
    assert json.loads(out.read_text()) == {"redis": url}
    assert redis_server["password"] not in output and url not in output


def test_wrong_password_stops_before_anything_is_published(tmp_path, redis_server):
    out = tmp_path / "env.json"
    wrong = "Wr0ng-" + redis_server["password"]
    result = run_playbook(tmp_path, publish_tasks(out), {
        "redis_host": "127.0.0.1", "redis_port": redis_server["port"], "redis_password": wrong})
    output = result.output
    assert result.returncode != 0
    assert "refused the password for the default user (WRONGPASS)" in output
    assert "Publish redis_server_settings" not in output and not out.exists()
    assert wrong not in output and quote(wrong, safe="") not in output


def test_preflight_names_the_variable(tmp_path):
    result = run_playbook(tmp_path, publish_tasks(tmp_path / "env.json"), {"redis_host": ""})
    output = result.output
    assert result.returncode != 0
    assert "Set redis_host" in output and "redis_url" in output
