# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""pytest fixtures that several test directories use; a conftest.py imports the ones it needs
(`from support.fixtures import moto_endpoint, boto  # noqa: F401`), which makes them its fixtures.

- `moto_endpoint` (session): moto in server mode on a free 127.0.0.1 port, fake AWS credentials with a
  recognisable secret in the environment (restored afterwards); `boto(service)` clients on it; `fake_secret_key`;
- `storage_emulator`, `pubsub_emulator` (session): gcp-storage-emulator, the Pub/Sub emulator on free ports;
- `docker_client` (session): a Docker SDK client of this host's engine (pinged);
- `standin_image` (session): the stand-in server image (tests/fixtures/standin) built as STANDIN_IMAGE:latest;
- `aws_credentials(**values)`: a context manager that sets fake AWS credentials in the environment and restores it.
"""
from __future__ import annotations

import contextlib
import os
import subprocess

import pytest

from support import emulators
from support.playbooks import REPO

FAKE_ACCESS_KEY = "AKIAWANDBLOCALTEST01"
FAKE_SECRET_KEY = "wandbLeakCanarySecretKey0123456789abcdef"
AWS_ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SESSION_TOKEN")
STANDIN_IMAGE = os.environ.get("WANDB_TEST_SERVER_IMAGE", "wandb-local-test/standin")


@contextlib.contextmanager
def aws_credentials(**values):
    """The AWS_* variables of the environment set to ``values`` (profile and session token removed) for the
    duration, then restored as they were."""
    saved = {key: os.environ.get(key) for key in AWS_ENV}
    os.environ.update(values)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def standin_image():
    """The stand-in image (tests/fixtures/standin), built if missing; cheap when cached. Its repository name."""
    subprocess.run(["bash", str(REPO / "tests/fixtures/standin/build.sh"), STANDIN_IMAGE + ":latest"],
                   check=True, capture_output=True, timeout=600)
    return STANDIN_IMAGE


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """The URL of moto_server (started here under `timeout`, stopped at the end of the session)."""
    proc = emulators.moto(tmp_path_factory.mktemp("moto") / "moto.log")
    with aws_credentials(AWS_ACCESS_KEY_ID=FAKE_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=FAKE_SECRET_KEY,
                         AWS_DEFAULT_REGION="us-east-1"):
        try:
            proc.wait_ready(30)
            yield proc.url
        finally:
            proc.stop()


@pytest.fixture
def boto(moto_endpoint):
    """boto3 clients on the moto server: boto('s3'), boto('sqs'), ..."""
    import boto3  # pylint: disable=import-outside-toplevel

    def make(service, region="us-east-1"):
        return boto3.client(service, endpoint_url=moto_endpoint, region_name=region)
    return make


@pytest.fixture
def fake_secret_key(moto_endpoint):
    """The fake secret access key the tests run with (must never show up in output)."""
    return FAKE_SECRET_KEY


def serve(proc, seconds: float):
    """Generator for a fixture: wait (bounded) until the started emulator `proc` is ready, yield its URL, stop it."""
    try:
        proc.wait_ready(seconds)
        yield proc.url
    finally:
        proc.stop()


@pytest.fixture(scope="session")
def storage_emulator(tmp_path_factory):
    """The URL of gcp-storage-emulator (in memory; stopped at the end of the session)."""
    yield from serve(emulators.gcp_storage_emulator(tmp_path_factory.mktemp("gcs") / "emulator.log"), 30)


@pytest.fixture(scope="session")
def pubsub_emulator(tmp_path_factory):
    """The URL of the Pub/Sub emulator of the Google Cloud CLI (stopped at the end of the session)."""
    yield from serve(emulators.pubsub_emulator(tmp_path_factory.mktemp("pubsub") / "emulator.log"), 90)


@pytest.fixture(scope="session")
def docker_client():
    """A Docker SDK client of this host's engine (pinged), closed at the end of the session."""
    import docker  # pylint: disable=import-outside-toplevel

    client = docker.from_env(timeout=60)
    client.ping()
    yield client
    client.close()


def remove_containers(client, *names) -> None:
    """Remove the containers of these names and the named volumes they mount (a recreation mounts /vol by name,
    so the volume outlives any one container)."""
    import docker  # pylint: disable=import-outside-toplevel  # only where it is used

    volumes = set()
    for name in names:
        try:
            container = client.containers.get(name)
        except docker.errors.NotFound:
            continue
        volumes.update(m["Name"] for m in container.attrs.get("Mounts") or [] if m.get("Type") == "volume")
        container.remove(force=True, v=True)
    for volume in volumes:
        try:
            client.volumes.get(volume).remove()
        except docker.errors.NotFound:
            pass
