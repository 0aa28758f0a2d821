"""user module against the stand-in server (a local process): create, check mode, diff, admin/active through SCIM,
delete, idempotence, and a refused key failing at once."""
from __future__ import annotations

import json

from org_standin import org_server_fixture  # noqa: F401  pylint: disable=unused-import

from ansible_collections.wandb_local.server.plugins.modules import user, users_info


def _users(run_module, org_server, email):
    return run_module(users_info, org_server.args(email=email, active=True))["users"]


def test_create_check_idempotent(run_module, org_server):
    args = org_server.args(email="Alice@Example.com")
    res = run_module(user, args, check_mode=True, diff=True)
    assert res.changed and res["diff"]["before"] == {} and res["user"]["email"] == "Alice@Example.com"
    assert _users(run_module, org_server, "alice@example.com") == []
    res = run_module(user, args, diff=True)
    assert res.changed and res["user"]["username"] == "alice" and res["user"]["admin"] is False
    assert res["user"]["active"] is True and res["diff"]["after"]["username"] == "alice"
    for check_mode in (False, True):
        again = run_module(user, args, check_mode=check_mode, diff=True)
        assert not again.changed and again["diff"]["before"] == again["diff"]["after"]
    assert _users(run_module, org_server, "alice@example.com")[0]["id"] == res["user"]["id"]


def test_admin_and_active_through_scim(run_module, org_server):
    run_module(user, org_server.args(email="bob@example.com"))
    args = org_server.args(email="bob@example.com", admin=True, active=False)
    planned = run_module(user, args, check_mode=True)
    assert planned.changed and _users(run_module, org_server, "bob@example.com")[0]["active"] is True
    res = run_module(user, args, diff=True)
    assert res.changed and res["diff"]["before"]["admin"] is False and res["diff"]["before"]["active"] is True
    assert res["user"]["admin"] is True and res["user"]["active"] is False
    assert not run_module(user, args).changed
    patches = [r for r in org_server.requests() if r["method"] == "PATCH"]
    assert patches and patches[-1]["path"].startswith("/scim/Users/")
    assert json.loads(patches[-1]["body"])["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:PatchOp"]
    back = run_module(user, org_server.args(email="bob@example.com", admin=False, active=True))
    assert back.changed and back["user"]["admin"] is False and back["user"]["active"] is True
    assert not run_module(user, org_server.args(email="bob@example.com")).changed  # admin/active unset: left


def test_new_user_inactive(run_module, org_server):
    res = run_module(user, org_server.args(email="eve@example.com", active=False))
    assert res.changed and _users(run_module, org_server, "eve@example.com")[0]["active"] is False


def test_absent(run_module, org_server):
    run_module(user, org_server.args(email="carol@example.com"))
    args = org_server.args(email="carol@example.com", state="absent")
    assert run_module(user, args, check_mode=True).changed
    assert _users(run_module, org_server, "carol@example.com")
    res = run_module(user, args, diff=True)
    assert res.changed and res["diff"]["after"] == {} and res["user"] == {}
    assert _users(run_module, org_server, "carol@example.com") == []
    assert not run_module(user, args).changed


def test_refused_key_fails_at_once(run_module, org_server):
    before = len(org_server.requests())
    res = run_module(user, org_server.args(email="x@example.com", api_key="local-" + "0" * 40, retries=5))
    assert res.failed and res["status"] == 401
    assert "GLOBAL_ADMIN_API_KEY" in res["msg"] and "0" * 40 not in res["msg"]
    assert len(org_server.requests()) - before == 2  # the module's one request + this test's reading of the log


def test_bad_email(run_module, org_server):
    res = run_module(user, org_server.args(email="nobody"))
    assert res.failed and "e-mail" in res["msg"]
