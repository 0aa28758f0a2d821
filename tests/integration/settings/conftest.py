"""A stand-in W&B server container (tests/fixtures/standin, a TEST FIXTURE, not the W&B server) for the settings,
admin_check, container_log_secret modules and the reset_password/restore_access playbooks.

`server`: a container started through the Docker SDK with the environment of a 0600 docker env file
`<config_dir>/<name>.env`, host network, the image's anonymous /vol volume (quick; for the modules, which read it).
`role_server`: a container deployed by the wandb_server role itself (published port, named volume, hardening,
labels, admin API on), for the playbooks that apply the env file through the role (restore_access.yml).
Each test gets its own container, config dir and port; the finalizer removes the container(s) and their volumes.
"""
from __future__ import annotations

import json
import os
import secrets
import time
import urllib.error
import urllib.request

import pytest

from support.fixtures import docker_client, standin_image  # noqa: F401  pylint: disable=unused-import
from support.fixtures import remove_containers
from support.playbooks import REPO, run_playbook, run_tasks
from support.procs import DIRECT, free_port


def http(url, data=None, timeout=5):
    req = urllib.request.Request(url, data=json.dumps(data).encode() if data is not None else None,
                                 headers={"Content-Type": "application/json"} if data is not None else {})
    try:
        with DIRECT.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


class Server(object):
    def __init__(self, client, image, config_dir, name, port, admin_key):
        self.client = client
        self.image = image
        self.config_dir = config_dir
        self.name = name
        self.port = port
        self.url = "http://127.0.0.1:%d" % port
        self.admin_key = admin_key
        self.env_file = config_dir / ("%s.env" % name)
        self.key_file = config_dir / "admin-api-key"

    def start(self):
        env = {}
        for line in self.env_file.read_text().splitlines():
            if line and not line.startswith("#"):
                k, _sep, v = line.partition("=")
                env[k] = v
        self.client.containers.run(self.image, name=self.name, detach=True, network_mode="host", environment=env)
        self.wait_ready()

    def restart_from_env_file(self):
        """Remove the container and start a new one from the env file, as the wandb_server role's apply_env would
        (the modules only write the file)."""
        self.container().remove(force=True)
        self.start()

    def container(self):
        return self.client.containers.get(self.name)

    def env(self):
        return dict(e.split("=", 1) for e in self.container().attrs["Config"]["Env"])

    def wait_ready(self, deadline=60):
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            try:
                if http(self.url + "/ready", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError("stand-in container %s not ready:\n%s" % (self.name, self.logs()))

    def logs(self):
        return self.container().logs().decode("utf-8", "replace")

    def status(self):
        return json.loads(http(self.url + "/__standin__/status")[1])

    def check_password(self, email, password):
        return json.loads(http(self.url + "/__standin__/check-password", {"email": email, "password": password})[1])

    def remove(self):
        """Remove the container and its /vol volume (named, or the image's anonymous one)."""
        remove_containers(self.client, self.name)


@pytest.fixture
def server(standin_image, docker_client, tmp_path):  # noqa: F811
    config_dir = tmp_path / "etc-wandb-local"
    config_dir.mkdir(mode=0o700)
    name = "wandb-settings-it-" + secrets.token_hex(4)
    port = free_port()
    admin_key = "local-" + secrets.token_hex(20)
    srv = Server(docker_client, standin_image, config_dir, name, port, admin_key)
    srv.env_file.write_text(
        "# rendered like the wandb_server role does\n"
        "STANDIN_PORT=%d\nSTANDIN_BIND=127.0.0.1\nSTANDIN_STARTUP_SECONDS=1\n"
        "HOST=http://127.0.0.1:%d\n"
        "GLOBAL_ADMIN_API_KEY=%s\nGORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS=true\n" % (port, port, admin_key))
    os.chmod(srv.env_file, 0o600)
    srv.key_file.write_text(admin_key + "\n")
    os.chmod(srv.key_file, 0o600)
    try:
        srv.start()
        yield srv
    finally:
        srv.remove()


@pytest.fixture
def role_server(standin_image, docker_client, tmp_path):  # noqa: F811
    """A stand-in server deployed by the wandb_server role (admin API on); `.vars` are its role variables, the
    inventory restore_access.yml must run with."""
    config_dir = tmp_path / "etc-wandb-local"
    name = "wandb-settings-role-" + secrets.token_hex(4)
    port = free_port()
    admin_key = "local-" + secrets.token_hex(20)
    # A tag of this test's own: the shared one may move (another session rebuilds the stand-in) while the test checks
    # that the image the container runs does not change.
    repository = "wandb-local-test/settings-standin-" + secrets.token_hex(4)
    docker_client.images.get(standin_image).tag(repository, "it")
    srv = Server(docker_client, repository + ":it", config_dir, name, port, admin_key)
    srv.vars = {
        "wandb_server_image": repository, "wandb_server_image_tag": "it", "wandb_server_image_pull": "never",
        "wandb_server_container_name": name, "wandb_server_data_volume": name,
        "wandb_server_bind_address": "127.0.0.1", "wandb_server_port": port,
        "wandb_server_host": "http://127.0.0.1:%d" % port, "wandb_server_config_dir": str(config_dir),
        "wandb_server_health_delay": 1, "wandb_server_health_timeout": 60,
        "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
        "wandb_server_admin_api_enabled": True, "wandb_server_admin_api_key": admin_key,
    }
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    try:
        result = run_tasks(deploy, [{"name": "Deploy", "ansible.builtin.include_role": {
            "name": "wandb_local.server.wandb_server"}}], srv.vars, verbose=False, diff=False)
        assert result.returncode == 0, result.output[-3000:]
        yield srv
    finally:
        srv.remove()
        docker_client.images.remove(repository + ":it", noprune=True)  # the tag only


@pytest.fixture(name="playbook")
def playbook_fixture():
    """`playbook(name, extra_vars, check=False, diff=False)` -> (rc, output of ansible-playbook -vvv): a playbook
    of playbooks/ (or a path) from the checkout with `-e wandb_target=localhost` (support.playbooks)."""
    def run(name, extra_vars, check=False, diff=False, timeout=300):
        result = run_playbook(REPO / "playbooks" / name, extra_vars, "-e", "wandb_target=localhost", local=False,
                              check=check, diff=diff, timeout=timeout)
        return result.returncode, result.output
    return run
