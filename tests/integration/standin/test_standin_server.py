"""The wandb/local stand-in (TEST FIXTURE) answers like the real server for what the collection uses."""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "standin"
SERVER = FIXTURE_DIR / "server.py"


def new_api_key() -> str:
    return "local-" + secrets.token_hex(20)


VIEWER_QUERY = """
query Viewer {
  viewer { id entity username email flags teams { edges { node { name } } } }
}
"""  # wandb/wandb core/api/graphql/query_viewer.graphql

SERVER_INFO_QUERY = """
query ServerInfo {
  serverInfo {
    cliVersionInfo
    latestLocalVersionInfo { outOfDate latestVersionString versionOnThisInstanceString }
    features { name isEnabled }
  }
}
"""

RESTORE_LINE = re.compile(r"Temporary password for (\S+@\S+): (\S+)$", re.MULTILINE)


def test_health_is_immediate_and_ready_waits_for_startup(start_standin):
    standin = start_standin(startup=1.5)
    assert standin.get("/healthz") == (200, "ok\n")
    assert standin.get("/ready")[0] == 503
    assert standin.graphql(VIEWER_QUERY)[0] == 503  # the API is not served before readiness
    began = time.monotonic()
    standin.wait_ready()
    assert time.monotonic() - began > 0.5
    assert "*** All services started" in standin.log()


def test_fail_ready_never_becomes_ready_and_says_why(start_standin):
    standin = start_standin(env={"STANDIN_FAIL_READY": "true"}, startup=0.2)
    time.sleep(0.6)
    assert standin.get("/ready")[0] == 503
    assert standin.get("/healthz")[0] == 200
    assert "ERROR STANDIN_FAIL_READY=true" in standin.log()
    assert "All services started" not in standin.log()


def test_volume_gets_the_real_layout(start_standin):
    standin = start_standin()
    for sub in ("env", "mysql", "minio"):
        assert (standin.vol / sub).is_dir()
    assert (standin.vol / "env" / "users.htpasswd").exists()
    assert (standin.vol / "env" / "standin-boot").read_text().startswith("booted uid=")


def test_unwritable_volume_fails_like_the_real_server():
    """Run as UID 999 (the real container's user) against a root-owned /vol: clear error, non-zero exit."""
    work = Path(tempfile.mkdtemp(prefix="standin-perm-"))
    try:
        work.chmod(0o755)
        script = work / "server.py"
        shutil.copy(SERVER, script)
        script.chmod(0o644)
        vol = work / "vol"
        vol.mkdir(mode=0o755)
        proc = subprocess.run(  # noqa: S603
            ["timeout", "20", "/usr/bin/python3", str(script)], user=999, group=0, capture_output=True, text=True,
            env={"PATH": os.environ["PATH"], "STANDIN_VOL": str(vol), "STANDIN_PORT": "0",
                 "STANDIN_BIND": "127.0.0.1"}, check=False)
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert f"mkdir: cannot create directory '{vol}/env': Permission denied" in proc.stdout
        assert "panic: Can't create default user" in proc.stdout
        assert "must be writable by them" in proc.stdout
    finally:
        shutil.rmtree(work)


def test_admin_key_gets_an_admin_viewer(start_standin, admin_key, admin_env):
    standin = start_standin(env=admin_env)
    status, body = standin.graphql(VIEWER_QUERY.replace("email", "email admin"), key=admin_key)
    assert status == 200
    viewer = body["data"]["viewer"]
    assert viewer["username"] == "admin" and viewer["admin"] is True
    assert json.loads(viewer["flags"]) == {"code_saving_enabled": True}  # a JSON string, as old SDKs need
    assert viewer["teams"]["edges"][0]["node"]["name"] == "admin"


def test_admin_key_needs_the_insecure_admin_access_flag(start_standin, admin_key):
    standin = start_standin(env={"GLOBAL_ADMIN_API_KEY": admin_key})
    assert standin.graphql(VIEWER_QUERY, key=admin_key)[0] == 401


