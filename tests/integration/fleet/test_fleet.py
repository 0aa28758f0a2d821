"""Five W&B instances from one inventory: converge, no-change re-run, batched upgrades gated on health, a failed
upgrade that stops the rollout and rolls back, --limit, and the status table.

Each instance is its own inventory host (support.fleet.Fleet: own stand-in container, port, data volume, config
and backup dir), so the instances share nothing but this machine's Docker engine. The tests of this module run in
order on the same fleet (each phase starts from the state the previous one left).
"""
from __future__ import annotations

import io
import json
import os
import re
import stat
import subprocess
import tarfile
import uuid

import pytest

from support.fleet import Fleet
from support.playbooks import REPO

SITE = REPO / "playbooks" / "site.yml"
UPGRADE = REPO / "playbooks" / "upgrade.yml"
STATUS = REPO / "playbooks" / "status.yml"
BUILD = REPO / "tests" / "fixtures" / "standin" / "build.sh"
IMAGE = os.environ.get("WANDB_TEST_FLEET_IMAGE", "wandb-local-test/fleet-standin")
BROKEN_IMAGE = IMAGE + "-broken"
HOSTS = ["fleet%d" % number for number in range(1, 6)]
LICENSE = "eyJhbGciOiJSUzI1NiJ9.%s.c2ln" % uuid.uuid4().hex


def build(tag, version, broken=False):
    env = dict(os.environ, STANDIN_SERVER_VERSION=version, STANDIN_FAIL_READY="true" if broken else "false")
    subprocess.run(["bash", str(BUILD), tag], env=env, check=True, capture_output=True, timeout=600)


@pytest.fixture(scope="module")
def images():
    """Three releases of the stand-in (0.74.0, 0.75.0, 0.76.0) and a broken 0.76.0 whose /ready never answers."""
    build(IMAGE + ":0.74.0", "0.74.0")
    build(IMAGE + ":0.75.0", "0.75.0")
    build(IMAGE + ":0.76.0", "0.76.0")
    build(BROKEN_IMAGE + ":0.76.0", "0.76.0", broken=True)


