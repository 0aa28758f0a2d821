"""service_account module against the stand-in server (a local process): the key returned once, kept 0600, never
regenerated; a lost key file written again from the key the server shows; check mode; absent."""
from __future__ import annotations

import json
import os
import stat

from org_standin import org_server_fixture  # noqa: F401  pylint: disable=unused-import

from ansible_collections.wandb_local.server.plugins.modules import service_account, team, team_info


def test_service_account(run_module, org_server, tmp_path):
    assert run_module(team, org_server.args(name="infra")).changed
    key_file = tmp_path / "ci.key"
    args = org_server.args(team="infra", name="ci", key_file=str(key_file))
    planned = run_module(service_account, args, check_mode=True, diff=True)
    assert planned.changed and "api_key" not in planned and not key_file.exists()
    assert run_module(team_info, org_server.args(name="infra"))["team"]["service_accounts"] == []

    res = run_module(service_account, args, diff=True)
    assert res.changed and res["key_file_changed"]
    key = res["api_key"]
    assert key.startswith("local-") and key_file.read_text().strip() == key
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert res["service_account"]["name"] == "ci" and res["service_account"]["team"] == "infra"
    assert key not in json.dumps(res["diff"]) and key not in json.dumps(res["service_account"])

    for check_mode in (False, True):
        again = run_module(service_account, args, check_mode=check_mode, diff=True)
        assert not again.changed and "api_key" not in again
        assert again["service_account"]["id"] == res["service_account"]["id"]
    assert key_file.read_text().strip() == key

    key_file.unlink()  # lost: written again with the same key (the one the server shows), never a new one
    again = run_module(service_account, args)
    assert again.changed and again["key_file_changed"] and "api_key" not in again
    assert key_file.read_text().strip() == key
    os.chmod(key_file, 0o644)
    assert run_module(service_account, args)["key_file_changed"]
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o600

    other = run_module(service_account, org_server.args(team="infra", name="nightly"))
    assert other.changed and other["api_key"] != key
    names = [s["name"] for s in run_module(team_info, org_server.args(name="infra"))["team"]["service_accounts"]]
    assert names == ["ci", "nightly"]

    absent = org_server.args(team="infra", name="ci", state="absent")
    assert run_module(service_account, absent, check_mode=True).changed
    res = run_module(service_account, absent, diff=True)
    assert res.changed and res["service_account"] == {}
    assert not run_module(service_account, absent).changed
    names = [s["name"] for s in run_module(team_info, org_server.args(name="infra"))["team"]["service_accounts"]]
    assert names == ["nightly"]


def test_missing_team(run_module, org_server):
    res = run_module(service_account, org_server.args(team="nope", name="ci"))
    assert res.failed and "create it first" in res["msg"]
    assert not run_module(service_account, org_server.args(team="nope", name="ci", state="absent")).changed


def test_key_file_directory_missing(run_module, org_server, tmp_path):
    run_module(team, org_server.args(name="dirless"))
    res = run_module(service_account, org_server.args(team="dirless", name="ci",
                                                      key_file=str(tmp_path / "no" / "ci.key")))
    assert res.failed and "does not exist" in res["msg"] and "nothing was changed" in res["msg"]
    assert run_module(team_info, org_server.args(name="dirless"))["team"]["service_accounts"] == []
