"""Emulators and the API fake for the gcp_* module tests, all on 127.0.0.1, started and stopped here.

- Pub/Sub emulator of the Google Cloud CLI (single java process, `timeout`-bounded; command lines of all
  emulators in tests/support/emulators.py);
- gcp-storage-emulator (buckets, CORS read-back);
  both are fixtures of tests/support/fixtures.py (`pubsub_emulator`, `storage_emulator`);
- tests/fixtures/gcp_fake (notification configs, storage service agent, IAM policies), forwarding bucket and
  topic/subscription calls to the two emulators after checking them.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support import emulators
from support.fixtures import pubsub_emulator, storage_emulator  # noqa: F401  pylint: disable=unused-import

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "gcp_fake"))
sys.path.insert(0, str(HERE))

from gcp_fake import GcpFake  # noqa: E402
from gcp_testenv import PROJECT, PROJECT_NUMBER, SERVER_SA  # noqa: E402


@pytest.fixture(scope="session")
def gcp_fake(pubsub_emulator, storage_emulator):
    fake = GcpFake(project_number=PROJECT_NUMBER, service_accounts=[SERVER_SA],
                   storage_upstream=storage_emulator, pubsub_upstream=pubsub_emulator).start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def fake_requests(gcp_fake):
    """Requests the fake received during one test."""
    start = len(gcp_fake.state.requests)
    return lambda: gcp_fake.state.requests[start:]


@pytest.fixture
def endpoints(gcp_fake):
    """Module options pointing every API at the fake (which forwards to the emulators after checking)."""
    return dict(project=PROJECT, storage_endpoint=gcp_fake.url + "/storage/v1",
                pubsub_endpoint=gcp_fake.url + "/v1", iam_endpoint=gcp_fake.url + "/v1")


@pytest.fixture
def start_fake_gcs(tmp_path):
    """Start fake-gcs-server publishing OBJECT_FINALIZE events to a Pub/Sub emulator topic."""
    procs = []

    def start(pubsub_url, project, topic):
        proc = emulators.fake_gcs_server(tmp_path / "fake-gcs.log", pubsub_url.split("://", 1)[1], project, topic)
        procs.append(proc)
        proc.wait_ready(30)
        return proc.url

    yield start
    for proc in procs:
        proc.stop()
