"""admin_key (deprecated for kept_secret, same code): its options, results and messages still work."""
from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path

from ansible_collections.wandb_local.server.plugins.modules import admin_key

GIVEN = "local-" + "c0ffee" * 6 + "abcd"


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def test_generates_once_then_keeps_the_key(tmp_path, run_module):
    path = tmp_path / "admin-api-key"
    first = run_module(admin_key, {"path": str(path)}, diff=True)
    assert first.changed and first["source"] == "generated"
    assert re.fullmatch(r"local-[0-9a-f]{40}", first["key"])
    assert path.read_text() == first["key"] + "\n" and mode(path) == 0o600
    assert first["key"] not in json.dumps(first["diff"])
    second = run_module(admin_key, {"path": str(path)}, diff=True)
    assert not second.changed and second["source"] == "kept" and second["key"] == first["key"]
    assert second["diff"]["before"] == second["diff"]["after"]


def test_given_key_wins_and_the_change_is_masked(tmp_path, run_module):
    path = tmp_path / "admin-api-key"
    path.write_text("local-old\n")
    path.chmod(0o600)
    result = run_module(admin_key, {"path": str(path), "key": GIVEN}, diff=True)
    assert result.changed and result["source"] == "given" and path.read_text() == GIVEN + "\n"
    assert "key" not in result  # Ansible would mask it: the caller has it already
    assert "(changed)" in result["diff"]["after"]
    assert "local-old" not in json.dumps(result["diff"]) and GIVEN not in json.dumps(result["diff"])
    assert not run_module(admin_key, {"path": str(path), "key": GIVEN}).changed


def test_a_wider_mode_is_narrowed_without_a_new_key(tmp_path, run_module):
    path = tmp_path / "admin-api-key"
    path.write_text(GIVEN + "\n")
    path.chmod(0o644)
    result = run_module(admin_key, {"path": str(path)})
    assert result.changed and result["key"] == GIVEN and mode(path) == 0o600


def test_check_mode_writes_nothing(tmp_path, run_module):
    path = tmp_path / "admin-api-key"
    result = run_module(admin_key, {"path": str(path)}, check_mode=True)
    assert result.changed and not path.exists()
    missing_dir = run_module(admin_key, {"path": str(tmp_path / "new" / "admin-api-key")}, check_mode=True)
    assert missing_dir.changed and missing_dir["source"] == "generated"


def test_an_unreadable_file_fails_instead_of_replacing_the_key(tmp_path, run_module):
    path = tmp_path / "admin-api-key"
    path.mkdir()  # reading a directory fails like an unreadable file would (tests run as root)
    result = run_module(admin_key, {"path": str(path)})
    assert result.failed and "cannot read the admin API key file %s" % path in result["msg"]


def test_missing_directory_and_white_space_fail_with_what_to_fix(tmp_path, run_module):
    result = run_module(admin_key, {"path": str(tmp_path / "nope" / "admin-api-key")})
    assert result.failed and "create it first" in result["msg"] and result["msg"].startswith("admin_key: ")
    spaced = run_module(admin_key, {"path": str(tmp_path / "k"), "key": "local- abc"})
    assert spaced.failed and "wandb_server_admin_api_key" in spaced["msg"]


def test_the_owner_of_an_existing_file_is_left_as_it_is(tmp_path, run_module):
    path = tmp_path / "admin-api-key"
    path.write_text(GIVEN + "\n")
    os.chmod(path, 0o600)
    os.chown(path, 1234, 1234)
    assert not run_module(admin_key, {"path": str(path)}).changed
    result = run_module(admin_key, {"path": str(path), "key": "local-" + "d" * 40})
    assert result.changed and os.stat(path).st_uid == 1234 and os.stat(path).st_gid == 1234


def test_deprecated_in_runtime_yml_for_kept_secret():
    import yaml
    runtime = yaml.safe_load((Path(__file__).parents[4] / "meta" / "runtime.yml").read_text())
    deprecation = runtime["plugin_routing"]["modules"]["admin_key"]["deprecation"]
    assert deprecation["removal_version"] == "1.0.0" and "kept_secret" in deprecation["warning_text"]
    assert "removed_in: 1.0.0" in admin_key.DOCUMENTATION
