"""One stand-in W&B server container (tests/fixtures/standin, a TEST FIXTURE, not the W&B server) for the admin API
modules (user, team, service_account, users_info, team_info, server_info), shared by the tests of the module.

`org_api_server` (module scope): host network on a free 127.0.0.1 port, the super-admin key on (the Helm chart's
GLOBAL_ADMIN_API_KEY + GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS), the key also in a 0600 file; the container and
its /vol volume are removed at the end. `sdk_env`: an isolated environment for the real wandb SDK (no WANDB_*
inherited, its own HOME/netrc, proxies pointed at a closed port with only 127.0.0.1 exempt)."""
from __future__ import annotations

import os
import secrets
import sys
import time

import pytest

from support.fixtures import docker_client, standin_image  # noqa: F401  pylint: disable=unused-import
from support.fixtures import remove_containers
from support.procs import free_port, url_status

VENV_BIN = os.path.dirname(sys.executable)


class OrgApiServer(object):
    def __init__(self, client, name, port, key, key_file):
        self.client, self.name, self.port, self.key, self.key_file = client, name, port, key, key_file
        self.url = "http://127.0.0.1:%d" % port

    def container(self):
        return self.client.containers.get(self.name)

    def wait_ready(self, seconds=60):
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if url_status(self.url + "/ready") == 200:
                return
            time.sleep(0.2)
        raise AssertionError("stand-in %s not ready:\n%s" % (self.name, self.container().logs().decode()[-3000:]))

    def restart(self):
        self.container().restart(timeout=10)
        self.wait_ready()


@pytest.fixture(scope="module")
def org_api_server(standin_image, docker_client, tmp_path_factory):  # noqa: F811
    workdir = tmp_path_factory.mktemp("org-api")
    name = "wandb-org-api-it-" + secrets.token_hex(4)
    port = free_port()
    key = "local-" + secrets.token_hex(20)
    key_file = workdir / "admin-api-key"
    key_file.write_text(key + "\n")
    os.chmod(key_file, 0o600)
    env = {"STANDIN_PORT": str(port), "STANDIN_BIND": "127.0.0.1", "STANDIN_STARTUP_SECONDS": "1",
           "HOST": "http://127.0.0.1:%d" % port, "GLOBAL_ADMIN_API_KEY": key,
           "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS": "true"}
    server = OrgApiServer(docker_client, name, port, key, key_file)
    try:
        docker_client.containers.run(standin_image, name=name, detach=True, network_mode="host", environment=env)
        server.wait_ready()
        yield server
    finally:
        remove_containers(docker_client, name)


@pytest.fixture(scope="module")
def sdk_env(tmp_path_factory):
    home = tmp_path_factory.mktemp("sdk-home")
    (home / "tmp").mkdir()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("WANDB_", "HTTP", "NO_PROXY"))}
    env.update({
        "PATH": "%s:%s" % (VENV_BIN, os.environ.get("PATH", "/usr/bin:/bin")),
        "HOME": str(home), "WANDB_CONFIG_DIR": str(home / ".config" / "wandb"), "WANDB_DIR": str(home),
        "WANDB_CACHE_DIR": str(home / ".cache"), "WANDB_DATA_DIR": str(home / ".data"),
        "NETRC": str(home / ".netrc"), "TMPDIR": str(home / "tmp"), "WANDB_ERROR_REPORTING": "false",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost",
    })
    return env
