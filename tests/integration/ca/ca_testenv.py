"""Shared pieces of the custom-CA and hardening tests (tests/integration/ca).

- `internal_ca` (session): a CA made with openssl and a server certificate it signed for 127.0.0.1/localhost, plus an
  unrelated CA (tests/support/tls.py);
- `https_oidc_provider` (session): the real OpenID provider (npm oidc-provider, tests/fixtures/oidc_provider) serving
  HTTPS with that certificate;
- `https_s3` (session): moto in server mode serving HTTPS with that certificate;
- `tls_redis` (session): redis-server with only a TLS port, that certificate and a password;
- `server_instance`: one W&B server instance of a test (own container, volume, config dir, port on 127.0.0.1),
  removed afterwards; `run_site(instance, extra)` runs playbooks/site.yml on it.
"""
from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from support.fixtures import aws_credentials, remove_containers
from support.playbooks import REPO, run_playbook
from support.procs import BackgroundProcess, free_port
from support.tls import make_tls

OIDC_FIXTURE = REPO / "tests" / "fixtures" / "oidc_provider"
REDIS_PASSWORD = "ca-Redis-" + secrets.token_hex(6)


@pytest.fixture(scope="session")
def internal_ca(tmp_path_factory):
    """Paths: ca (the internal CA), cert/key (127.0.0.1 and localhost, signed by it), other_ca (unrelated)."""
    return make_tls(tmp_path_factory.mktemp("internal-ca"), "wandb-local test internal CA",
                    san="IP:127.0.0.1,DNS:localhost", other_ca=True)


@pytest.fixture(scope="session")
def https_oidc_provider(tmp_path_factory, internal_ca):
    """{"issuer": https://127.0.0.1:PORT}: oidc-provider over HTTPS with the internal CA's certificate."""
    if not (OIDC_FIXTURE / "node_modules" / "oidc-provider").is_dir():
        if not shutil.which("npm"):
            pytest.fail("node/npm are needed for the OIDC tests (Node 20+; tests/setup.sh installs them)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_FIXTURE, check=True, timeout=300,
                       capture_output=True)
    port = free_port()
    env = {"OIDC_PORT": str(port), "OIDC_TLS_CERT": str(internal_ca["cert"]), "OIDC_TLS_KEY": str(internal_ca["key"])}
    proc = BackgroundProcess(["node", "server.mjs"], tmp_path_factory.mktemp("oidc") / "provider.log", seconds=1200,
                             env=env, cwd=OIDC_FIXTURE, capture_stdout=True).start()
    try:
        line = proc.read_line(30)
        if not line.startswith("listening "):
            raise RuntimeError("oidc-provider did not start: %r; log: %s" % (line, proc.log_text()[-2000:]))
        yield {"issuer": line.split(" ", 1)[1].strip()}
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def https_s3(tmp_path_factory, internal_ca):
    """The https:// URL of moto (S3) serving the internal CA's certificate; fake credentials in the environment."""
    port = free_port()
    tool = Path(sys.executable).parent / "moto_server"
    proc = BackgroundProcess([tool if tool.exists() else "moto_server", "-H", "127.0.0.1", "-p", port,
                              "-c", internal_ca["cert"], "-k", internal_ca["key"]],
                             tmp_path_factory.mktemp("moto-https") / "moto.log", seconds=1200, ready_ports=(port,))
    with aws_credentials(AWS_ACCESS_KEY_ID="AKIAWANDBCATEST00001", AWS_SECRET_ACCESS_KEY="ca-test-secret-key"):
        try:
            proc.start().wait_ready(30)
            yield "https://127.0.0.1:%d" % port
        finally:
            proc.stop()


@pytest.fixture(scope="session")
def tls_redis(tmp_path_factory, internal_ca):
    """{"port", "password"}: redis-server listening only with TLS, the internal CA's certificate."""
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (tests/setup.sh: apt-get install redis-server)")
    directory = tmp_path_factory.mktemp("redis-tls")
    tls_port = free_port()
    conf = directory / "redis.conf"
    conf.write_text("\n".join([
        "bind 127.0.0.1", "port 0", "tls-port %d" % tls_port, "tls-cert-file %s" % internal_ca["cert"],
        "tls-key-file %s" % internal_ca["key"], "tls-ca-cert-file %s" % internal_ca["ca"], "tls-auth-clients no",
        "daemonize no", 'save ""', "appendonly no", "dir %s" % directory, 'requirepass "%s"' % REDIS_PASSWORD, ""]))
    conf.chmod(0o600)
    proc = BackgroundProcess(["redis-server", conf], directory / "redis.log", seconds=1200, ready_ports=(tls_port,))
    try:
        proc.start().wait_ready(10)
        yield {"port": tls_port, "password": REDIS_PASSWORD}
    finally:
        proc.stop()


class Instance:
    """One W&B server of a test: its own container, volume, config dir and port (published on 127.0.0.1)."""

    def __init__(self, tmp_path, image):
        self.name = "wandb-ca-" + uuid.uuid4().hex[:8]
        self.port = free_port()
        self.config_dir = tmp_path / "etc"
        self.vars = {
            "wandb_server_image": image, "wandb_server_image_tag": "latest", "wandb_server_image_pull": "never",
            "wandb_server_container_name": self.name, "wandb_server_data_volume": self.name,
            "wandb_server_bind_address": "127.0.0.1", "wandb_server_port": self.port,
            "wandb_server_host": "http://127.0.0.1:%d" % self.port, "wandb_server_config_dir": str(self.config_dir),
            "wandb_server_health_delay": 1, "wandb_server_health_timeout": 60,
            "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
        }

    @property
    def ca_dir(self) -> Path:
        return self.config_dir / "ca-certificates"


@pytest.fixture
def server_instance(tmp_path, standin_image, docker_client):  # noqa: F811  pylint: disable=redefined-outer-name
    inst = Instance(tmp_path, standin_image)
    yield inst
    remove_containers(docker_client, inst.name)


def run_site(extra: dict, *options, playbook: str = "site.yml", timeout: int = 300):
    """ansible-playbook playbooks/<playbook> with the repository's inventory (localhost in wandb_servers) and `extra`
    as extra vars, no -vvv."""
    return run_playbook(REPO / "playbooks" / playbook, extra, *options, local=False, verbose=False, diff=False,
                        timeout=timeout, env={"ANSIBLE_STDOUT_CALLBACK": "default"})
