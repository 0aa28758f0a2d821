# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Emulators for the hardening tests, all on 127.0.0.1, each started only when a case needs it.

The shared ones come from tests/support/fixtures.py (moto, gcp-storage-emulator, the Pub/Sub emulator, the Docker
client); the ones defined here are the hardening suite's own because they carry this suite's random secrets:
- `hardening_secrets` (session): one random token per secret the roles take (see hardening_testenv.SECRET_NAMES);
- `hardening_gcp_fake`: the GCP API fake (tests/fixtures/gcp_fake) in front of both GCP emulators;
- `hardening_azurite`: Azurite whose only account has a random key; `hardening_arm_fake(...)` makes a fresh
  ARM/Event Grid fake (an unknown account each time = a fresh target) whose client secret is a random token;
- `hardening_redis`: redis-server whose password is the random Redis token;
- `hardening_oidc_issuer`: the real OpenID provider (npm oidc-provider, tests/fixtures/oidc_provider);
- `standin_image`, `redis_image`: the local images the server and local-Redis cases run (built when missing).
Every process runs under `timeout` in its own process group and is stopped by its fixture's finalizer.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import emulators
from support.fixtures import (  # noqa: F401  pylint: disable=unused-import
    docker_client,
    moto_endpoint,
    pubsub_emulator,
    storage_emulator,
)
from support.playbooks import REPO
from support.procs import BackgroundProcess, free_port

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "gcp_fake"))
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "azure_fake"))

from azure_fake import FakeAzure  # noqa: E402
from gcp_fake import GcpFake  # noqa: E402
from hardening_testenv import (  # noqa: E402
    AZURE_ACCOUNT,
    AZURE_RESOURCE_GROUP,
    AZURE_TENANT,
    GCP_PROJECT_NUMBER,
    GCP_SERVER_SA,
    make_secrets,
)

OIDC_FIXTURE = REPO / "tests" / "fixtures" / "oidc_provider"


@pytest.fixture(scope="session")
def hardening_secrets():
    return make_secrets()


@pytest.fixture(scope="session")
def hardening_gcp_fake(storage_emulator, pubsub_emulator):  # noqa: F811
    fake = GcpFake(project_number=GCP_PROJECT_NUMBER, service_accounts=[GCP_SERVER_SA],
                   storage_upstream=storage_emulator, pubsub_upstream=pubsub_emulator).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture(scope="session")
def hardening_azurite(tmp_path_factory, hardening_secrets):
    workdir = tmp_path_factory.mktemp("azurite")
    proc = emulators.azurite(workdir / "data", workdir / "azurite.log", AZURE_ACCOUNT,
                             hardening_secrets["azure_account_key"])
    try:
        proc.wait_ready(30)
        yield proc
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def hardening_arm_fake(hardening_secrets):
    """`make()`: a new ARM/Event Grid fake (no storage account yet); all are stopped at the end."""
    fakes = []

    def make():
        fake = FakeAzure(resource_groups=[AZURE_RESOURCE_GROUP], client_secret=hardening_secrets["azure_client_secret"],
                         account_keys={AZURE_ACCOUNT: hardening_secrets["azure_account_key"]}, tenant_id=AZURE_TENANT)
        fake.serve()
        fakes.append(fake)
        return fake
    yield make
    for fake in fakes:
        fake.stop()


@pytest.fixture(scope="session")
def hardening_redis(tmp_path_factory, hardening_secrets):
    """redis-server on a free port, password = the Redis token; its port."""
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    directory = tmp_path_factory.mktemp("redis")
    port = free_port()
    conf = directory / "redis.conf"
    conf.write_text('bind 127.0.0.1\nport %d\nsave ""\nappendonly no\ndir %s\nrequirepass "%s"\n'
                    % (port, directory, hardening_secrets["redis_password"]))
    conf.chmod(0o600)
    proc = BackgroundProcess(["redis-server", conf], directory / "redis.log", seconds=1200,
                             ready_ports=(port,)).start()
    try:
        proc.wait_ready(10)
        yield port
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def hardening_oidc_issuer(tmp_path_factory):
    """The issuer URL of a real OpenID provider with the clients wandb-implicit and wandb-pkce."""
    if not (OIDC_FIXTURE / "node_modules" / "oidc-provider").is_dir():
        subprocess.run(["timeout", "300", "npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_FIXTURE, check=True,
                       capture_output=True)
    proc = BackgroundProcess(["node", "server.mjs"], tmp_path_factory.mktemp("oidc") / "provider.log",
                             seconds=1200, env={"OIDC_PORT": str(free_port())}, cwd=OIDC_FIXTURE,
                             capture_stdout=True).start()
    try:
        line = proc.read_line(30)
        if not line.startswith("listening "):
            raise RuntimeError("oidc-provider did not start: %r; log: %s" % (line, proc.log_text()[-2000:]))
        yield line.split(" ", 1)[1].strip()
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def standin_image():
    tag = "wandb-local-test/standin:latest"
    subprocess.run(["bash", str(REPO / "tests/fixtures/standin/build.sh"), tag], check=True, capture_output=True,
                   timeout=600)
    return tag


@pytest.fixture(scope="session")
def redis_image():
    tag = "wandb-local-test/redis:7"
    subprocess.run(["bash", str(REPO / "tests/fixtures/redis_image/build.sh"), tag], check=True,
                   capture_output=True, timeout=900)
    return tag
