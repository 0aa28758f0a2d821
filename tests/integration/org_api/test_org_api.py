"""The admin API modules (user, team, service_account, users_info, team_info, server_info) run by ansible-playbook
against one stand-in server container; the referee is the real wandb SDK (PyPI, the test requirements), not the
modules: after the run, `wandb.Api(api_key=<admin key>)` reads the users, the team, its members and its service
account back, and the service account's key logs in with `wandb login`. A second run and a `--check` run change
nothing; no key appears in any `-vvv --diff` output; the state survives a restart of the server."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import textwrap
import urllib.parse
import urllib.request

from support.playbooks import run_playbook
from support.procs import DIRECT

TEAM = "research"

SDK_READ = textwrap.dedent("""
    import json, sys
    import wandb
    url, key = sys.argv[1], sys.argv[2]
    api = wandb.Api(api_key=key, overrides={"base_url": url})
    out = {"users": {}}
    for email in sys.argv[3:]:
        user = api.user(email)
        out["users"][email] = None if user is None else {"username": user.username, "admin": user.admin,
                                                         "teams": user.teams}
    try:
        team = api.team(%r)
    except KeyError:  # the SDK 0.31's Team.load on a team that does not exist
        out["members"] = None
    else:
        out["members"] = sorted(([m.username, m.email, m.admin, m.account_type, m.pending, m.name]
                                 for m in team.members), key=str)
    print("SDK-RESULT " + json.dumps(out))
