"""The organisation as code (issue 15) end to end: site.yml's org part against one stand-in server, with the public
wandb SDK as the referee; the server's version in status.yml and in upgrade.yml's gate.

One server for the module (its tests run in order): converge an inventory of two teams, read everything back with
wandb.Api and the admin key, log in with a service account's key, a re-run and --check change nothing, exclusive mode
lists then removes exactly the one user the inventory dropped; no key in any -vvv --diff output. Then the status table
shows the version, an upgrade to a tag naming the version the server reports passes its gate, and one whose server
reports another version fails it and is rolled back.
"""
from __future__ import annotations

import io
import json
import os
import re
import secrets
import stat
import subprocess

import pytest

from org_testenv import sdk_read_back, wandb_login
from support.fleet import Fleet
from support.playbooks import REPO, recap

SITE = REPO / "playbooks" / "site.yml"
STATUS = REPO / "playbooks" / "status.yml"
UPGRADE = REPO / "playbooks" / "upgrade.yml"
BUILD = REPO / "tests" / "fixtures" / "standin" / "build.sh"
IMAGE = os.environ.get("WANDB_TEST_ORG_IMAGE", "wandb-local-test/org-standin")
HOST = "org1"

# The e-mail of the admin key's own user (the stand-in's STANDIN_ADMIN_EMAIL).
ADMIN_EMAIL = "ops@example.com"
USERS = [{"email": "ada@example.com", "admin": True}, {"email": "bob@example.com"},
         {"email": "carol@example.com"}, {"email": "dan@example.com"}]


def teams(eval_key_file):
    return [
        {"name": "vision", "members": [{"email": "ada@example.com", "role": "admin"}, {"email": "bob@example.com"}],
         "service_accounts": [{"name": "ci"}]},
        {"name": "nlp", "members": [{"email": "bob@example.com", "role": "admin"},
                                    {"email": "dan@example.com", "role": "member"}],
         "service_accounts": [{"name": "ci"}, {"name": "eval", "key_file": str(eval_key_file)}]},
    ]


def build(tag, version):
    env = dict(os.environ, STANDIN_SERVER_VERSION=version, STANDIN_FAIL_READY="false")
    subprocess.run(["bash", str(BUILD), tag], env=env, check=True, capture_output=True, timeout=600)


class Org:
    """The deployed server, its inventory, the admin key and every output so far (for the secrets check)."""

    def __init__(self, fleet, root, admin_key):
        self.fleet, self.root, self.admin_key = fleet, root, admin_key
        self.outputs = []
        host = fleet.hosts[HOST]
        self.url = host["wandb_server_host"]
        self.config_dir = root / HOST / "etc"
        self.key_dir = self.config_dir / "service-account-keys"
        self.eval_key_file = root / "keys" / "nlp-eval.key"
        self.org_vars = {"wandb_org_users": USERS, "wandb_org_teams": teams(self.eval_key_file)}

    def run(self, playbook, *options, **org_vars):
        result = self.fleet.run(playbook, "-vvv", "--diff", *options, extra_vars=dict(self.org_vars, **org_vars))
        self.outputs.append(result.stdout)
        return result

    def read_back(self, home):
        return sdk_read_back(home, self.url, self.admin_key, ["vision", "nlp"])

    def service_keys(self):
        paths = [self.key_dir / "vision.ci.key", self.key_dir / "nlp.ci.key", self.eval_key_file]
        return {path.name: path.read_text().strip() for path in paths}


@pytest.fixture(scope="module")
def org(tmp_path_factory, standin_image, docker_client):  # pylint: disable=unused-argument
    """One stand-in server (reporting 0.74.0) deployed by site.yml with the two-team inventory."""
    build(IMAGE + ":0.74.0", "0.74.0")
    root = tmp_path_factory.mktemp("org")
    (root / "keys").mkdir(mode=0o700)
    admin_key = "local-" + secrets.token_hex(20)
    fleet = Fleet(root, [HOST], {"wandb_server_image": IMAGE, "wandb_server_image_tag": "0.74.0",
                                 "wandb_server_admin_api_enabled": True, "wandb_server_admin_api_key": admin_key,
                                 "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1",
                                                            "STANDIN_ADMIN_EMAIL": ADMIN_EMAIL}})
    deployed = Org(fleet, root, admin_key)
    try:
        # Check mode before the first deployment: no server to read yet, so it says what it would create.
        fresh = deployed.run(SITE, "--check")
        assert fresh.returncode == 0, fresh.stdout[-5000:]
        assert "this run would create 4 user(s), 2 team(s) and 3 service account(s)" in fresh.stdout
        assert not deployed.config_dir.exists()
        first = deployed.run(SITE)
        assert first.returncode == 0, first.stdout[-5000:]
        deployed.first = first
        yield deployed
    finally:
        fleet.remove(docker_client)


