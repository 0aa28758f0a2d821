"""backup_info: the newest complete backup of a container chosen, a named one, its manifest read and its checksums
verified; a changed byte, a missing manifest and a missing backup reported."""
from __future__ import annotations

import datetime

from ansible_collections.wandb_local.server.plugins.module_utils import _backup
from ansible_collections.wandb_local.server.plugins.modules import backup_info


def make(directory, container, day, content=b"data", manifest=True):
    when = datetime.datetime(2026, 11, day, 3, 0, 0, tzinfo=datetime.timezone.utc)
    path = directory / _backup.backup_name(container, "0.74.0", when)
    path.write_bytes(content)
    if manifest:
        _backup.write_manifest(str(path), container, [str(path)], instance="wandb1", image="wandb/local:0.74.0",
                               created=when)
    return path


def test_the_newest_complete_backup_of_the_container_is_chosen_and_verified(run_module, tmp_path):
    make(tmp_path, "wandb-local", 1)
    newest = make(tmp_path, "wandb-local", 2)
    make(tmp_path, "wandb-local", 3, manifest=False)  # incomplete: never the default
    make(tmp_path, "wandb-local-2", 4)  # another container
    result = run_module(backup_info, {"path": str(tmp_path), "container_name": "wandb-local"}, check_mode=True)
    assert not result.failed and not result.changed, result
    times = [b["path"].rsplit("-", 2)[1] for b in result["backups"]]
    assert times == ["20261103T030000Z", "20261102T030000Z", "20261101T030000Z"]
    selected = result["selected"]
    assert selected["path"] == str(newest) and selected["verified"] and selected["problems"] == []
    assert selected["manifest"]["image"] == "wandb/local:0.74.0"
    assert selected["sha256"] == _backup.sha256_file(str(newest))


def test_one_changed_byte_is_a_problem(run_module, tmp_path):
    path = make(tmp_path, "wandb-local", 1, content=b"0123456789")
    path.write_bytes(b"0123456780")
    result = run_module(backup_info, {"path": str(tmp_path), "backup": path.name})
    assert not result.failed
    assert not result["selected"]["verified"]
    assert "does not match its SHA-256" in result["selected"]["problems"][0]


def test_a_backup_without_manifest_is_a_problem_unless_verify_is_off(run_module, tmp_path):
    path = make(tmp_path, "wandb-local", 1, manifest=False)
    checked = run_module(backup_info, {"path": str(tmp_path), "backup": str(path)})
    assert "has no manifest" in checked["selected"]["problems"][0]
    unchecked = run_module(backup_info, {"path": str(tmp_path), "backup": str(path), "verify": False})
    assert unchecked["selected"]["problems"] == [] and not unchecked["selected"]["verified"]


def test_no_such_backup_fails_listing_what_there_is(run_module, tmp_path):
    make(tmp_path, "wandb-local", 1)
    result = run_module(backup_info, {"path": str(tmp_path), "container_name": "wandb-local",
                                      "backup": "wandb-local-20200101T000000Z"})
    assert result.failed and "does not exist" in result["msg"] and "wandb-local-20261101T030000Z" in result["msg"]
    empty = run_module(backup_info, {"path": str(tmp_path / "none"), "container_name": "wandb-local"})
    assert empty.failed and "has no backup of wandb-local" in empty["msg"]