def recaps(output):
    """PLAY RECAP counters per host (the last recap of the output)."""
    block = output.split("PLAY RECAP")[-1]
    return {host: {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", counters)}
            for host, counters in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", block, re.MULTILINE)}


def events(output):
    """(task name, status, host) for every per-host result line, in output order."""
    task, found = None, []
    for line in output.splitlines():
        header = re.match(r"^TASK \[(?:[\w.]+ : )?(.*?)\] \*+", line)
        if header:
            task = header.group(1)
            continue
        result = re.match(r"^(ok|changed|fatal|failed|skipping): \[([^\]]+)\]", line)
        if result and task:
            found.append((task, result.group(1), result.group(2)))
    return found


def first_index(found, task_prefix, host):
    return min(index for index, (task, _status, name) in enumerate(found) if task.startswith(task_prefix)
               and name == host)


def migrations(client, volume):
    """The stand-in's boot log of versions in the volume (/vol/mysql/standin-migrations)."""
    holder = client.containers.create(IMAGE + ":0.74.0", volumes={volume: {"bind": "/vol", "mode": "ro"}})
    try:
        stream, _stat = holder.get_archive("/vol/mysql/standin-migrations")
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
            return archive.extractfile("standin-migrations").read().decode().split()
    finally:
        holder.remove(force=True)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory, images, docker_client):
    fleet = Fleet(tmp_path_factory.mktemp("fleet"), HOSTS, {
        "wandb_server_image": IMAGE, "wandb_server_image_tag": "0.74.0", "wandb_server_license": LICENSE,
        "wandb_server_admin_api_enabled": True})
    yield fleet
    fleet.remove(docker_client)


def test_converge_brings_every_instance_up(fleet, docker_client):
    result = fleet.run(SITE)
    assert result.returncode == 0, result.stdout[-4000:]
    for host in HOSTS:
        container = fleet.container(docker_client, host)
        assert container.status == "running"
        assert container.attrs["Config"]["Image"] == IMAGE + ":0.74.0"
        assert fleet.ready(host), host


def test_second_converge_changes_nothing(fleet):
    result = fleet.run(SITE)
    assert result.returncode == 0, result.stdout[-4000:]
    counters = recaps(result.stdout)
    assert sorted(counters) == HOSTS
    assert all(counters[host]["changed"] == 0 for host in HOSTS), counters


def test_upgrade_rolls_out_in_batches_gated_on_health(fleet, docker_client):
    started = {host: fleet.container(docker_client, host).attrs["State"]["StartedAt"] for host in HOSTS}
    # One canary, then two batches of two.
    result = fleet.run(UPGRADE, "-e", "server_image_tag=0.75.0", extra_vars={"wandb_rollout_serial": [1, 2, 2]})
    assert result.returncode == 0, result.stdout[-4000:]
    assert result.stdout.count("PLAY [Deploy W&B servers]") == 3
    found = events(result.stdout)
    batches = [["fleet1"], ["fleet2", "fleet3"], ["fleet4", "fleet5"]]
    for done, following in zip(batches, batches[1:]):
        gates_passed = max(first_index(found, "Gate on the settings read-back", host) for host in done)
        next_stop = min(first_index(found, "Stop the server so its data is copied", host) for host in following)
        assert gates_passed < next_stop, "batch %s was stopped before %s passed its gates" % (following, done)
    for host in HOSTS:
        container = fleet.container(docker_client, host)
        assert container.attrs["Config"]["Image"] == IMAGE + ":0.75.0"
        assert container.attrs["State"]["StartedAt"] != started[host]
        assert fleet.ready(host)
        backups = list((fleet.root / host / "backups").glob("*.tar.gz"))
        assert len(backups) == 1 and "0.74.0" in backups[0].name
        assert stat.S_IMODE(backups[0].stat().st_mode) == 0o600
        with tarfile.open(backups[0]) as archive:
            assert "vol/mysql/standin-migrations" in archive.getnames()


def test_upgrade_again_changes_nothing(fleet):
    result = fleet.run(UPGRADE, "-e", "server_image_tag=0.75.0")
    assert result.returncode == 0, result.stdout[-4000:]
    counters = recaps(result.stdout)
    assert all(counters[host]["changed"] == 0 for host in HOSTS), counters


def test_check_mode_upgrade_predicts_and_changes_nothing(fleet, docker_client):
    before = {host: fleet.container(docker_client, host).attrs["State"]["StartedAt"] for host in HOSTS}
    backups = sorted(str(path) for path in fleet.root.glob("*/backups/*"))
    result = fleet.run(UPGRADE, "--check", "-e", "server_image_tag=0.76.0")
    assert result.returncode == 0, result.stdout[-4000:]
    found = events(result.stdout)
    for host in HOSTS:
        predicted = {task for task, status, name in found if name == host and status == "changed"}
        assert {"Stop the server so its data is copied consistently", "Back up the server's data to %s"
                % fleet.hosts[host]["wandb_server_backup_dir"]} <= predicted, predicted
        container = fleet.container(docker_client, host)
        assert container.attrs["Config"]["Image"] == IMAGE + ":0.75.0"
        assert container.attrs["State"]["StartedAt"] == before[host]
    assert sorted(str(path) for path in fleet.root.glob("*/backups/*")) == backups


def test_failed_upgrade_stops_the_rollout_and_rolls_back(fleet, docker_client):
    # The third instance gets a release whose readiness probe never answers.
    fleet.hosts["fleet3"].update(wandb_server_image=BROKEN_IMAGE, wandb_server_health_timeout=5)
    fleet.write()
    untouched = {host: fleet.container(docker_client, host).attrs["State"]["StartedAt"] for host in ("fleet4",
                                                                                                     "fleet5")}
    result = fleet.run(UPGRADE, "-e", "server_image_tag=0.76.0")  # default serial: one canary, then 25%
    assert result.returncode != 0
    assert "did not become ready" in result.stdout
    assert "Rolled back to %s:0.75.0" % IMAGE in result.stdout
    counters = recaps(result.stdout)
    assert counters["fleet3"]["failed"] == 1 and "fleet4" not in counters and "fleet5" not in counters
    for host in ("fleet1", "fleet2"):
        assert fleet.container(docker_client, host).attrs["Config"]["Image"] == IMAGE + ":0.76.0"
        assert fleet.ready(host)
    rolled_back = fleet.container(docker_client, "fleet3")
    assert rolled_back.attrs["Config"]["Image"] == IMAGE + ":0.75.0"
    assert fleet.ready("fleet3")
    # The broken release booted once on the data, and the restored backup does not remember it.
    assert "0.76.0" not in migrations(docker_client, fleet.hosts["fleet3"]["wandb_server_data_volume"])
    for host, started in untouched.items():
        container = fleet.container(docker_client, host)
        assert container.attrs["Config"]["Image"] == IMAGE + ":0.75.0"
        assert container.attrs["State"]["StartedAt"] == started, "%s was touched" % host
        assert fleet.ready(host)


def test_limit_upgrades_only_the_named_instances(fleet, docker_client):
    result = fleet.run(UPGRADE, "-e", "server_image_tag=0.76.0", "--limit", "fleet4,fleet5")
    assert result.returncode == 0, result.stdout[-4000:]
    assert sorted(recaps(result.stdout)) == ["fleet4", "fleet5"]
    images = {host: fleet.container(docker_client, host).attrs["Config"]["Image"] for host in HOSTS}
    assert images == {"fleet1": IMAGE + ":0.76.0", "fleet2": IMAGE + ":0.76.0", "fleet3": IMAGE + ":0.75.0",
                      "fleet4": IMAGE + ":0.76.0", "fleet5": IMAGE + ":0.76.0"}


def test_status_reports_every_instance_with_secrets_masked(fleet, tmp_path):
    status_file = tmp_path / "status.json"
    result = fleet.run(STATUS, "-e", "wandb_status_file=%s" % status_file)
    assert result.returncode == 0, result.stdout[-4000:]
    assert LICENSE not in result.stdout and LICENSE not in status_file.read_text()
    table = [line for line in result.stdout.splitlines() if re.match(r'^\s+"fleet\d\s', line)]
    assert len(table) == 5, result.stdout[-3000:]
    rows = {row["instance"]: row for row in json.loads(status_file.read_text())}
    assert sorted(rows) == HOSTS
    assert rows["fleet3"]["image"] == IMAGE + ":0.75.0" and rows["fleet1"]["image"] == IMAGE + ":0.76.0"
    assert all(row["health"] == "ready" and row["state"] == "running" for row in rows.values())
    assert all(row["license"] == "********" for row in rows.values())
    assert rows["fleet2"]["host"] == fleet.hosts["fleet2"]["wandb_server_host"]
