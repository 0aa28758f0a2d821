"""Fixtures for running the collection's playbooks against the stand-in server image on this host."""
from __future__ import annotations

import uuid

import docker
import pytest

from support.fixtures import docker_client, standin_image  # noqa: F401  pylint: disable=unused-import
from support.playbooks import run_playbook
from support.procs import free_port


class Instance:
    """One W&B server instance of a test: its own container, volume, config dir and port."""

    def __init__(self, tmp_path, port, image):
        self.name = "wandb-pytest-" + uuid.uuid4().hex[:8]
        self.port = port
        self.config_dir = tmp_path / "etc"
        self.vars = {
            "wandb_server_image": image,
            "wandb_server_image_tag": "latest",
            "wandb_server_image_pull": "never",
            "wandb_server_container_name": self.name,
            "wandb_server_data_volume": self.name,
            "wandb_server_bind_address": "127.0.0.1",
            "wandb_server_port": port,
            "wandb_server_host": "http://127.0.0.1:%d" % port,
            "wandb_server_config_dir": str(self.config_dir),
            "wandb_server_health_delay": 1,
            "wandb_server_health_timeout": 60,
            "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
        }

    @property
    def env_file(self):
        return self.config_dir / (self.name + ".env")

    @property
    def base_url(self):
        return "http://127.0.0.1:%d" % self.port


@pytest.fixture
def instance(tmp_path, standin_image, docker_client):
    inst = Instance(tmp_path, free_port(), standin_image)
    yield inst
    try:
        docker_client.containers.get(inst.name).remove(force=True)
    except docker.errors.NotFound:
        pass
    try:
        docker_client.volumes.get(inst.name).remove(force=True)
    except docker.errors.NotFound:
        pass


@pytest.fixture(name="playbook")
def playbook_fixture():
    """`playbook(path, extra_vars, *options)`: ansible-playbook from the checkout with the inventory of ansible.cfg
    (support.playbooks.run_playbook; options such as -vvv, --diff, -i are given by the test)."""
    def run(path, extra_vars, *options, env=None):
        return run_playbook(path, extra_vars, *options, local=False, verbose=False, diff=False, timeout=600,
                            env=dict({"ANSIBLE_STDOUT_CALLBACK": "default"}, **(env or {})))
    return run
