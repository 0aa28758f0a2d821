"""The real wandb SDK (PyPI, installed in the test venv) logs in to the stand-in the way a user would.

Each SDK run is a subprocess with an isolated HOME / WANDB_CONFIG_DIR / NETRC / TMPDIR, no WANDB_* settings
inherited (so no WANDB_MODE, no key, no base URL), and HTTP(S) proxies pointed at a closed local port with
only 127.0.0.1 exempt: anything the SDK tried to reach besides the stand-in would fail.
"""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

VENV_BIN = Path(sys.executable).parent
WANDB_CLI = VENV_BIN / "wandb"


def new_api_key() -> str:
    return "local-" + secrets.token_hex(20)


@pytest.fixture
def sdk_env(tmp_path):
    home = tmp_path / "home"
    (home / "tmp").mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("WANDB_", "HTTP", "NO_PROXY"))}
    env.update({
        "PATH": f"{VENV_BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(home),
        "WANDB_CONFIG_DIR": str(home / ".config" / "wandb"),
        "WANDB_DIR": str(home),
        "WANDB_CACHE_DIR": str(home / ".cache"),
        "WANDB_DATA_DIR": str(home / ".data"),
        "NETRC": str(home / ".netrc"),
        "TMPDIR": str(home / "tmp"),
        "WANDB_ERROR_REPORTING": "false",
        "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
        "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost",
    })
    return env


def run(cmd, env, timeout=120):
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, check=False)  # noqa: S603


def graphql_requests(standin):
    return [r for r in json.loads(standin.get("/__standin__/requests")[1]) if r["path"] == "/graphql"]


def test_wandb_login_cli_with_admin_key_writes_netrc(start_standin, admin_key, admin_env, sdk_env):
    standin = start_standin(env=admin_env)
    standin.wait_ready()
    proc = run([str(WANDB_CLI), "login", "--host", standin.url, admin_key], sdk_env)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert f"Currently logged in as: admin to {standin.url}" in output
    netrc = Path(sdk_env["NETRC"])
    host = standin.url.split("://", 1)[1]
    assert f"machine {host}\n  login user\n  password {admin_key}\n" in netrc.read_text()
    assert netrc.stat().st_mode & 0o077 == 0
    settings = Path(sdk_env["WANDB_CONFIG_DIR"], "settings").read_text()
    assert f"base_url = {standin.url}" in settings
    sent = graphql_requests(standin)
    assert sent, "the SDK verified nothing"
    assert all(r["api_key_sha256"] == hashlib.sha256(admin_key.encode()).hexdigest() for r in sent)
    assert any("query Viewer" in r["body"] for r in sent)


def test_wandb_login_cli_with_provisioned_user_key(start_standin, sdk_env):
    standin = start_standin()
    key = new_api_key()
    (standin.vol / "env" / "standin-api-keys").write_text(f"{key} alice alice@example.com\n")
    standin.wait_ready()
    proc = run([str(WANDB_CLI), "login", "--host", standin.url, key], sdk_env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Currently logged in as: alice" in proc.stdout + proc.stderr
    assert key in Path(sdk_env["NETRC"]).read_text()


def test_wandb_login_cli_refuses_a_wrong_key(start_standin, admin_env, sdk_env):
    standin = start_standin(env=admin_env)
    standin.wait_ready()
    wrong = new_api_key()
    proc = run([str(WANDB_CLI), "login", "--host", standin.url, wrong], sdk_env)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0, output
    assert "permission denied" in output
    netrc = Path(sdk_env["NETRC"])
    assert not netrc.exists() or wrong not in netrc.read_text()
    assert any(r["api_key_sha256"] == hashlib.sha256(wrong.encode()).hexdigest() for r in graphql_requests(standin))


LOGIN_SCRIPT = textwrap.dedent("""
    import json, sys, wandb
    host, key = sys.argv[1], sys.argv[2]
    try:
        ok = wandb.login(host=host, key=key, verify=True)
        print(json.dumps({"result": ok}))
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__, "message": str(exc)}))
""")


def test_wandb_login_python_api_verifies_against_the_standin(start_standin, admin_key, admin_env, sdk_env):
    standin = start_standin(env=admin_env)
    standin.wait_ready()
    good = run([sys.executable, "-c", LOGIN_SCRIPT, standin.url, admin_key], sdk_env)
    assert json.loads(good.stdout.strip().splitlines()[-1]) == {"result": True}, good.stdout + good.stderr
    bad = run([sys.executable, "-c", LOGIN_SCRIPT, standin.url, new_api_key()], sdk_env)
    outcome = json.loads(bad.stdout.strip().splitlines()[-1])
    assert outcome["error"] == "AuthenticationError", bad.stdout + bad.stderr
    assert "permission denied" in outcome["message"]
