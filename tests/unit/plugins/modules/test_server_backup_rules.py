"""server_backup's naming, retention and MySQL option rules (the Docker paths run in tests/integration/fleet)."""
from __future__ import annotations

import datetime
import os

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


class _FakeModule:
    """What dump_mysql needs of AnsibleModule: a mysqldump that writes a dump, and fail_json."""

    params = {"mysqldump": "mysqldump"}

    def __init__(self):
        self.warnings = []

    def get_bin_path(self, _name):
        return "/usr/bin/mysqldump"

    def run_command(self, argv):
        result_file = [arg for arg in argv if arg.startswith("--result-file=")][0].split("=", 1)[1]
        with open(result_file, "w") as handle:
            handle.write("-- dump with every user and key of the server\n")
        return 0, "", ""

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)

    def warn(self, text):
        self.warnings.append(text)


def test_the_mysql_dump_is_0600_before_its_first_byte(tmp_path, monkeypatch):
    seen_modes = []
    copy = server_backup.shutil.copyfileobj

    def copy_and_look(source, out):
        seen_modes.append(os.stat(dest).st_mode & 0o777)
        copy(source, out)

    monkeypatch.setattr(server_backup.shutil, "copyfileobj", copy_and_look)
    dest = tmp_path / "w-mysql.sql.gz"
    old_umask = os.umask(0)  # the widest umask: the file's mode must not come from it
    try:
        server_backup.dump_mysql(_FakeModule(), "mysql://wandb:pw@db:3306/wandb_local", str(dest))
    finally:
        os.umask(old_umask)
    assert seen_modes == [0o600]
    assert os.stat(dest).st_mode & 0o777 == 0o600
    assert not [p for p in tmp_path.iterdir() if p != dest]  # the options file and raw dump are gone


def test_an_existing_dump_file_is_narrowed_before_it_is_written(tmp_path):
    path = tmp_path / "dump"
    path.write_text("old")
    path.chmod(0o644)
    os.close(server_backup._create_private(str(path)))  # pylint: disable=protected-access
    assert os.stat(path).st_mode & 0o777 == 0o600 and path.read_text() == ""


def test_the_backup_directory_is_created_0700_and_a_wide_one_is_named(tmp_path):
    module = _FakeModule()
    old_umask = os.umask(0)
    try:
        server_backup.private_dir(module, str(tmp_path / "new" / "backups"))
    finally:
        os.umask(old_umask)
    assert os.stat(tmp_path / "new" / "backups").st_mode & 0o777 == 0o700
    wide = tmp_path / "wide"
    wide.mkdir(mode=0o755)
    wide.chmod(0o755)
    server_backup.private_dir(module, str(wide))
    assert module.warnings and str(wide) in module.warnings[0]
