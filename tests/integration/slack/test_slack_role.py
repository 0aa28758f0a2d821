"""The wandb_local.server.slack role via ansible-playbook -vvv (no Slack API is contacted: the role only prints
what the Slack app needs and publishes slack_server_env)."""
from __future__ import annotations

import json
import os
import secrets
import stat
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[3]
SECRET = "slack-" + secrets.token_hex(16)


def run_playbook(tmp_path: Path, extra_vars: dict) -> subprocess.CompletedProcess:
    out = tmp_path / "env.json"
    tasks = [
        {"name": "Run the slack role", "ansible.builtin.include_role": {"name": "wandb_local.server.slack"}},
        {"name": "Keep the published env for the test", "no_log": True,
         "ansible.builtin.copy": {"content": "{{ slack_server_env | to_json }}", "dest": str(out), "mode": "0600"}},
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump([{"name": "slack role test", "hosts": "localhost", "gather_facts": False,
                                         "tasks": tasks}]))
    varsfile = tmp_path / "vars.json"
    varsfile.write_text(json.dumps(dict(extra_vars, ansible_python_interpreter=sys.executable)))
    varsfile.chmod(0o600)
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-vvv", "--diff",
         "-e", "@" + str(varsfile), str(playbook)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_publishes_env_and_prints_redirects_and_scope(tmp_path):
    result = run_playbook(tmp_path, {"slack_client_id": "1234.5678", "slack_client_secret": SECRET,
                                     "slack_hosts": ["https://wandb.example.com/", "https://wandb.internal:8443"]})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    out = tmp_path / "env.json"
    assert json.loads(out.read_text()) == {"SLACK_CLIENT_ID": "1234.5678", "SLACK_SECRET": SECRET}
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert "Scope(s): incoming-webhook" in output
    assert "Redirect URL(s): https://wandb.example.com, https://wandb.internal:8443" in output
    assert SECRET not in output


def test_hosts_default_to_the_server_host(tmp_path):
    result = run_playbook(tmp_path, {"slack_client_id": "1", "slack_client_secret": SECRET,
                                     "wandb_server_host": "https://wandb.example.com"})
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Redirect URL(s): https://wandb.example.com" in output and SECRET not in output


def test_missing_secret_names_the_variable(tmp_path):
    result = run_playbook(tmp_path, {"slack_client_id": "1", "wandb_server_host": "https://wandb.example.com"})
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Set slack_client_id and slack_client_secret" in output, output[-3000:]
