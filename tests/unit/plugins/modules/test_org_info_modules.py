"""users_info, team_info and server_info against the stand-in server (a local process)."""
from __future__ import annotations

from org_standin import org_server_fixture  # noqa: F401  pylint: disable=unused-import

from ansible_collections.wandb_local.server.plugins.modules import server_info, team_info, user, users_info


def test_users_info(run_module, org_server):
    for email in ("dora@corp.example", "dan@corp.example", "zed@other.example"):
        run_module(user, org_server.args(email=email))
    res = run_module(users_info, org_server.args(query="corp.example"))
    assert not res.changed
    assert sorted(u["email"] for u in res["users"]) == ["dan@corp.example", "dora@corp.example"]
    assert all(u["active"] is None for u in res["users"])
    res = run_module(users_info, org_server.args(email="ZED@other.example", active=True))
    assert [(u["username"], u["active"], u["admin"]) for u in res["users"]] == [("zed", True, False)]
    assert run_module(users_info, org_server.args(email="none@x.example"))["users"] == []


def test_team_info_missing(run_module, org_server):
    res = run_module(team_info, org_server.args(name="nothere"))
    assert not res.changed and res["exists"] is False and res["team"] == {}


def test_server_info(run_module, org_server):
    res = run_module(server_info, org_server.args())
    assert not res.changed
    assert res["version"] == "0.74.0" and res["latest_version"] == "0.74.0" and res["out_of_date"] is False
    assert res["cli_version_info"]["max_cli_version"]


def test_refused_key(run_module, org_server):
    res = run_module(server_info, org_server.args(api_key="local-" + "1" * 40))
    assert res.failed and res["status"] == 401 and "GLOBAL_ADMIN_API_KEY" in res["msg"]


def test_api_key_file(run_module, org_server, tmp_path):
    path = tmp_path / "admin-api-key"
    path.write_text(org_server.key + "\n")
    args = org_server.args(api_key_file=str(path))
    del args["api_key"]
    assert run_module(server_info, args)["version"] == "0.74.0"