def test_site_applies_the_organisation_and_the_sdk_reads_it_back(org, tmp_path):
    assert recap(org.first.stdout)["failed"] == 0
    assert "This run removes 0 item(s) (nothing)" in org.first.stdout
    seen = org.read_back(tmp_path / "sdk")
    org.users_seen = set(seen["users"])
    assert {user["email"] for user in USERS} <= set(seen["users"]), seen
    assert seen["teams"]["vision"]["members"] == {"ada@example.com": "admin", "bob@example.com": "member"}, seen
    assert seen["teams"]["nlp"]["members"] == {"bob@example.com": "admin", "dan@example.com": "member"}, seen
    assert seen["teams"]["vision"]["service_accounts"] == ["ci"]
    assert seen["teams"]["nlp"]["service_accounts"] == ["ci", "eval"]


def test_service_account_keys_are_kept_0600_and_log_in(org, tmp_path):
    keys = org.service_keys()
    assert len(set(keys.values())) == 3 and all(re.match(r"^\S{20,}$", key) for key in keys.values())
    for path in (org.key_dir / "vision.ci.key", org.key_dir / "nlp.ci.key", org.eval_key_file):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path
    assert stat.S_IMODE(os.stat(org.key_dir).st_mode) == 0o700
    login = wandb_login(tmp_path / "login", org.url, keys["nlp-eval.key"])
    assert login.returncode == 0, login.stdout + login.stderr
    assert "127.0.0.1" in (tmp_path / "login" / ".netrc").read_text()


def test_a_rerun_and_check_mode_change_nothing(org):
    keys = org.service_keys()
    again = org.run(SITE, "--tags", "org")
    assert again.returncode == 0, again.stdout[-5000:]
    assert recap(again.stdout)["changed"] == 0, again.stdout[-5000:]
    # In sync: the user and team modules are not even called (-vvv names each module file it runs).
    assert "Using module file" in again.stdout
    assert "/modules/user.py" not in again.stdout and "/modules/team.py" not in again.stdout
    check = org.run(SITE, "--tags", "org", "--check")
    assert check.returncode == 0, check.stdout[-5000:]
    assert recap(check.stdout)["changed"] == 0, check.stdout[-5000:]
    assert org.service_keys() == keys, "a service account's key was regenerated"


def removal_lines(output):
    """The lines of the last 'This run removes' listing."""
    block = output.split("This run removes")[-1]
    return re.findall(r'"((?:user|team) [^"]+)"', block.split("TASK [")[0])


def test_exclusive_lists_first_then_removes_exactly_the_dropped_user(org, tmp_path):
    before = org.users_seen
    kept = [user for user in USERS if user["email"] != "carol@example.com"]
    check = org.run(SITE, "--tags", "org", "--check", wandb_org_exclusive=True, wandb_org_users=kept)
    assert check.returncode == 0, check.stdout[-5000:]
    assert "This run removes 1 item(s):" in check.stdout, check.stdout[-5000:]
    assert removal_lines(check.stdout) == ["user carol@example.com"], check.stdout[-5000:]
    # The listing comes before the removal task.
    assert check.stdout.index("This run removes") < check.stdout.index("TASK [wandb_local.server.org : Remove users]")
    assert set(org.read_back(tmp_path / "checked")["users"]) == before, "--check removed something"

    removed = org.run(SITE, "--tags", "org", wandb_org_exclusive=True, wandb_org_users=kept)
    assert removed.returncode == 0, removed.stdout[-5000:]
    assert removal_lines(removed.stdout) == ["user carol@example.com"]
    after = org.read_back(tmp_path / "after")
    assert before - set(after["users"]) == {"carol@example.com"}
    assert set(after["users"]) - before == set()
    assert after["teams"]["nlp"]["service_accounts"] == ["ci", "eval"]
    assert after["teams"]["vision"]["members"] == {"ada@example.com": "admin", "bob@example.com": "member"}


