"""The wandb_local.server.slack role via ansible-playbook -vvv (no Slack API is contacted: the role only prints
what the Slack app needs and publishes slack_server_settings)."""
from __future__ import annotations

import json
import secrets
import stat
from pathlib import Path

from support import playbooks
from support.playbooks import PlaybookResult

SECRET = "slack-" + secrets.token_hex(16)


def run_playbook(tmp_path: Path, extra_vars: dict) -> PlaybookResult:
    tasks = playbooks.role_publish_tasks("slack", "slack_server_settings", tmp_path / "env.json")
    return playbooks.run_tasks(tmp_path, tasks, extra_vars, name="slack role test")


def test_publishes_env_and_prints_redirects_and_scope(tmp_path):
    result = run_playbook(tmp_path, {"slack_client_id": "1234.5678", "slack_client_secret": SECRET,
                                     "slack_hosts": ["https://wandb.example.com/", "https://wandb.internal:8443"]})
    output = result.output
    assert result.returncode == 0, output[-4000:]
    out = tmp_path / "env.json"
    assert json.loads(out.read_text()) == {"slack_client_id": "1234.5678", "slack_secret": SECRET}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "Scope(s): incoming-webhook" in output
    assert "Redirect URL(s): https://wandb.example.com, https://wandb.internal:8443" in output
    assert SECRET not in output


def test_hosts_default_to_the_server_host(tmp_path):
    result = run_playbook(tmp_path, {"slack_client_id": "1", "slack_client_secret": SECRET,
                                     "wandb_server_host": "https://wandb.example.com"})
    output = result.output
    assert result.returncode == 0, output[-4000:]
    assert "Redirect URL(s): https://wandb.example.com" in output and SECRET not in output


def test_missing_secret_names_the_variable(tmp_path):
    result = run_playbook(tmp_path, {"slack_client_id": "1", "wandb_server_host": "https://wandb.example.com"})
    output = result.output
    assert result.returncode != 0
    assert "Set slack_client_id and slack_client_secret" in output, output[-3000:]
