"""Backup names, manifests, verification, listing and retention (plugins/module_utils/_backup.py)."""
from __future__ import annotations

import datetime
import json
import os
import stat

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _backup as b

UTC = datetime.timezone.utc


def _make(directory, container, when, label="", manifest=True, content=b"data"):
    archive = os.path.join(str(directory), b.backup_name(container, label, when))
    with open(archive, "wb") as handle:
        handle.write(content)
    if manifest:
        b.write_manifest(archive, container, [archive], label=label, created=when)
    return archive


def test_manifest_written_0600_with_the_contract_fields(tmp_path):
    archive = _make(tmp_path, "wandb-local", datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), label="0.74.0")
    path = b.manifest_path(archive)
    assert path.endswith("wandb-local-20260102T030405Z-0.74.0.manifest.json")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    manifest = b.read_manifest(path)
    assert set(manifest) == {"format", "container_name", "instance", "created", "label", "image", "image_id",
                             "server_version", "settings", "files"}
    assert manifest["created"] == "2026-01-02T03:04:05Z"
    assert manifest["files"] == [{"name": os.path.basename(archive), "size": 4,
                                  "sha256": b.sha256_file(archive)}]
    assert not [n for n in os.listdir(str(tmp_path)) if n.startswith(".")]  # no temporary file left
    assert b.verify_backup(path) == []


def test_verify_names_every_problem(tmp_path):
    archive = _make(tmp_path, "w", datetime.datetime(2026, 1, 2, tzinfo=UTC))
    path = b.manifest_path(archive)
    with open(archive, "ab") as handle:
        handle.write(b"x")
    assert "manifest says 4" in b.verify_backup(path)[0]
    with open(archive, "wb") as handle:
        handle.write(b"DATA")  # same size, other bytes
    assert "SHA-256" in b.verify_backup(path)[0]
    os.remove(archive)
    assert "is missing" in b.verify_backup(path)[0]
    with open(path, "w") as handle:
        json.dump({"format": 2}, handle)
    assert "format 2" in b.verify_backup(path)[0]
    assert "cannot read" in b.verify_backup(str(tmp_path / "nope.manifest.json"))[0]


def test_manifest_rejects_path_names(tmp_path):
    archive = _make(tmp_path, "w", datetime.datetime(2026, 1, 2, tzinfo=UTC))
    path = b.manifest_path(archive)
    manifest = b.read_manifest(path)
    manifest["files"][0]["name"] = "../etc/passwd"
    with open(path, "w") as handle:
        json.dump(manifest, handle)
    assert "bad name" in b.verify_backup(path)[0]


def test_list_newest_first_and_other_containers_ignored(tmp_path):
    times = [datetime.datetime(2026, 1, d, tzinfo=UTC) for d in (3, 1, 2)]
    for when in times:
        _make(tmp_path, "wandb", when)
    _make(tmp_path, "wandb-two", datetime.datetime(2026, 1, 9, tzinfo=UTC))
    incomplete = _make(tmp_path, "wandb", datetime.datetime(2026, 1, 4, tzinfo=UTC), manifest=False)
    listed = b.list_backups(str(tmp_path), "wandb")
    assert [x["created"].day for x in listed] == [4, 3, 2, 1]
    assert listed[0]["archive"] == incomplete and not listed[0]["complete"] and listed[0]["manifest"] is None
    assert all(x["complete"] for x in listed[1:])
    assert b.list_backups(str(tmp_path / "absent"), "wandb") == []


def test_retention_by_count_and_age(tmp_path):
    for day in range(1, 6):
        _make(tmp_path, "wandb", datetime.datetime(2026, 1, day, tzinfo=UTC))
    now = datetime.datetime(2026, 1, 6, tzinfo=UTC)
    by_count = b.expired_backups(str(tmp_path), "wandb", keep=3, now=now)
    assert [x["created"].day for x in by_count] == [2, 1]
    by_age = b.expired_backups(str(tmp_path), "wandb", max_age_days=2.5, now=now)
    assert [x["created"].day for x in by_age] == [3, 2, 1]
    # The newest complete backup is never expired by age.
    assert [x["created"].day for x in b.expired_backups(str(tmp_path), "wandb", max_age_days=1,
                                                        now=now + datetime.timedelta(days=30))] == [4, 3, 2, 1]
    for backup in by_count:
        assert len(b.remove_backup(backup)) == 2
    assert [x["created"].day for x in b.list_backups(str(tmp_path), "wandb")] == [5, 4, 3]
    age, newest = b.backup_age_hours(str(tmp_path), "wandb", now=now)
    assert age == 24.0 and newest.endswith("wandb-20260105T000000Z.tar.gz")


def test_private_dir(tmp_path):
    path = str(tmp_path / "a" / "b")
    assert b.private_dir(path) is None
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
    os.chmod(path, 0o755)
    assert "0755" in b.private_dir(path)


@pytest.mark.parametrize("url,error", [("postgres://u:p@h/d", True), ("mysql://u:p@h/", True),
                                       ("mysql://u:p%40x@h:3307/db", False)])
def test_mysql_options(url, error):
    if error:
        with pytest.raises(ValueError):
            b.mysql_options(url)
    else:
        text, database = b.mysql_options(url)
        assert database == "db" and 'password="p@x"' in text and "port=3307" in text