def test_exclusive_removes_unlisted_members_and_service_accounts(org, tmp_path):
    kept = [user for user in USERS if user["email"] != "carol@example.com"]
    nlp_trimmed = [team if team["name"] != "nlp" else dict(team, members=team["members"][:1],
                                                           service_accounts=team["service_accounts"][:1])
                   for team in teams(org.eval_key_file)]
    result = org.run(SITE, "--tags", "org", wandb_org_exclusive=True, wandb_org_users=kept, wandb_org_teams=nlp_trimmed)
    assert result.returncode == 0, result.stdout[-5000:]
    assert removal_lines(result.stdout) == ["team nlp: member dan@example.com", "team nlp: service account eval"]
    after = org.read_back(tmp_path / "after")
    assert after["teams"]["nlp"] == {"members": {"bob@example.com": "admin"}, "service_accounts": ["ci"]}, after
    assert after["teams"]["vision"]["service_accounts"] == ["ci"]
    assert "dan@example.com" in after["users"]


def test_the_admin_keys_own_user_is_never_locked_out(org, tmp_path):
    """Deactivating the admin key's own user, or taking its admin role, would cut this role (and any automation using
    the key) off the admin API: refused before the first change, naming the user and the key file."""
    before = org.read_back(tmp_path / "before")
    result = org.run(SITE, "--tags", "org",
                     wandb_org_users=USERS + [{"email": ADMIN_EMAIL.upper(), "active": False, "admin": False},
                                              {"email": "erin@example.com"}])
    assert result.returncode != 0, result.stdout[-5000:]
    assert ("wandb_org_users sets active: false and admin: false for %s, the user of the admin API key" % ADMIN_EMAIL
            in result.stdout), result.stdout[-5000:]
    assert "Nothing was changed" in result.stdout and recap(result.stdout)["changed"] == 0
    assert org.read_back(tmp_path / "after") == before  # erin was not added either


def test_status_shows_the_version_the_server_reports(org, tmp_path):
    rows_file = tmp_path / "status.json"
    result = org.fleet.run(STATUS, "-e", "wandb_status_file=%s" % rows_file)
    assert result.returncode == 0, result.stdout[-4000:]
    org.outputs.append(result.stdout)
    row = json.loads(rows_file.read_text())[0]
    assert row["version"] == "0.74.0" and row["out_of_date"] == "no", row
    assert re.search(r"version\s+out_of_date", result.stdout)


def test_upgrade_gates_on_the_version_the_server_reports(org, docker_client):
    build(IMAGE + ":0.75.0", "0.75.0")
    # A tag naming a release its server does not report (another image, reporting 0.75.0): the gate fails and the
    # host is rolled back.
    docker_client.images.build(fileobj=io.BytesIO(b"FROM %s:0.75.0\nLABEL org.wandb-local.test=mislabelled\n"
                                                  % IMAGE.encode()), tag=IMAGE + ":0.76.0", rm=True, timeout=300)
    good = org.fleet.run(UPGRADE, "-e", "server_image_tag=0.75.0")
    org.outputs.append(good.stdout)
    assert good.returncode == 0, good.stdout[-5000:]
    assert "Gate on the reported version" in good.stdout
    container = org.fleet.container(docker_client, HOST)
    assert container.attrs["Config"]["Image"] == IMAGE + ":0.75.0"

    bad = org.fleet.run(UPGRADE, "-e", "server_image_tag=0.76.0")
    org.outputs.append(bad.stdout)
    assert bad.returncode != 0, bad.stdout[-5000:]
    assert "the server reports version 0.75.0" in bad.stdout and "not 0.76.0" in bad.stdout, bad.stdout[-5000:]
    assert "Rolled back to %s:0.75.0" % IMAGE in bad.stdout
    assert org.fleet.container(docker_client, HOST).attrs["Config"]["Image"] == IMAGE + ":0.75.0"


def test_no_key_in_any_output(org):
    secret_values = [org.admin_key] + list(org.service_keys().values())
    assert org.outputs
    for output in org.outputs:
        for value in secret_values:
            assert value not in output
