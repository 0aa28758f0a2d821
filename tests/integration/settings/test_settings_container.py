"""settings / settings_info / container_log_secret end to end on a real container (the stand-in image). The settings
module writes the env file and reports what the running container lacks; it never touches the container (the
wandb_server role applies the file: tests/integration/settings/test_playbooks.py)."""
from __future__ import annotations

import base64
import json
import os
import stat

from ansible_collections.wandb_local.server.plugins.modules import container_log_secret
from ansible_collections.wandb_local.server.plugins.modules import settings as settings_module
from ansible_collections.wandb_local.server.plugins.modules import settings_info


def b64(doc):
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


LICENSE = "%s.%s.%s" % (b64({"alg": "RS256"}), b64({"it": "integration-license-payload"}), "aXQtc2lnbmF0dXJl")
SLACK_SECRET = "it-slack-secret-value"


def common(server, **kw):
    args = {"container_name": server.name, "env_file": str(server.env_file), "base_url": server.url,
            "api_key_file": str(server.key_file)}
    args.update(kw)
    return args


def test_check_mode_then_apply_then_idempotent(run_module, server):
    old = server.container()
    env_before = server.env()
    file_before = server.env_file.read_text()
    wanted = dict(host="http://wandb.example.test:%d" % server.port, license=LICENSE,
                  slack_client_id="it-slack-id", slack_secret=SLACK_SECRET)
    pending = ["HOST", "LICENSE", "SLACK_CLIENT_ID", "SLACK_SECRET"]

    res = run_module(settings_module, common(server, **wanted), check_mode=True, diff=True)
    assert res.changed and res["env_file_changed"] and res["restart_required"], res
    assert res["pending_env"] == pending and res["changed_env"] == pending
    assert server.container().id == old.id and server.env_file.read_text() == file_before

    res = run_module(settings_module, common(server, **wanted), diff=True)
    assert res.changed and res["env_file_changed"] and res["restart_required"], res
    assert res["pending_env"] == pending
    out = json.dumps(res)
    for secret in (LICENSE, SLACK_SECRET, server.admin_key):
        assert secret not in out
    assert "SLACK_SECRET=********" in res["diff"][0]["after"] and len(res["diff"]) == 1
    for gone in ("recreated", "ready_after", "viewer"):
        assert gone not in res

    # The container is untouched: same id, same start, same environment.
    now = server.container()
    assert now.id == old.id and now.attrs["State"]["StartedAt"] == old.attrs["State"]["StartedAt"]
    assert server.env() == env_before and res["container"] == {"name": server.name, "id": old.id, "running": True}
    text = server.env_file.read_text()
    assert text.startswith("# rendered like the wandb_server role does\n") and "SLACK_SECRET=%s\n" % SLACK_SECRET in text
    assert "LICENSE=%s\n" % LICENSE in text and "GLOBAL_ADMIN_API_KEY=%s\n" % server.admin_key in text  # kept
    assert stat.S_IMODE(os.stat(server.env_file).st_mode) == 0o600

    again = run_module(settings_module, common(server, **wanted), diff=True)
    assert not again.changed and again["restart_required"] and again["pending_env"] == pending, again

    info = run_module(settings_info, {"container_name": server.name, "env_file": str(server.env_file)})
    assert info["pending"] == ["host", "license", "slack_client_id", "slack_secret"]
    assert info["env_file_settings"]["host"] == wanted["host"] and info["env_file_settings"]["license"] == "********"
    assert LICENSE not in json.dumps(info) and SLACK_SECRET not in json.dumps(info)

    # Once the container runs with the file (as the wandb_server role's apply_env makes it), nothing is pending.
    server.restart_from_env_file()
    done = run_module(settings_module, common(server, **wanted))
    assert not done.changed and not done["restart_required"] and done["pending_env"] == [], done
    assert server.env()["HOST"] == wanted["host"] and server.env()["SLACK_SECRET"] == SLACK_SECRET
    info = run_module(settings_info, {"container_name": server.name, "env_file": str(server.env_file)})
    assert info["pending"] == [] and info["env_style"] == "classic"
    assert info["settings"]["host"] == wanted["host"] and info["settings"]["license"] == "********"


