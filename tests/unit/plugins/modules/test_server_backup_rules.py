"""server_backup's naming, retention and MySQL option rules (the Docker paths run in tests/integration/fleet)."""
from __future__ import annotations

import datetime

import pytest

from ansible_collections.wandb_local.server.plugins.modules import server_backup


def test_backup_names_sort_by_time_and_say_what_they_came_from():
    when = datetime.datetime(2026, 11, 25, 17, 4, 5, tzinfo=datetime.timezone.utc)
    assert server_backup.backup_name("wandb-local", "0.74.0", when) == "wandb-local-20261125T170405Z-0.74.0.tar.gz"
    assert server_backup.backup_name("w", "sha256:ab/c d", when) == "w-20261125T170405Z-sha256_ab_c_d.tar.gz"
    assert server_backup.backup_name("w", "", when) == "w-20261125T170405Z.tar.gz"


def test_retention_keeps_the_newest_of_this_container_only(tmp_path):
    names = ["wandb-20260101T000000Z-a.tar.gz", "wandb-20260102T000000Z-b.tar.gz", "wandb-20260103T000000Z.tar.gz",
             "wandb-other-20260101T000000Z.tar.gz", "notes.txt"]
    for name in names:
        (tmp_path / name).write_text("x")
    older = server_backup.older_backups(str(tmp_path), "wandb", 2)
    assert [p.rsplit("/", 1)[1] for p in older] == ["wandb-20260101T000000Z-a.tar.gz"]
    assert server_backup.older_backups(str(tmp_path), "wandb", 0) == []


def test_mysql_url_becomes_a_client_options_file():
    options, database = server_backup.mysql_options("mysql://wandb:p%40ss%22w@db.internal:3307/wandb_local")
    assert database == "wandb_local"
    assert "host=db.internal" in options and "port=3307" in options and "user=wandb" in options
    assert 'password="p@ss\\"w"' in options


@pytest.mark.parametrize("url", ["postgres://u:p@h/db", "mysql://u:p@h", "mysql:///db"])
def test_mysql_url_must_name_host_and_database(url):
    with pytest.raises(ValueError, match="mysql://user:password@host:port/database"):
        server_backup.mysql_options(url)
