"""The role's handler: a play's own task notifies "restart wandb server", and the server is restarted in place (same
container, started again), without its environment in the output."""
from __future__ import annotations

from support.playbooks import run_tasks


def test_a_notified_restart_restarts_the_same_container(instance, docker_client, tmp_path):
    secret = "leakhandler0123456789"
    extra = dict(instance.vars, wandb_server_slack_client_id="slack-1", wandb_server_slack_secret=secret)
    (tmp_path / "first").mkdir()
    (tmp_path / "second").mkdir()
    role = {"name": "Deploy", "ansible.builtin.include_role": {"name": "wandb_local.server.wandb_server"}}
    assert run_tasks(tmp_path / "first", [role], extra, verbose=False, diff=False).returncode == 0
    before = docker_client.api.inspect_container(instance.name)

    notify = {"name": "Change something the server reads", "ansible.builtin.debug": {"msg": "changed"},
              "changed_when": True, "notify": "restart wandb server"}
    result = run_tasks(tmp_path / "second", [role, notify], extra)
    assert result.returncode == 0, result.output[-3000:]
    assert "RUNNING HANDLER [wandb_local.server.wandb_server : Restart W&B server]" in result.output
    assert secret not in result.output
    after = docker_client.api.inspect_container(instance.name)
    assert after["Id"] == before["Id"] and after["State"]["StartedAt"] != before["State"]["StartedAt"]
    assert after["State"]["Running"]
