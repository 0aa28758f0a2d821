"""server_backup against Docker and a real MariaDB: /vol archived from a stopped container (0600), the external
database dumped beside it with the password kept out of the command line, retention, restore into the volume,
and the refusals (running container, missing mysqldump)."""
from __future__ import annotations

import gzip
import os
import stat
import subprocess
import tarfile
import uuid

import docker
import pytest

from support import emulators
from support.playbooks import REPO

from ansible_collections.wandb_local.server.plugins.module_utils import _backup
from ansible_collections.wandb_local.server.plugins.modules import server_backup

IMAGE = "wandb-local-test/standin:latest"
DB_PASSWORD = "p@ss-%s" % uuid.uuid4().hex[:8]


@pytest.fixture(scope="module")
def image():
    subprocess.run(["bash", str(REPO / "tests/fixtures/standin/build.sh"), IMAGE], check=True, capture_output=True,
                   timeout=600)
    return IMAGE


@pytest.fixture(scope="module")
def mysql_url(tmp_path_factory):
    work = tmp_path_factory.mktemp("mariadb")
    proc = emulators.mariadb(work / "data", work / "mariadb.log")
    try:
        proc.wait_ready(60)
        sql = ("CREATE DATABASE wandb_local; CREATE USER 'wandb'@'%%' IDENTIFIED BY '%s';"
               "GRANT ALL ON wandb_local.* TO 'wandb'@'%%';"
               "CREATE TABLE wandb_local.runs (id INT PRIMARY KEY, name VARCHAR(64));"
               "INSERT INTO wandb_local.runs VALUES (1, 'first-run');" % DB_PASSWORD)
        subprocess.run(["mariadb", "--no-defaults", "--socket=%s" % proc.ports["socket"], "-uroot", "-e", sql],
                       check=True, capture_output=True, timeout=60)
        yield "mysql://wandb:%s@127.0.0.1:%d/wandb_local" % (DB_PASSWORD.replace("@", "%40"), proc.port)
    finally:
        proc.stop()


@pytest.fixture
def server(image, docker_client):
    """A stopped server container whose volume holds what the stand-in wrote at boot."""
    name = "wandb-backup-" + uuid.uuid4().hex[:8]
    container = docker_client.containers.run(image, name=name, detach=True, volumes={name: {"bind": "/vol"}},
                                             environment={"STANDIN_STARTUP_SECONDS": "0"})
    for _attempt in range(100):
        if b"All services started" in container.logs():
            break
        container.reload()
        assert container.status == "running", container.logs()
        subprocess.run(["sleep", "0.1"], check=True)
    container.stop(timeout=10)
    yield name
    for collection in (docker_client.containers, docker_client.volumes):
        try:
            collection.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass


def names_in(archive):
    with tarfile.open(archive) as tar:
        return tar.getnames()


