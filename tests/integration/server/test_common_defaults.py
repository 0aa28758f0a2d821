# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The shared variables of roles/_common reach a role that depends on it however the role is run - `roles:`,
include_role, import_role, with tasks_from - and cost no task; behind the front door HOST and the bind address follow
it unless the inventory sets them. Offline: a throw-away role depending on wandb_local.server._common, on localhost."""
from __future__ import annotations

import json
import re

import pytest

from support.playbooks import run_playbook

SHOW = "SHARED {{ {'host': wandb_server_host, 'bind': wandb_server_bind_address, 'port': wandb_server_port, " \
       "'docker': wandb_server_docker_host, 'config_dir': wandb_server_config_dir} | to_json }}"


@pytest.fixture(name="probe_play")
def probe_play_fixture(tmp_path):
    """A role `probe` (meta: depends on wandb_local.server._common; tasks main and other, each one debug task) and a
    playbook running it four ways."""
    role = tmp_path / "roles" / "probe"
    (role / "meta").mkdir(parents=True)
    (role / "tasks").mkdir()
    (role / "meta" / "main.yml").write_text(json.dumps({"dependencies": [{"role": "wandb_local.server._common"}]}))
    for entry in ("main", "other"):
        (role / "tasks" / ("%s.yml" % entry)).write_text(json.dumps([
            {"name": "probe %s" % entry, "ansible.builtin.debug": {"msg": SHOW}}]))
    play = {"hosts": "all", "gather_facts": False}
    plays = [
        dict(play, name="roles keyword", roles=["probe"]),
        dict(play, name="include_role", tasks=[
            {"name": "include", "ansible.builtin.include_role": {"name": "probe"}},
            {"name": "include other", "ansible.builtin.include_role": {"name": "probe", "tasks_from": "other"}}]),
        dict(play, name="import_role", tasks=[
            {"name": "import other", "ansible.builtin.import_role": {"name": "probe", "tasks_from": "other"}}]),
    ]
    path = tmp_path / "probe.yml"
    path.write_text(json.dumps(plays))
    return path


def shown(result):
    return [json.loads(json.loads("{%s}" % line.strip().rstrip(","))["msg"][len("SHARED "):])
            for line in result.output.splitlines() if '"msg": "SHARED ' in line]


def run(play, tmp_path, host_vars):
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"all": {"hosts": {"wandb1.example.com": dict(
        {"ansible_connection": "local"}, **host_vars)}}}))
    return run_playbook(play, None, "-i", str(inventory), local=False, verbose=False, diff=False, timeout=120,
                        env={"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_ROLES_PATH": str(tmp_path / "roles")})


def test_every_way_of_running_a_role_sees_the_shared_defaults_at_no_cost(probe_play, tmp_path):
    result = run(probe_play, tmp_path, {})
    assert result.returncode == 0, result.output[-3000:]
    expected = {"host": "http://wandb1.example.com:8080", "bind": "0.0.0.0", "port": 8080,
                "docker": "unix:///var/run/docker.sock", "config_dir": "/etc/wandb-local"}
    assert shown(result) == [expected] * 4
    # Only the probe's own tasks and the include_role lines ran: _common adds none (no tasks, no `main` spec).
    tasks = re.findall(r"^TASK \[(.*?)\]", result.output, re.MULTILINE)
    assert not [task for task in tasks if "_common" in task], tasks
    assert result.recap()["ok"] == 4 + 2


def test_behind_the_front_door_host_and_bind_address_follow_it_unless_set(probe_play, tmp_path):
    door = {"front_door_name": "WandB.Example.com", "front_door_https_port": 8443}
    followed = shown(run(probe_play, tmp_path, door))
    assert {(item["host"], item["bind"]) for item in followed} == {("https://wandb.example.com:8443", "127.0.0.1")}
    on_443 = shown(run(probe_play, tmp_path, {"front_door_name": "wandb.example.com"}))
    assert {item["host"] for item in on_443} == {"https://wandb.example.com"}
    absent = shown(run(probe_play, tmp_path, dict(door, front_door_state="absent")))
    assert {(item["host"], item["bind"]) for item in absent} == {("http://wandb1.example.com:8080", "0.0.0.0")}
    inventory_wins = shown(run(probe_play, tmp_path, dict(door, wandb_server_host="https://w.example.org",
                                                          wandb_server_bind_address="10.0.0.5",
                                                          wandb_server_port=18080)))
    assert {(item["host"], item["bind"], item["port"]) for item in inventory_wins} == {
        ("https://w.example.org", "10.0.0.5", 18080)}


@pytest.mark.parametrize("engine, docker_host, decided", [
    ("auto", "unix:///run/no-such-docker.sock", "install"),
    ("auto", "tcp://127.0.0.1:2375", "leave"),        # an engine over TCP or SSH is managed elsewhere
    ("present", "ssh://docker@engine.example.com", "leave"),
    ("present", "unix:///run/no-such-docker.sock", "fail"),
])
def test_docker_host_looks_for_the_engine_of_wandb_server_docker_host(tmp_path, engine, docker_host, decided):
    # One Docker socket variable: the docker_host role looks for the engine every container of the instance uses.
    play = tmp_path / "docker_host.yml"
    play.write_text(json.dumps([{"name": "docker_host checks", "hosts": "all", "gather_facts": False, "tasks": [
        {"name": "checks", "ansible.builtin.include_role": {"name": "wandb_local.server.docker_host",
                                                            "tasks_from": "preflight"}},
        {"name": "show", "ansible.builtin.debug": {"msg": "DECIDED {{ _docker_host_install_engine }}"}}]}]))
    result = run_playbook(play, {"docker_host_engine": engine, "wandb_server_docker_host": docker_host},
                          verbose=False, diff=False, timeout=120, env={"ANSIBLE_STDOUT_CALLBACK": "default"})
    if decided == "fail":
        assert result.returncode != 0
        assert ("no Docker Engine socket exists at /run/no-such-docker.sock (wandb_server_docker_host: %s)"
                % docker_host) in result.output, result.output[-3000:]
    else:
        assert result.returncode == 0, result.output[-3000:]
        assert '"msg": "DECIDED %s"' % (decided == "install") in result.output, result.output[-3000:]
