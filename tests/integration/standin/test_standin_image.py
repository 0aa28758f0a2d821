"""The stand-in image (TEST FIXTURE) builds, runs as UID 999 on a named volume, and fails on an unwritable /vol."""
from __future__ import annotations

import base64
import json
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BUILD = Path(__file__).resolve().parents[2] / "fixtures" / "standin" / "build.sh"
IMAGE = "wandb-local-test/standin:latest"
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def docker(*args, timeout=60, check=True):
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=check)  # noqa: S603,S607


def http(url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with _OPENER.open(req, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()
    except OSError:
        return None, ""


@pytest.fixture(scope="module")
def image():
    proc = subprocess.run(["bash", str(BUILD), IMAGE], capture_output=True, text=True, timeout=300, check=False)  # noqa: S603,S607
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == IMAGE
    return IMAGE


@pytest.fixture
def names():
    """Unique container and volume names; both removed at teardown."""
    suffix = secrets.token_hex(4)
    made = {"container": f"standin-test-{suffix}", "volume": f"standin-test-vol-{suffix}"}
    yield made
    docker("rm", "-f", made["container"], check=False)
    docker("volume", "rm", "-f", made["volume"], check=False)


def test_image_runs_as_uid_999_on_a_named_volume(image, names):
    key = "local-" + secrets.token_hex(20)
    docker("volume", "create", names["volume"])
    docker("run", "-d", "--name", names["container"], "-v", f"{names['volume']}:/vol", "-p", "127.0.0.1::8080",
           "-e", "STANDIN_STARTUP_SECONDS=1", "-e", f"GLOBAL_ADMIN_API_KEY={key}",
           "-e", "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS=true", image)
    host_port = docker("port", names["container"], "8080/tcp").stdout.strip().splitlines()[0]
    base = "http://" + host_port
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)

    deadline, ready = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        ready = http(base + "/ready")[0]
        if ready == 200:
            break
        time.sleep(0.2)
    assert ready == 200, docker("logs", names["container"]).stdout

    assert docker("exec", names["container"], "id", "-u").stdout.strip() == "999"
    assert docker("exec", names["container"], "id", "-g").stdout.strip() == "0"
    status = json.loads(http(base + "/__standin__/status")[1])
    assert (status["uid"], status["gid"]) == (999, 0)
    listing = docker("exec", names["container"], "ls", "/vol").stdout.split()
    assert {"env", "minio", "mysql"} <= set(listing)

    auth = {"Authorization": "Basic " + base64.b64encode(f"api:{key}".encode()).decode(),
            "Content-Type": "application/json"}
    code, body = http(base + "/graphql", json.dumps({"query": "{ viewer { username admin } }"}).encode(), auth)
    assert code == 200 and json.loads(body)["data"]["viewer"] == {"username": "admin", "admin": True}

    reset = docker("exec", names["container"], "/usr/local/bin/local", "password", "admin@example.com")
    assert re.search(r"^New password for admin@example.com: \S+$", reset.stdout, re.MULTILINE)
    logs = docker("logs", names["container"])
    assert "*** All services started" in logs.stdout + logs.stderr

    began = time.monotonic()
    docker("stop", "--time", "10", names["container"])  # SIGTERM is honoured: no 10 s wait for SIGKILL
    assert time.monotonic() - began < 5
    state = docker("inspect", "--format", "{{.State.ExitCode}}", names["container"]).stdout.strip()
    assert state == "0"


def test_image_exits_with_a_clear_error_when_vol_is_not_writable(image, names):
    bind = Path(tempfile.mkdtemp(prefix="standin-bind-"))
    try:
        bind.chmod(0o755)  # owned by root: UID 999 cannot write, the real server's most reported problem
        proc = docker("run", "--name", names["container"], "-v", f"{bind}:/vol", image, timeout=60, check=False)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "mkdir: cannot create directory '/vol/env': Permission denied" in proc.stdout
        assert "/vol is not writable by uid 999 gid 0" in proc.stdout
    finally:
        shutil.rmtree(bind)
