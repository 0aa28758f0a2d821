"""Every wait of the collection ends by its documented timeout plus at most one request timeout, also against a
server that accepts connections and never answers, and its failure says how long it waited (measured) and what it
last saw (issue 17: with wandb_server_health_timeout 30, a hung /ready failed the run only after 109 s).

Hung endpoints: a FaultProxy in STALL mode (accepts, reads, never answers; connection refused when stopped), or the
stand-in server's test-fixture hang mode (STANDIN_HANG_PATHS=/graphql: /ready answers, /graphql never does;
STANDIN_HANG_PERSIST=true: every later boot on that volume hangs too). Timeouts are short (4-6 s) so the tests are
quick; each bound is the wait's timeout + one request timeout + a little slack (a playbook run adds its start-up).
"""
from __future__ import annotations

import io
import json
import re
import secrets
import sys
import time
import uuid
from pathlib import Path

import pytest

from ansible_collections.wandb_local.server.plugins.modules import admin_check
from ansible_collections.wandb_local.server.plugins.modules import container_log_secret
from ansible_collections.wandb_local.server.plugins.modules import wait_ready
from faults_testenv import STALL, FaultProxy, failure_messages
from support.fixtures import remove_containers
from support.playbooks import REPO, run_playbook, write_play
from support.procs import BackgroundProcess, free_port

WAIT = 6             # the timeout of each wait under test
SLACK = 1.5          # a module run: Python start-up, sockets closing
PLAYBOOK_SLACK = 15  # an ansible-playbook run: start-up, the other tasks of the play, a rescue reading the log
STANDIN = REPO / "tests" / "fixtures" / "standin" / "server.py"
ELAPSED = re.compile(r"waited (\d+(?:\.\d+)?)s")


def timed(run_module, module, args):
    start = time.monotonic()
    result = run_module(module, args)
    return result, time.monotonic() - start


def waited(message: str) -> float:
    """The measured wait a failure message reports ("waited 6.0s")."""
    found = ELAPSED.search(message)
    assert found, message
    return float(found.group(1))


def task_result(output: str, task: str) -> dict:
    """The JSON result (-v, default callback) of the first task whose name ends with `task`."""
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("TASK [") and ("%s]" % task) in line:
            for result_line in lines[index + 1:]:
                if re.match(r"^(ok|changed|failed|fatal): \[", result_line) and "=> {" in result_line:
                    return json.loads(result_line.split("=> ", 1)[1])
    raise AssertionError("no result of %r in:\n%s" % (task, output[-3000:]))


def run_play(workdir: Path, tasks: list, extra_vars: dict, *options):
    workdir.mkdir(parents=True, exist_ok=True)
    play = write_play(workdir / "play.json", tasks=tasks)
    start = time.monotonic()
    result = run_playbook(play, extra_vars, *options, verbose=False, diff=False, timeout=300,
                          env={"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json",
                               # the time of every task, in the output a failed assertion shows
                               "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks"})
    (workdir / "output.txt").write_text(result.output)
    return result, time.monotonic() - start


def include_role(role: str, tasks_from: str = "main") -> list:
    return [{"name": "Run %s (%s)" % (role, tasks_from),
             "ansible.builtin.include_role": {"name": "wandb_local.server.%s" % role, "tasks_from": tasks_from}}]


@pytest.fixture
def stalled():
    """A port that accepts connections and never answers (stop() it: connection refused)."""
    proxy = FaultProxy(free_port(), stall_seconds=60).start(STALL)
    yield proxy
    proxy.stop()


@pytest.fixture
def graphql_hangs(tmp_path):
    """The stand-in as a plain process: /ready answers 200, /graphql accepts and never answers (hang mode)."""
    port = free_port()
    key = "local-" + secrets.token_hex(20)
    proc = BackgroundProcess(
        [sys.executable, STANDIN], tmp_path / "standin.log", seconds=300,
        env={"STANDIN_PORT": str(port), "STANDIN_BIND": "127.0.0.1", "STANDIN_VOL": str(tmp_path / "vol"),
             "STANDIN_STARTUP_SECONDS": "0", "STANDIN_HANG_PATHS": "/graphql", "STANDIN_HANG_SECONDS": "60",
             "GLOBAL_ADMIN_API_KEY": key, "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS": "true"},
        ready_url="http://127.0.0.1:%d/ready" % port, ready_status=200)
    key_file = tmp_path / "admin-api-key"
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    proc.start().wait_ready(20)
    proc.url, proc.key, proc.key_file = "http://127.0.0.1:%d" % port, key, key_file
    yield proc
    proc.stop()


