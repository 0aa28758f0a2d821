"""site.yml over several instances: one batch at a time, stopping at the first failure (fresh deployments; the
upgrade rollouts are in tests/integration/fleet)."""
from __future__ import annotations

import pytest

from support.fleet import Fleet
from support.playbooks import REPO

SITE = REPO / "playbooks" / "site.yml"


@pytest.fixture
def fleet(tmp_path, standin_image, docker_client):
    """Two instances on this machine (each its own container, port, volume, config dir)."""
    fleet = Fleet(tmp_path, ["wandb1", "wandb2"], {"wandb_server_image": standin_image})
    yield fleet
    fleet.remove(docker_client)


def test_serial_rollout_brings_up_every_instance(fleet, docker_client):
    result = fleet.run(SITE, extra_vars={"wandb_rollout_serial": 1})
    assert result.returncode == 0, result.stdout[-3000:]
    assert result.stdout.count("PLAY [Deploy W&B servers]") == 2  # one batch per host
    for host, host_vars in fleet.hosts.items():
        container = fleet.container(docker_client, host)
        assert container.status == "running"
        assert "HOST=%s" % host_vars["wandb_server_host"] in container.attrs["Config"]["Env"]


def test_rollout_stops_at_the_first_instance_that_does_not_become_ready(fleet, docker_client):
    fleet.hosts["wandb1"].update(wandb_server_extra_env={"STANDIN_FAIL_READY": "true"}, wandb_server_health_timeout=3)
    fleet.write()
    result = fleet.run(SITE, extra_vars={"wandb_rollout_serial": 1})
    assert result.returncode != 0
    assert "did not become ready" in result.stdout
    assert not docker_client.containers.list(all=True, filters={"name": fleet.container_name("wandb2")})