def test_user_key_from_the_volume_is_not_admin(start_standin):
    standin = start_standin()
    key = new_api_key()
    (standin.vol / "env" / "standin-api-keys").write_text(f"# provisioned by a test\n{key} alice alice@example.com\n")
    status, body = standin.graphql("{ viewer { username email admin } }", key=key)
    assert status == 200
    assert body["data"]["viewer"] == {"username": "alice", "email": "alice@example.com", "admin": False}


def test_invalid_key_is_401_permission_denied(start_standin, admin_env):
    standin = start_standin(env=admin_env)
    status, body = standin.graphql(VIEWER_QUERY, key=new_api_key())
    assert status == 401
    assert body == {"errors": [{"message": "permission denied", "path": ["viewer"],
                                "extensions": {"code": "PERMISSION_ERROR"}}], "data": {"viewer": None}}
    body = json.dumps({"query": VIEWER_QUERY}).encode()
    bearer = {"Authorization": "Bearer not-a-key", "Content-Type": "application/json"}
    assert standin.request("POST", "/graphql", body, bearer)[0] == 401


def test_anonymous_viewer_is_null_and_cannot_read_version_info(start_standin):
    standin = start_standin()
    assert standin.graphql(VIEWER_QUERY) == (200, {"data": {"viewer": None}})
    status, body = standin.graphql(SERVER_INFO_QUERY)
    assert status == 403 and body["errors"][0]["message"] == "anonymous user cannot check version info"


def test_server_info_shape(start_standin, admin_key, admin_env):
    standin = start_standin(env={**admin_env, "STANDIN_SERVER_VERSION": "0.61.2"})
    status, body = standin.graphql(SERVER_INFO_QUERY, key=admin_key)
    assert status == 200
    info = body["data"]["serverInfo"]
    assert set(info["cliVersionInfo"]) == {"max_cli_version", "min_cli_version"}
    assert info["latestLocalVersionInfo"] == {"outOfDate": False, "latestVersionString": "0.61.2",
                                              "versionOnThisInstanceString": "0.61.2"}
    assert info["features"] == []


def test_old_sdk_introspection_probe_with_fragments(start_standin, admin_key, admin_env):
    standin = start_standin(env=admin_env)
    query = """query ProbeServerCapabilities {
        QueryType: __type(name: "Query") { ...fieldData }
        ServerInfoType: __type(name: "ServerInfo") { ...fieldData }
    }
    fragment fieldData on __Type { fields { name } }"""
    status, body = standin.graphql(query, key=admin_key)
    assert status == 200
    assert {"name": "serverInfo"} in body["data"]["QueryType"]["fields"]
    assert {"name": "cliVersionInfo"} in body["data"]["ServerInfoType"]["fields"]


def test_unknown_queries_get_graphql_errors(start_standin, admin_key, admin_env):
    standin = start_standin(env=admin_env)
    status, body = standin.graphql("{ viewer { id secretField } }", key=admin_key)
    assert status == 200 and "data" not in body
    assert body["errors"][0]["message"] == 'Cannot query field "secretField" on type "User".'
    status, body = standin.graphql("{ models { edges } }", key=admin_key)
    assert body["errors"][0]["message"] == 'Cannot query field "models" on type "Query".'
    status, body = standin.graphql("mutation { deleteUser(input: {id: \"x\"}) { user { id } } }", key=admin_key)
    assert status == 200 and "data" not in body  # mutations the SDK's admin operations do not send: not emulated
    assert body["errors"][0]["message"] == 'Cannot query field "deleteUser" on type "Mutation".'
    status, body = standin.graphql("{ viewer { id ", key=admin_key)
    assert status == 400 and body["errors"][0]["message"].startswith("Syntax Error")


def test_env_endpoint_gives_names_and_digests_never_values(start_standin, admin_key, admin_env):
    secret = "s3cr3t-" + new_api_key()
    standin = start_standin(env={**admin_env, "MYSQL": f"mysql://wandb:{secret}@db/wandb"})
    status, text = standin.get("/__standin__/env")
    assert status == 200
    assert secret not in text and admin_key not in text
    digests = json.loads(text)
    assert digests["MYSQL"] == hashlib.sha256(f"mysql://wandb:{secret}@db/wandb".encode()).hexdigest()
    assert digests["GLOBAL_ADMIN_API_KEY"] == hashlib.sha256(admin_key.encode()).hexdigest()


