"""Azurite (Blob + Queue emulator) and the local ARM/Event Grid fake for the azure_* module tests.

Both bind 127.0.0.1 on free ports, are started here and stopped by the fixtures' finalizers; Azurite runs under
`timeout` in its own process group (tests/support/emulators.py). Azurite comes from tests/fixtures/azurite (npm,
azurite@3.35.0); when its node_modules is missing it is installed from the lock file with `npm ci` (bounded).
The fake serves HTTPS with a session test CA (tests/support/tls.py), given to the modules as ca_path.
The names of the test account, subscription, resource group and tenant are in azure_testenv.py.
"""
from __future__ import annotations

import base64
import os
import sys
from pathlib import Path

import pytest

from support import emulators
from support.tls import make_tls

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "azure_fake"))
sys.path.insert(0, str(HERE))

from azure_fake import FakeAzure  # noqa: E402
from azure_testenv import ACCOUNT, RESOURCE_GROUP, SUBSCRIPTION, TENANT  # noqa: E402


class Azurite:
    """The session's Azurite (a support.procs.BackgroundProcess) and its test account."""

    def __init__(self, proc, account: str, key: str):
        self.proc, self.account, self.key = proc, account, key

    @property
    def blob_endpoint(self) -> str:
        return "http://127.0.0.1:%d/%s" % (self.proc.ports["blob"], self.account)

    @property
    def queue_endpoint(self) -> str:
        return "http://127.0.0.1:%d/%s" % (self.proc.ports["queue"], self.account)


@pytest.fixture(scope="session")
def account_key() -> str:
    """A random key for the test account (not Azurite's public dev key), so leaks are detectable."""
    return base64.b64encode(os.urandom(64)).decode("ascii")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory, account_key):
    workdir = tmp_path_factory.mktemp("azurite")
    proc = emulators.azurite(workdir / "data", workdir / "azurite.log", ACCOUNT, account_key)
    try:
        proc.wait_ready(30)
        yield Azurite(proc, ACCOUNT, account_key)
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def fake_tls(tmp_path_factory):
    """One test CA and a certificate for 127.0.0.1 for every fake of the session (the fake serves HTTPS, as ARM and
    the identity platform do: azure-identity refuses an http authority)."""
    return make_tls(tmp_path_factory.mktemp("azure-fake-tls"), "azure fake test CA")


@pytest.fixture()
def fake(account_key, fake_tls):
    """A fresh ARM/Event Grid fake whose listKeys hands out the Azurite account's key as key1."""
    server = FakeAzure(resource_groups=[RESOURCE_GROUP], account_keys={ACCOUNT: account_key}, tenant_id=TENANT,
                       tls=fake_tls)
    server.serve()
    yield server
    server.stop()


@pytest.fixture()
def arm_args(fake):
    """Module options for the fake, authenticating with a client secret (azure-identity's ClientSecretCredential)
    through the fake's identity platform, trusting the fake's CA (ca_path)."""
    return dict(subscription_id=SUBSCRIPTION, resource_group=RESOURCE_GROUP, tenant_id=TENANT,
                client_id=fake.client_id, client_secret=fake.client_secret, arm_endpoint=fake.url,
                authority_host=fake.url, ca_path=fake.ca_path)