# --- module waits -------------------------------------------------------------------------------------------------
def test_wait_ready_ends_by_its_timeout_and_says_what_it_saw(run_module, stalled, graphql_hangs):
    args = {"url": stalled.url + "/ready", "timeout": WAIT, "delay": 1, "request_timeout": 10}
    hung, seconds = timed(run_module, wait_ready, args)
    assert hung.failed and seconds < WAIT + SLACK, (seconds, hung)
    assert "/ready did not answer 200 within %ds: waited" % WAIT in hung["msg"], hung["msg"]
    assert "last: timed out after" in hung["msg"] and WAIT - 0.5 <= waited(hung["msg"]) <= WAIT + 0.5, hung["msg"]
    assert hung["status"] is None and hung["ready"] is False and hung["last"].startswith("timed out after")

    stalled.stop()
    down, seconds = timed(run_module, wait_ready, dict(args, timeout=3))
    assert down.failed and seconds < 3 + SLACK, (seconds, down)
    assert "within 3s: waited" in down["msg"] and "last: connection refused" in down["msg"], down["msg"]
    assert 2.5 <= waited(down["msg"]) <= 3.5, down["msg"]
    assert down["attempts"] >= 2

    ready = run_module(wait_ready, dict(args, url=graphql_hangs.url + "/ready"))
    assert not ready.failed and ready["ready"] and ready["status"] == 200 and ready["attempts"] == 1, ready


def test_admin_check_ends_by_wait_ready_plus_one_request_timeout(run_module, stalled, graphql_hangs):
    # /ready hangs: the wait ends by wait_ready, though each probe may take 10 s.
    ready_hangs, seconds = timed(run_module, admin_check, {
        "base_url": stalled.url, "api_key_file": str(graphql_hangs.key_file), "wait_ready": WAIT, "timeout": 10})
    assert ready_hangs.failed and seconds < WAIT + SLACK, (seconds, ready_hangs)
    assert "/ready did not answer 200 within %ds: waited" % WAIT in ready_hangs["msg"], ready_hangs["msg"]
    assert "last: timed out after" in ready_hangs["msg"]

    # /ready answers, /graphql hangs: the queries share the wait's deadline (before: 5 retries of 4 s each).
    timeout = 4
    graphql, seconds = timed(run_module, admin_check, {
        "base_url": graphql_hangs.url, "api_key_file": str(graphql_hangs.key_file), "wait_ready": WAIT,
        "timeout": timeout, "retries": 5})
    assert graphql.failed and seconds < WAIT + timeout + SLACK, (seconds, graphql)
    assert "/graphql failed after" in graphql["msg"] and "timed out after" in graphql["msg"], graphql["msg"]
    assert "the check gave up after" in graphql["msg"] and graphql["elapsed"] <= WAIT + timeout + 0.5, graphql
    assert graphql_hangs.key not in json.dumps(graphql)


def test_oidc_verify_ends_by_its_ready_timeout_plus_one_request_timeout(graphql_hangs, tmp_path):
    timeout = 4
    result, seconds = run_play(tmp_path / "verify", include_role("oidc", "verify"), {
        "oidc_verify_base_url": graphql_hangs.url, "oidc_verify_api_key_file": str(graphql_hangs.key_file),
        "oidc_verify_ready_timeout": WAIT, "oidc_verify_timeout": timeout, "oidc_verify_retries": 5})
    message = failure_messages(result.output)
    assert result.returncode != 0, result.output[-3000:]
    assert seconds < WAIT + timeout + PLAYBOOK_SLACK, (seconds, result.output[-3000:])
    assert "timed out after" in message and "the check gave up after" in message, message
    assert graphql_hangs.key not in result.output