""" % TEAM)


def play(server, sa_key_file):
    return [{
        "name": "Users, a team, its members and a service account",
        "hosts": "localhost", "gather_facts": False,
        "module_defaults": {"group/wandb_local.server.wandb_api": {
            "base_url": server.url, "api_key_file": str(server.key_file)}},
        "tasks": [
            {"name": "Server version", "wandb_local.server.server_info": {}, "register": "info"},
            {"name": "Alice, an admin", "wandb_local.server.user": {"email": "alice@example.com", "admin": True}},
            {"name": "Bob", "wandb_local.server.user": {"email": "bob@example.com"}},
            {"name": "Carol, deactivated", "wandb_local.server.user": {"email": "carol@example.com", "active": False}},
            {"name": "Gone is deleted", "wandb_local.server.user": {"email": "gone@example.com", "state": "absent"}},
            {"name": "Team research", "wandb_local.server.team": {
                "name": TEAM, "exclusive": True,
                "members": [{"email": "alice@example.com", "role": "admin"}, {"email": "bob@example.com"},
                            {"email": "dave@example.com"}]}},
            {"name": "CI's service account", "no_log": True, "register": "sa",
             "wandb_local.server.service_account": {"team": TEAM, "name": "ci", "key_file": str(sa_key_file)}},
            {"name": "Team as the module reads it", "wandb_local.server.team_info": {"name": TEAM},
             "register": "team"},
            {"name": "Users as the module reads them", "wandb_local.server.users_info": {
                "query": "example.com", "active": True}, "register": "users"},
            {"name": "What the modules read", "ansible.builtin.assert": {"that": [
                "info.version == '0.74.0' and info.out_of_date is false",
                "team.team.service_accounts | map(attribute='name') | list == ['ci']",
                "team.team.members | selectattr('role', 'eq', 'admin') | map(attribute='email') | list"
                " == ['alice@example.com']",
                "users.users | selectattr('email', 'eq', 'carol@example.com') | map(attribute='active') | list"
                " == [false]",
                "users.users | selectattr('email', 'eq', 'gone@example.com') | list == []",
            ]}},
        ],
    }]


def sdk_read(server, sdk_env):
    emails = ["alice@example.com", "bob@example.com", "carol@example.com", "gone@example.com"]
    proc = subprocess.run(["python", "-c", SDK_READ, server.url, server.key] + emails,
                          env=sdk_env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    line = [x for x in proc.stdout.splitlines() if x.startswith("SDK-RESULT ")][-1]
    return json.loads(line[len("SDK-RESULT "):])


def scim_active(server, email):
    query = urllib.parse.quote('emails.value eq "%s"' % email)
    req = urllib.request.Request(server.url + "/scim/Users?filter=" + query,
                                 headers={"Authorization": "Bearer " + server.key})
    with DIRECT.open(req, timeout=10) as resp:
        return [r["active"] for r in json.loads(resp.read())["Resources"]]


def sdk_create_user(server, sdk_env, email):
    code = ("import sys, wandb; api = wandb.Api(api_key=sys.argv[2], overrides={'base_url': sys.argv[1]}); "
            "api.create_user(sys.argv[3])")
    proc = subprocess.run(["python", "-c", code, server.url, server.key, email], env=sdk_env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]


def wandb_login(server, sdk_env, key):
    return subprocess.run(["wandb", "login", "--host", server.url, "--relogin", key], env=sdk_env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_org_api_modules_refereed_by_the_sdk(org_api_server, sdk_env, tmp_path):
    server = org_api_server
    sa_key_file = tmp_path / "ci.key"
    playbook = tmp_path / "org.yml"
    playbook.write_text(json.dumps(play(server, sa_key_file), indent=1))
    sdk_create_user(server, sdk_env, "gone@example.com")
    before = sdk_read(server, sdk_env)
    assert before["users"]["gone@example.com"] is not None and before["members"] is None

    first = run_playbook(playbook)
    assert first.returncode == 0, first.output[-5000:]
    assert first.recap()["changed"] == 6, first.output[-5000:]

    # The referee: the wandb SDK reads back what the modules made
    seen = sdk_read(server, sdk_env)
    users = seen["users"]
    assert users["alice@example.com"]["admin"] is True and users["bob@example.com"]["admin"] is False
    assert users["carol@example.com"] is not None and users["gone@example.com"] is None
    assert TEAM in users["alice@example.com"]["teams"] and TEAM in users["bob@example.com"]["teams"]
    members = seen["members"]
    humans = {(m[1], m[2], m[4]) for m in members if m[3] == "USER"}
    assert humans == {("alice@example.com", True, False), ("bob@example.com", False, False),
                      ("dave@example.com", False, True)}  # dave: a pending invite
    assert [m[5] for m in members if m[3] == "SERVICE"] == ["ci"]
    assert scim_active(server, "carol@example.com") == [False]

    # The service account's key: kept 0600, and it logs in with the wandb CLI
    sa_key = sa_key_file.read_text().strip()
    assert sa_key.startswith("local-") and stat.S_IMODE(os.stat(sa_key_file).st_mode) == 0o600
    login = wandb_login(server, sdk_env, sa_key)
    assert login.returncode == 0, login.stdout[-2000:] + login.stderr[-2000:]

    # A second run and a --check run change nothing; the key is not regenerated
    second = run_playbook(playbook)
    assert second.returncode == 0 and second.recap()["changed"] == 0, second.output[-5000:]
    check = run_playbook(playbook, check=True)
    assert check.returncode == 0 and check.recap()["changed"] == 0, check.output[-5000:]
    assert sa_key_file.read_text().strip() == sa_key
    for result in (first, second, check):
        assert server.key not in result.output and sa_key not in result.output
        assert sa_key[6:] not in result.output

    # The state lives in the server's /vol: a restart keeps it, and the key still logs in
    server.restart()
    assert sdk_read(server, sdk_env)["members"] == members
    login = wandb_login(server, sdk_env, sa_key)
    assert login.returncode == 0, login.stderr[-2000:]


def test_refused_key_fails_fast(org_api_server, tmp_path):
    playbook = tmp_path / "refused.yml"
    playbook.write_text(json.dumps([{
        "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "A user with a wrong key", "wandb_local.server.user": {
            "base_url": org_api_server.url, "api_key": "local-" + "0" * 40, "email": "x@example.com",
            "retries": 5}}]}]))
    result = run_playbook(playbook, timeout=120)
    assert result.returncode != 0
    assert "HTTP 401" in result.output and "GLOBAL_ADMIN_API_KEY" in result.output
    assert "0" * 40 not in result.output
