"""Inventory-driven rollout of several instances: one batch at a time, stopping at the first failure."""
from __future__ import annotations

import json
import sys
import uuid

import docker
import pytest

from support.playbooks import REPO
from support.procs import free_port

SITE = REPO / "playbooks" / "site.yml"


@pytest.fixture
def fleet(tmp_path, standin_image, docker_client):
    """An inventory of two instances on this machine (each its own container, port, volume, config dir)."""
    hosts = {}
    for index in (1, 2):
        name = "wandb-rollout-%d-%s" % (index, uuid.uuid4().hex[:6])
        port = free_port()
        hosts["wandb%d" % index] = {
            "ansible_connection": "local",
            "ansible_python_interpreter": sys.executable,
            "wandb_server_container_name": name,
            "wandb_server_data_volume": name,
            "wandb_server_port": port,
            "wandb_server_host": "http://127.0.0.1:%d" % port,
            "wandb_server_config_dir": str(tmp_path / name),
        }
    group_vars = {
        "wandb_server_image": standin_image, "wandb_server_image_pull": "never",
        "wandb_server_bind_address": "127.0.0.1", "wandb_server_health_delay": 1,
        "wandb_server_health_timeout": 60, "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
    }
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps({"all": {"children": {"wandb_servers": {"hosts": hosts, "vars": group_vars}}}}))
    yield inventory, hosts
    for host in hosts.values():
        for remove in (docker_client.containers, docker_client.volumes):
            try:
                remove.get(host["wandb_server_container_name"]).remove(force=True)
            except docker.errors.NotFound:
                pass


def test_serial_rollout_brings_up_every_instance(fleet, docker_client, playbook):
    inventory, hosts = fleet
    result = playbook(SITE, {"wandb_rollout_serial": 1}, "-i", str(inventory))
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.count("PLAY [Deploy W&B servers]") == 2  # one batch per host
    for host in hosts.values():
        container = docker_client.containers.get(host["wandb_server_container_name"])
        assert container.status == "running"
        assert "HOST=%s" % host["wandb_server_host"] in container.attrs["Config"]["Env"]


def test_rollout_stops_at_the_first_instance_that_does_not_become_ready(fleet, docker_client, tmp_path, playbook):
    inventory, hosts = fleet
    data = json.loads(inventory.read_text())
    first = data["all"]["children"]["wandb_servers"]["hosts"]["wandb1"]
    first["wandb_server_extra_env"] = {"STANDIN_FAIL_READY": "true"}
    first["wandb_server_health_timeout"] = 3
    inventory.write_text(json.dumps(data))
    result = playbook(SITE, {"wandb_rollout_serial": 1}, "-i", str(inventory))
    assert result.returncode != 0
    assert "did not become ready" in result.stdout
    assert not docker_client.containers.list(all=True, filters={"name": hosts["wandb2"]["wandb_server_container_name"]})