def test_backup_of_vol_and_external_mysql(run_module, server, mysql_url, tmp_path):
    dest = tmp_path / "backups"
    result = run_module(server_backup, {"container_name": server, "dest_dir": str(dest), "label": "0.74.0",
                                        "mysql": mysql_url})
    assert result.changed and not result.failed, result
    assert "vol/mysql/standin-migrations" in names_in(result["path"])
    assert stat.S_IMODE(os.stat(result["path"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o700
    dump = gzip.open(result["mysql_dump"]).read().decode()
    assert "CREATE TABLE `runs`" in dump and "first-run" in dump
    assert stat.S_IMODE(os.stat(result["mysql_dump"]).st_mode) == 0o600
    assert DB_PASSWORD not in str(result)
    assert sorted(os.listdir(dest)) == sorted([os.path.basename(result["path"]), os.path.basename(result["manifest"]),
                                               os.path.basename(result["mysql_dump"])])  # no temporary files left
    manifest = _backup.read_manifest(result["manifest"])
    assert stat.S_IMODE(os.stat(result["manifest"]).st_mode) == 0o600
    assert [f["name"] for f in manifest["files"]] == [os.path.basename(result["path"]),
                                                      os.path.basename(result["mysql_dump"])]
    assert manifest["label"] == "0.74.0" and manifest["image"] == IMAGE and manifest["image_id"].startswith("sha256:")
    assert _backup.verify_backup(result["manifest"]) == []
    assert DB_PASSWORD not in open(result["manifest"]).read()


def test_check_mode_predicts_and_writes_nothing(run_module, server, tmp_path):
    result = run_module(server_backup, {"container_name": server, "dest_dir": str(tmp_path / "b")}, check_mode=True)
    assert result.changed and result["path"].startswith(str(tmp_path / "b"))
    assert not (tmp_path / "b").exists()


def test_retention_keeps_the_newest(run_module, server, tmp_path):
    dest = tmp_path / "backups"
    dest.mkdir()
    for day in ("01", "02", "03"):
        (dest / ("%s-202601%sT000000Z-old.tar.gz" % (server, day))).write_bytes(b"")
    result = run_module(server_backup, {"container_name": server, "dest_dir": str(dest), "keep": 2})
    assert sorted(os.path.basename(p) for p in result["removed"]) == [
        "%s-20260101T000000Z-old.tar.gz" % server, "%s-20260102T000000Z-old.tar.gz" % server]
    assert sorted(os.listdir(dest)) == sorted(["%s-20260103T000000Z-old.tar.gz" % server,
                                               os.path.basename(result["path"]),
                                               os.path.basename(result["manifest"])])


def test_restore_puts_the_volume_back_as_it_was(run_module, server, docker_client, tmp_path):
    backup = run_module(server_backup, {"container_name": server, "dest_dir": str(tmp_path)})
    # A new version boots on the data and migrates it.
    docker_client.containers.run(IMAGE, remove=True, volumes={server: {"bind": "/vol"}}, user="0:0",
                                 entrypoint=["sh", "-c", "echo 9.9.9 >> /vol/mysql/standin-migrations; touch /vol/new"])
    # A corrupt archive is refused before the volume is touched.
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    bad = corrupt / os.path.basename(backup["path"])
    bad.write_bytes(open(backup["path"], "rb").read()[:-10] + b"0123456789")
    (corrupt / os.path.basename(backup["manifest"])).write_bytes(open(backup["manifest"], "rb").read())
    refused = run_module(server_backup, {"state": "restored", "container_name": server, "path": str(bad)})
    assert refused.failed and "nothing was overwritten" in refused["msg"] and "SHA-256" in refused["msg"], refused
    os.remove(str(corrupt / os.path.basename(backup["manifest"])))
    refused = run_module(server_backup, {"state": "restored", "container_name": server, "path": str(bad)})
    assert refused.failed and "has no manifest" in refused["msg"], refused
    untouched = docker_client.containers.run(IMAGE, remove=True, volumes={server: {"bind": "/vol"}},
                                             entrypoint=["ls", "/vol"]).decode()
    assert "new" in untouched.split()
    restored = run_module(server_backup, {"state": "restored", "container_name": server, "path": backup["path"]})
    assert restored.changed and not restored.failed, restored
    out = docker_client.containers.run(IMAGE, remove=True, volumes={server: {"bind": "/vol"}},
                                       entrypoint=["sh", "-c", "cat /vol/mysql/standin-migrations; ls /vol; "
                                                   "stat -c %u /vol/env/users.htpasswd"]).decode()
    assert "9.9.9" not in out and "new" not in out.split() and out.split()[-1] == "999"


def test_running_container_is_refused(run_module, server, docker_client, tmp_path):
    docker_client.containers.get(server).start()
    result = run_module(server_backup, {"container_name": server, "dest_dir": str(tmp_path)})
    assert result.failed and "is running: stop it first" in result["msg"]
    # In check mode the stop before it was only predicted: predict the backup too.
    predicted = run_module(server_backup, {"container_name": server, "dest_dir": str(tmp_path / "b")},
                           check_mode=True)
    assert predicted.changed and not predicted.failed


def test_missing_mysqldump_says_what_to_install(run_module, server, tmp_path):
    result = run_module(server_backup, {"container_name": server, "dest_dir": str(tmp_path),
                                        "mysql": "mysql://u:p@127.0.0.1:1/db", "mysqldump": "no-such-mysqldump"})
    assert result.failed and "mariadb-client" in result["msg"]
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tar.gz")]  # nothing half-written kept
