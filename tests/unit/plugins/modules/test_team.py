"""team module against the stand-in server (a local process): create with members, check mode, diff, roles
(SCIM teamRoles), pending invites, exclusive (service accounts stay), delete, idempotence."""
from __future__ import annotations

from org_standin import org_server_fixture  # noqa: F401  pylint: disable=unused-import

from ansible_collections.wandb_local.server.plugins.modules import service_account, team, team_info, user


def _roles(view):
    return {(m["email"] or m["username"]): (m["role"], m["pending"]) for m in view["members"]}


def test_team_lifecycle(run_module, org_server, tmp_path):
    for email in ("ann@example.com", "ben@example.com", "cy@example.com"):
        assert run_module(user, org_server.args(email=email)).changed
    members = [{"email": "ann@example.com", "role": "admin"}, {"username": "ben"}, {"email": "new@example.com"}]
    args = org_server.args(name="vision", members=members, exclusive=True)
    planned = run_module(team, args, check_mode=True, diff=True)
    assert planned.changed and planned["diff"]["before"] == {}
    assert not run_module(team_info, org_server.args(name="vision"))["exists"]

    res = run_module(team, args, diff=True)
    assert res.changed
    assert _roles(res["team"]) == {"ann@example.com": ("admin", False), "ben@example.com": ("member", False),
                                   "new@example.com": ("member", True)}  # ann its admin at creation, not the key's user
    for check_mode in (False, True):
        assert not run_module(team, args, check_mode=check_mode).changed

    sa = run_module(service_account, org_server.args(team="vision", name="ci", key_file=str(tmp_path / "k")))
    assert sa.changed

    # roles change (a member through SCIM teamRoles, a pending invite invited again); cy added; the rest removed
    members = [{"email": "ann@example.com"}, {"username": "ben", "role": "admin"},
               {"email": "new@example.com", "role": "admin"}, {"email": "cy@example.com"}]
    args = org_server.args(name="vision", members=members)
    planned = run_module(team, args, check_mode=True, diff=True)
    assert planned.changed and _roles(planned["diff"]["before"])["ann@example.com"] == ("admin", False)
    assert _roles(run_module(team_info, org_server.args(name="vision"))["team"])["ann@example.com"][0] == "admin"
    res = run_module(team, args, diff=True)
    assert res.changed
    assert _roles(res["team"]) == {"ann@example.com": ("member", False), "ben@example.com": ("admin", False),
                                   "new@example.com": ("admin", True), "cy@example.com": ("member", False)}
    assert not run_module(team, args).changed

    args = org_server.args(name="vision", members=[{"email": "ben@example.com", "role": "admin"}], exclusive=True)
    res = run_module(team, args)
    assert res.changed and _roles(res["team"]) == {"ben@example.com": ("admin", False)}
    assert [s["name"] for s in res["team"]["service_accounts"]] == ["ci"]  # never removed by exclusive
    assert "apiKey" not in str(res) and "local-" not in str(res["team"])
    assert not run_module(team, args, check_mode=True).changed

    # members unset: the members are left alone
    assert not run_module(team, org_server.args(name="vision")).changed

    absent = org_server.args(name="vision", state="absent")
    assert run_module(team, absent, check_mode=True).changed
    assert run_module(team_info, org_server.args(name="vision"))["exists"]
    res = run_module(team, absent, diff=True)
    assert res.changed and res["team"] == {} and res["diff"]["after"] == {}
    assert not run_module(team_info, org_server.args(name="vision"))["exists"]
    assert not run_module(team, absent).changed


def test_created_by_the_keys_user(run_module, org_server):
    res = run_module(team, org_server.args(name="plain"))
    assert res.changed and _roles(res["team"]) == {"admin@localhost": ("admin", False)}
    assert not run_module(team, org_server.args(name="plain")).changed


def test_bad_members(run_module, org_server):
    res = run_module(team, org_server.args(name="x", members=[{"role": "admin"}]))
    assert res.failed and "email" in res["msg"]
    res = run_module(team, org_server.args(name="x", members=[{"username": "a", "role": "viewer"}]))
    assert res.failed and "role" in res["msg"]
