"""Fixtures for the wandb/local stand-in (a TEST FIXTURE, see tests/fixtures/standin/README.md).

`start_standin(**env)` runs tests/fixtures/standin/server.py as a plain process (under `timeout`, own process
group: tests/support/procs.py) on a free 127.0.0.1 port with its own /vol directory, waits (bounded) for /healthz,
and stops it when the test ends.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from support.procs import BackgroundProcess, free_port

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "standin"
SERVER = FIXTURE_DIR / "server.py"
# Direct connections only: the stand-in is on 127.0.0.1 and nothing else may be contacted.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def new_api_key() -> str:
    """A key in the shape the real server hands out: `local-` + 40 hex characters."""
    return "local-" + secrets.token_hex(20)


class Standin:
    """A running stand-in process and small HTTP helpers for it."""

    def __init__(self, vol: Path, env: dict, startup: float, run_as: int | None = None, script: Path = SERVER):
        self.vol = vol
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = vol.parent / f"standin-{self.port}.log"
        full_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "STANDIN_PORT": str(self.port),
                    "STANDIN_BIND": "127.0.0.1", "STANDIN_VOL": str(vol),
                    "STANDIN_STARTUP_SECONDS": str(startup)}
        full_env.update(env)
        self.env = full_env
        self.background = BackgroundProcess([sys.executable, script], self.log_path, seconds=300, env=full_env,
                                            replace_env=True, user=run_as).start()
        self.proc = self.background.popen

    def wait_healthy(self, deadline: float = 10.0) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise AssertionError(f"stand-in exited with {self.proc.returncode}:\n{self.log()}")
            try:
                if self.get("/healthz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"stand-in did not answer /healthz within {deadline}s:\n{self.log()}")

    def wait_exit(self, deadline: float = 10.0) -> int:
        return self.proc.wait(timeout=deadline)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.background.stop(5)

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with _OPENER.open(req, timeout=5) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def get(self, path: str):
        return self.request("GET", path)

    def graphql(self, query: str, key: str | None = None, variables: dict | None = None):
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = "Basic " + base64.b64encode(f"api:{key}".encode()).decode()
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        status, text = self.request("POST", "/graphql", body, headers)
        return status, json.loads(text)

    def wait_ready(self, deadline: float = 10.0) -> None:
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.get("/ready")[0] == 200:
                return
            time.sleep(0.05)
        raise AssertionError(f"stand-in not ready within {deadline}s:\n{self.log()}")


@pytest.fixture
def start_standin(tmp_path):
    """Factory: start_standin(env={...}, startup=0.0, wait=True) -> a healthy Standin; stopped at teardown."""
    started = []

    def _start(env: dict | None = None, startup: float = 0.0, wait: bool = True, vol: Path | None = None,
               run_as: int | None = None, script: Path = SERVER) -> Standin:
        vol = vol or tmp_path / f"vol{len(started)}"
        vol.mkdir(parents=True, exist_ok=True)
        standin = Standin(vol, env or {}, startup, run_as=run_as, script=script)
        started.append(standin)
        if wait:
            standin.wait_healthy()
        return standin

    yield _start
    for standin in started:
        standin.stop()


@pytest.fixture
def admin_key() -> str:
    return new_api_key()


@pytest.fixture
def admin_env(admin_key) -> dict:
    """The official Helm chart's super-admin key settings."""
    return {"GLOBAL_ADMIN_API_KEY": admin_key, "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS": "true"}