def test_container_waits_end_by_their_timeout(run_module, standin, stalled, tmp_path):
    # container_log_secret: a line that never comes.
    dest = tmp_path / "secret"
    start = time.monotonic()
    nothing = run_module(container_log_secret, {"container_name": standin.name, "pattern": r"no such line (\S+)",
                                                "dest": str(dest), "wait_timeout": 4})
    seconds = time.monotonic() - start
    assert nothing.failed and seconds < 4 + SLACK, (seconds, nothing)
    assert "matched the pattern within 4s: waited" in nothing["msg"] and 3.5 <= waited(nothing["msg"]) <= 4.5, nothing
    assert "log line(s), none matched" in nothing["msg"] and not dest.exists()

    # the wandb_server role's health wait (health.yml), the server hung: fails within the timeout, with the log.
    result, seconds = run_play(tmp_path / "health", include_role("wandb_server", "health"), {
        "wandb_server_container_name": standin.name, "wandb_server_port": stalled.port,
        "wandb_server_bind_address": "127.0.0.1", "wandb_server_health_path": "/ready",
        "wandb_server_health_timeout": WAIT, "wandb_server_health_delay": 1, "wandb_server_health_log_lines": 5})
    message = failure_messages(result.output)
    assert result.returncode != 0 and seconds < WAIT + PLAYBOOK_SLACK, (seconds, result.output[-3000:])
    assert "did not become ready at %s/ready" % stalled.url in message, message
    assert "within %d s: waited" % WAIT in message and "last: timed out after" in message, message
    assert "container status: running" in message
    assert WAIT - 0.5 <= float(re.search(r"waited (\S+) s", message).group(1)) <= WAIT + 0.5, message

    assert standin.admin_key not in json.dumps(nothing) and standin.admin_key not in result.output


# --- the upgrade: health gate and the rollback's wait --------------------------------------------------------------
@pytest.fixture
def hung_release(standin_image, docker_client):  # noqa: F811
    """A release whose /ready hangs and whose data makes every later version hang too (persisted hang mode)."""
    tag = "wandb-local-test/standin-hung-%s:0.99.0" % uuid.uuid4().hex[:8]
    dockerfile = "FROM %s\nENV STANDIN_HANG_PATHS=/ready STANDIN_HANG_PERSIST=true STANDIN_HANG_SECONDS=60\n" % (
        standin_image)
    docker_client.images.build(fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, timeout=120)
    yield tag
    docker_client.images.remove(tag, force=True)


def test_upgrade_gate_and_rollback_wait_end_by_their_timeout(standin_image, hung_release, docker_client, tmp_path):
    port = free_port()
    name = "wandb-waits-" + uuid.uuid4().hex[:8]
    repository, tag = standin_image.rsplit(":", 1) if ":" in standin_image.rsplit("/", 1)[-1] else (
        standin_image, "latest")
    server = {"wandb_server_image": repository, "wandb_server_image_tag": tag, "wandb_server_image_pull": "never",
              "wandb_server_container_name": name, "wandb_server_data_volume": name,
              "wandb_server_bind_address": "127.0.0.1", "wandb_server_port": port,
              "wandb_server_host": "http://127.0.0.1:%d" % port, "wandb_server_config_dir": str(tmp_path / "etc"),
              "wandb_server_backup_dir": str(tmp_path / "backups"), "wandb_server_health_delay": 1,
              "wandb_server_health_timeout": 60, "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"}}
    try:
        deployed, _seconds = run_play(tmp_path / "deploy", include_role("wandb_server"), server)
        assert deployed.returncode == 0, deployed.output[-3000:]

        # No backup: the old version goes back onto the data the hung release left, and hangs too.
        hung_repository, hung_tag = hung_release.rsplit(":", 1)
        upgrade = dict(server, wandb_server_image=hung_repository, wandb_server_image_tag=hung_tag,
                       wandb_server_health_timeout=WAIT, wandb_server_backup_before_upgrade=False)
        result, seconds = run_play(tmp_path / "upgrade", include_role("wandb_server"), upgrade, "-v")
        message = failure_messages(result.output)
        assert result.returncode != 0, result.output[-3000:]
        # Two waits of WAIT s each (before: (ceil(6/1) + 1) x (10 + 1) s = 77 s each).
        assert seconds < 2 * WAIT + 2 * PLAYBOOK_SLACK, (seconds, result.output[-3000:])
        assert "did not become ready" in message and "within %d s: waited" % WAIT in message, message
        assert "last: timed out after" in message, message
        assert WAIT - 0.5 <= float(re.search(r"waited (\S+) s", message).group(1)) <= WAIT + 0.5, message
        rollback = task_result(result.output, "Wait for the previous version to be ready")
        assert rollback["ready"] is False and rollback["status"] is None, rollback
        assert WAIT - 0.5 <= rollback["elapsed"] <= WAIT + 0.5, rollback
        assert rollback["last"].startswith("timed out after"), rollback
        assert "/ready did not answer 200 within %ds: waited" % WAIT in rollback["msg"], rollback
        assert "NOT ready" in message, message
    finally:
        remove_containers(docker_client, name)