def test_requests_are_recorded_with_authorization_masked(start_standin, admin_key, admin_env):
    standin = start_standin(env=admin_env)
    standin.graphql(VIEWER_QUERY, key=admin_key)
    status, text = standin.get("/__standin__/requests")
    assert status == 200 and admin_key not in text
    graphql = [r for r in json.loads(text) if r["path"] == "/graphql"]
    assert len(graphql) == 1
    assert graphql[0]["method"] == "POST" and graphql[0]["headers"]["Authorization"] == "Basic ***"
    assert graphql[0]["api_key_sha256"] == hashlib.sha256(admin_key.encode()).hexdigest()
    assert "query Viewer" in json.loads(graphql[0]["body"])["query"]
    assert standin.request("DELETE", "/__standin__/requests")[0] == 200
    assert all(r["path"] != "/graphql" for r in json.loads(standin.get("/__standin__/requests")[1]))


def test_local_restore_prints_a_temporary_password_and_disables_sso(start_standin):
    standin = start_standin(env={"LOCAL_RESTORE": "true", "GORILLA_OIDC_ISSUER": "https://idp.example"})
    match = RESTORE_LINE.search(standin.log())
    assert match, standin.log()
    email, password = match.groups()
    assert email == "restore@wandb.com" and len(password) == 20
    assert "SSO is disabled" in match.string
    status = json.loads(standin.get("/__standin__/status")[1])
    assert status["local_restore"] is True and status["sso"] == "disabled"
    body = json.dumps({"email": email, "password": password}).encode()
    assert json.loads(standin.request("POST", "/__standin__/check-password", body)[1]) == {"valid": True}
    assert (standin.vol / "env" / "users.htpasswd").stat().st_mode & 0o077 == 0


def test_without_local_restore_no_password_is_printed_and_sso_follows_oidc(start_standin):
    standin = start_standin(env={"GORILLA_OIDC_ISSUER": "https://idp.example"})
    assert not RESTORE_LINE.search(standin.log())
    assert json.loads(standin.get("/__standin__/status")[1])["sso"] == "enabled"


def test_local_password_command(start_standin):
    standin = start_standin()
    env = {"PATH": os.environ["PATH"], "STANDIN_VOL": str(standin.vol)}
    tool = [str(FIXTURE_DIR / "local")]

    def check(email, password):
        body = json.dumps({"email": email, "password": password}).encode()
        return json.loads(standin.request("POST", "/__standin__/check-password", body)[1])["valid"]

    generated = subprocess.run([*tool, "password", "admin@example.com"], env=env, stdin=subprocess.DEVNULL,  # noqa: S603
                               capture_output=True, text=True, timeout=20, check=True)
    match = re.search(r"^New password for admin@example.com: (\S+)$", generated.stdout, re.MULTILINE)
    assert match and check("admin@example.com", match.group(1))
    subprocess.run([*tool, "password", "admin@example.com"], env=env, input="chosen-Passw0rd\n",  # noqa: S603
                   capture_output=True, text=True, timeout=20, check=True)
    assert check("admin@example.com", "chosen-Passw0rd") and not check("admin@example.com", match.group(1))
    usage = subprocess.run([*tool, "frobnicate"], env=env, capture_output=True, text=True, timeout=20, check=False)  # noqa: S603
    assert usage.returncode == 2 and "usage: local password <email>" in usage.stderr


def test_access_log_follows_logging_enabled(start_standin):
    quiet = start_standin()
    loud = start_standin(env={"LOGGING_ENABLED": "true"})
    for standin in (quiet, loud):
        standin.get("/healthz")
    assert '"GET /healthz HTTP/1.1" 200' not in quiet.log()
    assert '"GET /healthz HTTP/1.1" 200' in loud.log()


def test_sigterm_stops_cleanly(start_standin):
    standin = start_standin()
    standin.proc.terminate()
    assert standin.wait_exit() == 0
    assert "standin: stopped" in standin.log()
