"""Fixtures of the fault tests: moto (support.fixtures), a Docker client, the stand-in server image and one stand-in
container per test (host network, its own port, env file and admin key, removed afterwards with its volumes), and a
redis-server started and stopped by the test that needs it."""
from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import time

import pytest

from support.fixtures import boto, docker_client, moto_endpoint  # noqa: F401  pylint: disable=unused-import
from support.fixtures import remove_containers
from support.playbooks import REPO
from support.procs import free_port, url_status

STANDIN_BUILD = REPO / "tests" / "fixtures" / "standin" / "build.sh"


@pytest.fixture(scope="session")
def standin_image():
    """The stand-in image (built if missing; cheap when cached)."""
    out = subprocess.run(["timeout", "300", "bash", str(STANDIN_BUILD)], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


class StandinServer:
    """A stand-in container started the way the wandb_server role starts the real one: environment from a 0600
    docker env file, the admin key in a 0600 file, host network on its own port."""

    def __init__(self, client, image, config_dir, port):
        self.client = client
        self.image = image
        self.name = "wandb-faults-" + secrets.token_hex(4)
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.admin_key = "local-" + secrets.token_hex(20)
        self.env_file = config_dir / ("%s.env" % self.name)
        self.key_file = config_dir / "admin-api-key"
        self.env_file.write_text(
            "STANDIN_PORT=%d\nSTANDIN_BIND=127.0.0.1\nSTANDIN_STARTUP_SECONDS=1\nHOST=http://127.0.0.1:%d\n"
            "GLOBAL_ADMIN_API_KEY=%s\nGORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS=true\n"
            % (port, port, self.admin_key))
        os.chmod(self.env_file, 0o600)
        self.key_file.write_text(self.admin_key + "\n")
        os.chmod(self.key_file, 0o600)

    def start(self, seconds: float = 60):
        env = dict(line.split("=", 1) for line in self.env_file.read_text().splitlines() if "=" in line)
        self.client.containers.run(self.image, name=self.name, detach=True, network_mode="host", environment=env)
        deadline = time.monotonic() + seconds
        while url_status(self.url + "/ready") != 200:
            if time.monotonic() > deadline:
                raise AssertionError("stand-in %s not ready:\n%s" % (self.name, self.container().logs()[-3000:]))
            time.sleep(0.2)

    def container(self):
        return self.client.containers.get(self.name)

    def env(self):
        return dict(item.split("=", 1) for item in self.container().attrs["Config"]["Env"])

    def remove(self):
        """Remove the container(s) of this name and their volumes (a recreation mounts /vol by name)."""
        remove_containers(self.client, *[container.name for container in
                                         self.client.containers.list(all=True, filters={"name": self.name})])


@pytest.fixture
def standin(standin_image, docker_client, tmp_path):  # noqa: F811
    config_dir = tmp_path / "etc-wandb-local"
    config_dir.mkdir(mode=0o700)
    server = StandinServer(docker_client, standin_image, config_dir, free_port())
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def redis_binary():
    found = shutil.which("redis-server")
    if not found:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    return found
