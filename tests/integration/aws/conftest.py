"""moto in server mode on 127.0.0.1, started and stopped by the tests.

`moto_endpoint` (session scope) starts `moto_server` on a free port under `timeout`, waits (bounded) until it
answers, sets fake credentials with a recognisable secret in the environment, and stops the server at the end.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent
FAKE_ACCESS_KEY = "AKIAWANDBLOCALTEST01"
FAKE_SECRET_KEY = "wandbLeakCanarySecretKey0123456789abcdef"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _moto_server() -> str:
    candidate = VENV_BIN / "moto_server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("moto_server")
    assert found, "moto_server not found: pip install 'moto[server]'"
    return found


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            ["timeout", "1200", _moto_server(), "-H", "127.0.0.1", "-p", str(port)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = "http://127.0.0.1:%d" % port
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                                            "AWS_PROFILE", "AWS_SESSION_TOKEN")}
    os.environ.update(AWS_ACCESS_KEY_ID=FAKE_ACCESS_KEY, AWS_SECRET_ACCESS_KEY=FAKE_SECRET_KEY,
                      AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=2).read()  # noqa: S310
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto_server did not start: " + log.read_text(errors="replace"))
                time.sleep(0.2)
        yield endpoint
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def boto(moto_endpoint):
    """boto3 clients on the moto server: boto('s3'), boto('sqs'), ..."""
    import boto3

    def make(service, region="us-east-1"):
        return boto3.client(service, endpoint_url=moto_endpoint, region_name=region)
    return make


@pytest.fixture
def fake_secret_key(moto_endpoint):
    """The fake secret access key the tests run with (must never show up in output)."""
    return FAKE_SECRET_KEY
