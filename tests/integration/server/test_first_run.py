"""A first run that cannot get the server's image fails before it writes anything, and says how to get it."""
from __future__ import annotations

import pytest

from support.playbooks import REPO, recap
from support.procs import free_port

SITE = REPO / "playbooks" / "site.yml"


@pytest.mark.parametrize("pull", ["missing", "never"])
def test_an_image_that_cannot_be_had_fails_before_anything_is_written(pull, instance, docker_client, playbook):
    # A registry on a closed loopback port: the pull fails at once, like a host with no registry reachable.
    image = "127.0.0.1:%d/wandb/local" % free_port()
    extra = dict(instance.vars, wandb_server_image=image, wandb_server_image_tag="0.99.0",
                 wandb_server_image_pull=pull)
    result = playbook(SITE, extra)
    assert result.returncode != 0
    counters = recap(result.stdout)
    assert counters["failed"] == 1 and counters["changed"] == 0, result.stdout[-3000:]
    assert "Nothing was changed" in result.stdout
    assert "docker load" in result.stdout
    if pull == "missing":
        assert "wandb_server_image" in result.stdout and "wandb_server_image_tag" in result.stdout
    assert not instance.config_dir.exists()
    assert not docker_client.containers.list(all=True, filters={"name": instance.name})