def test_gorilla_style_replaces_classic_names(run_module, server):
    res = run_module(settings_module, common(server, env_style="gorilla", host=server.url, session_length="24h"))
    assert res.changed and res["restart_required"], res
    assert res["pending_env"] == ["GORILLA_FRONTEND_HOST", "GORILLA_SESSION_LENGTH", "HOST"]
    text = server.env_file.read_text()
    assert "GORILLA_FRONTEND_HOST=%s\n" % server.url in text and "GORILLA_SESSION_LENGTH=24h\n" in text
    assert "\nHOST=" not in text


def test_malformed_license_refused_before_any_change(run_module, server):
    old_id = server.container().id
    before = server.env_file.read_text()
    res = run_module(settings_module, common(server, license="eyJhbGciOiJSUzI1NiJ9.only-two"))
    assert res.failed and "compact JWS format must have three parts" in res["msg"]
    assert server.container().id == old_id and server.env_file.read_text() == before


def test_wrong_admin_key_fails_before_any_change(run_module, server):
    old_id = server.container().id
    before = server.env_file.read_text()
    args = common(server, host="http://other.example.test")
    args.pop("api_key_file")
    args["api_key"] = "local-" + "f" * 40
    res = run_module(settings_module, args)
    assert res.failed and "before changing anything" in res["msg"] and "HTTP 401" in res["msg"]
    assert server.container().id == old_id and server.env_file.read_text() == before


def test_local_restore_and_log_secret(run_module, server, tmp_path):
    res = run_module(settings_module, common(server, local_restore=True))
    assert res.changed and res["pending_env"] == ["LOCAL_RESTORE"] and "LOCAL_RESTORE" not in server.env()
    assert "LOCAL_RESTORE=true\n" in server.env_file.read_text()
    server.restart_from_env_file()  # what the wandb_server role's apply_env does
    assert server.status()["local_restore"] is True
    dest = tmp_path / "restore-password"
    args = {"container_name": server.name, "dest": str(dest), "wait_timeout": 30,
            "pattern": r"(?i)temporary password\b[^:\n]*:\s*(?P<secret>\S+)"}
    res = run_module(container_log_secret, args, check_mode=True)
    assert res.changed and res["found"] and not dest.exists()
    res = run_module(container_log_secret, args)
    assert res.changed and res["found"] and res["dest"] == str(dest)
    password = dest.read_text().strip()
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    assert password and password not in json.dumps(res)
    assert server.check_password("restore@wandb.com", password)["valid"] is True
    assert not run_module(container_log_secret, args).changed  # idempotent

    res = run_module(settings_module, common(server, local_restore=False))
    assert res.changed and res["pending_env"] == ["LOCAL_RESTORE"]
    assert "LOCAL_RESTORE" not in server.env_file.read_text()
    server.restart_from_env_file()
    assert "LOCAL_RESTORE" not in server.env() and server.status()["local_restore"] is False


def test_log_secret_not_found_fails_bounded(run_module, server, tmp_path):
    res = run_module(container_log_secret, {"container_name": server.name, "dest": str(tmp_path / "x"),
                                            "pattern": "no such line (?P<secret>x)", "wait_timeout": 2})
    assert res.failed and "matched the pattern within 2s" in res["msg"]
    assert not (tmp_path / "x").exists()


def test_a_run_holding_the_instance_lock_is_waited_for_then_named(run_module, server):
    lock_file = server.env_file.with_suffix(".lock")  # where the wandb_server role keeps it too
    lock_file.write_text(json.dumps({"token": "t", "owner": "alice running 'site.yml'", "since": "now"}))
    old_id, file_before = server.container().id, server.env_file.read_text()
    res = run_module(settings_module, common(server, session_length="2h", lock_timeout=1))
    assert res.failed and "nothing was changed" in res["msg"] and "alice running 'site.yml'" in res["msg"], res
    assert server.container().id == old_id and server.env_file.read_text() == file_before
    lock_file.unlink()
    res = run_module(settings_module, common(server, session_length="2h"))
    assert res.changed and not res.failed, res
    assert not lock_file.exists()  # released after the change
