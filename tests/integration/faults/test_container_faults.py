"""Faults around the server's container (issue 17): the Docker engine going away between the env file and the
container task, or part-way through replacing the container; and two runs at once on one instance.

The engine "goes away" behind a proxy socket of the test's own (docker_proxy_testenv.EngineProxy) that the role
reaches through wandb_server_docker_host; the real engine and other tests' containers are untouched. Each fault:
the failure names its cause (not just "censored"), with no secret; a server is running afterwards (the old one, or
one recreated from the env file); the rerun converges and the run after it changes nothing.
"""
from __future__ import annotations

import json
import os
import re
import tempfile
import threading
import time

import pytest

from docker_proxy_testenv import EngineProxy, create_after_remove, first_community_docker_request
from support.fleet import Fleet
from support.playbooks import REPO, recap

SITE_SERVER_ONLY = REPO / "playbooks" / "site.yml"
HOST = "faulty"
SECRET = "leakcontainer" + os.urandom(8).hex()


def failure_text(output: str) -> str:
    """The messages of the failed tasks (default callback)."""
    return "\n".join(line for line in output.splitlines() if line.startswith("fatal: ["))


@pytest.fixture
def proxy():
    directory = tempfile.mkdtemp(prefix="wdp-")  # short: a unix socket path has at most 107 bytes
    engine = EngineProxy(directory).start()
    yield engine
    engine.stop()
    os.rmdir(directory)


@pytest.fixture
def fleet(tmp_path, standin_image, docker_client, proxy):
    repository, tag = standin_image.rsplit(":", 1)
    instance = Fleet(tmp_path, [HOST], {
        "wandb_server_image": repository, "wandb_server_image_tag": tag,
        "wandb_server_docker_host": proxy.url, "wandb_server_engine_wait": 30,
        "wandb_server_slack_client_id": "slack-client", "wandb_server_slack_secret": SECRET,
    })
    yield instance
    instance.remove(docker_client)


def run(fleet, *options):
    return fleet.run(SITE_SERVER_ONLY, "--skip-tags", "docker_host", *options, timeout=400)


def env_of(container):
    return dict(item.split("=", 1) for item in container.attrs["Config"]["Env"])


def test_engine_gone_between_env_file_and_container_task(fleet, proxy, docker_client):
    assert run(fleet).returncode == 0
    before = fleet.container(docker_client, HOST)
    proxy.cut_when(first_community_docker_request, down_seconds=4)
    result = run(fleet, "-e", "wandb_server_session_length=2h")
    assert result.returncode != 0 and proxy.cuts == 1
    message = failure_text(result.output)
    assert "Docker engine at %s was unreachable during the task" % proxy.url in message, message
    assert "(********)" not in message and "NO_LOG" not in message, message  # the engine's own words are shown
    assert "still running" in message, message
    assert SECRET not in result.output
    after = fleet.container(docker_client, HOST)
    assert after.id == before.id and after.status == "running"  # the old server kept serving
    assert fleet.ready(HOST)

    again = run(fleet, "-e", "wandb_server_session_length=2h")
    assert again.returncode == 0, again.output[-3000:]
    assert env_of(fleet.container(docker_client, HOST))["SESSION_LENGTH"] == "2h"
    assert recap(run(fleet, "-e", "wandb_server_session_length=2h").output)["changed"] == 0


def test_engine_gone_part_way_through_the_replacement_leaves_a_server(fleet, proxy, docker_client):
    assert run(fleet).returncode == 0
    before = fleet.container(docker_client, HOST)
    proxy.cut_when(create_after_remove(proxy), down_seconds=4)
    result = run(fleet, "-e", "wandb_server_session_length=3h")
    assert result.returncode != 0 and proxy.cuts == 1
    message = failure_text(result.output)
    assert "was unreachable during the task" in message, message
    assert "Afterwards the container was absent" in message, message
    assert "is running again" in message, message
    assert SECRET not in result.output
    now = fleet.container(docker_client, HOST)
    assert now.id != before.id and now.status == "running"
    assert env_of(now)["SESSION_LENGTH"] == "3h"  # recreated from the env file the run wrote

    again = run(fleet, "-e", "wandb_server_session_length=3h")
    assert again.returncode == 0, again.output[-3000:]
    assert recap(again.output)["changed"] == 0


def test_two_runs_at_once_take_turns_and_each_report_matches(fleet, proxy, docker_client):
    assert run(fleet).returncode == 0
    results = {}

    def start(value):
        results[value] = run(fleet, "-v", "-e", "wandb_server_session_length=%s" % value)

    threads = [threading.Thread(target=start, args=(value,)) for value in ("4h", "5h")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(500)
    for value, result in results.items():
        assert result.returncode == 0, (value, result.output[-3000:])
        assert "Conflict" not in result.output
    waited = {value: float(re.findall(r'"waited": ([0-9.]+)', result.output)[0]) for value, result in results.items()}
    last = max(waited, key=waited.get)
    assert waited[last] > 0, waited  # one run waited for the other's lock
    assert env_of(fleet.container(docker_client, HOST))["SESSION_LENGTH"] == last


def test_a_held_lock_is_waited_for_within_its_timeout_and_named(fleet, proxy, docker_client):
    assert run(fleet).returncode == 0
    lock = fleet.root / HOST / "etc" / ("%s.lock" % fleet.container_name(HOST))
    lock.write_text(json.dumps({"token": "someone-elses", "owner": "alice running 'site.yml'", "host": "ctl",
                                "since": "2026-11-30T00:00:00Z"}))
    env_file = lock.with_suffix(".env")
    env_before = env_file.read_bytes()
    started = time.monotonic()
    result = run(fleet, "-e", "wandb_server_session_length=6h", "-e", "wandb_server_lock_timeout=3")
    assert result.returncode != 0
    assert time.monotonic() - started < 60
    message = failure_text(result.output)
    assert "another run holds %s" % lock in message and "alice running 'site.yml'" in message, message
    assert env_file.read_bytes() == env_before and lock.exists()

    old = time.time() - 7200  # left behind by a run that was killed two hours ago
    os.utime(lock, (old, old))
    taken = run(fleet, "-e", "wandb_server_session_length=6h")
    assert taken.returncode == 0, taken.output[-3000:]
    assert "took over a lock left behind" in taken.output
    assert not lock.exists()  # released at the end of the run
