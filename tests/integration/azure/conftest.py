"""Azurite (Blob + Queue emulator) and the local ARM/Event Grid fake for the azure_* module tests.

Both bind 127.0.0.1 on free ports, are started here and stopped by the fixtures' finalizers; Azurite runs under
`timeout` in its own process group. Azurite comes from tests/fixtures/azurite (npm, azurite@3.35.0); when its
node_modules is missing it is installed from the lock file with `npm ci` (bounded).
"""
from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
AZURITE_DIR = REPO / "tests" / "fixtures" / "azurite"
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "azure_fake"))

from azure_fake import FakeAzure  # noqa: E402

ACCOUNT = "wandbtestacct"
SUBSCRIPTION = "6f1c2a3e-1d4b-4c1e-9a53-0c1b2d3e4f50"
RESOURCE_GROUP = "wandb-rg"
TENANT = "0a1b2c3d-0000-4000-8000-00000000aaaa"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("nothing listens on 127.0.0.1:%d after %ss" % (port, seconds))


def azurite_bin() -> Path:
    binary = AZURITE_DIR / "node_modules" / ".bin" / "azurite"
    if not binary.exists():
        subprocess.run(["timeout", "600", "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                       cwd=AZURITE_DIR, check=True)
    return binary


class Azurite:
    def __init__(self, workdir: Path, account: str, key: str):
        self.account, self.key = account, key
        self.blob_port, self.queue_port, self.table_port = free_port(), free_port(), free_port()
        self.log = open(workdir / "azurite.log", "wb")
        env = dict(os.environ, AZURITE_ACCOUNTS="%s:%s" % (account, key))
        self.popen = subprocess.Popen(
            ["timeout", "1800", str(azurite_bin()), "--silent", "--location", str(workdir / "data"),
             "--blobHost", "127.0.0.1", "--blobPort", str(self.blob_port),
             "--queueHost", "127.0.0.1", "--queuePort", str(self.queue_port),
             "--tableHost", "127.0.0.1", "--tablePort", str(self.table_port),
             "--skipApiVersionCheck", "--loose"],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, env=env)
        wait_port(self.blob_port)
        wait_port(self.queue_port)

    @property
    def blob_endpoint(self) -> str:
        return "http://127.0.0.1:%d/%s" % (self.blob_port, self.account)

    @property
    def queue_endpoint(self) -> str:
        return "http://127.0.0.1:%d/%s" % (self.queue_port, self.account)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self.log.close()


@pytest.fixture(scope="session")
def account_key() -> str:
    """A random key for the test account (not Azurite's public dev key), so leaks are detectable."""
    return base64.b64encode(os.urandom(64)).decode("ascii")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory, account_key):
    server = Azurite(tmp_path_factory.mktemp("azurite"), ACCOUNT, account_key)
    yield server
    server.stop()


@pytest.fixture()
def fake(account_key):
    """A fresh ARM/Event Grid fake whose listKeys hands out the Azurite account's key as key1."""
    server = FakeAzure(resource_groups=[RESOURCE_GROUP], account_keys={ACCOUNT: account_key}, tenant_id=TENANT)
    server.serve()
    yield server
    server.stop()


@pytest.fixture()
def arm_args(fake):
    """Module options for the fake, authenticating with a client secret through the fake's token endpoint."""
    return dict(subscription_id=SUBSCRIPTION, resource_group=RESOURCE_GROUP, tenant_id=TENANT,
                client_id=fake.client_id, client_secret=fake.client_secret, arm_endpoint=fake.url,
                authority_host=fake.url)
