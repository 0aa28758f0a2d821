"""playbooks/restore.yml and playbooks/migrate.yml on two stand-in instances of this machine's Docker engine.

Instance A (`ra`, image 0.74.0) gets data: a random file under /vol with its SHA-256, a file owned by root (the
restore gives everything to UID 999 / GID 0), and a user API key in the volume (the stand-in's users live there, so
the real `wandb` SDK logging in with it proves the user came with the data). Instance B (`rb`) runs 0.75.0.
The tests run in order on the same two instances (module-scoped, one deployment): --check changes nothing; a backup
with one byte changed is refused before anything is overwritten; the restore onto B (the backup's image, 0.74.0);
from an S3 bucket (moto) onto a host with no local copy; migrate A -> B (A stopped and kept), its re-run, rollback.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.fleet import Fleet
from support.playbooks import REPO, ansible_env, ansible_tool

SITE = REPO / "playbooks" / "site.yml"
RESTORE = REPO / "playbooks" / "restore.yml"
MIGRATE = REPO / "playbooks" / "migrate.yml"
BUILD = REPO / "tests" / "fixtures" / "standin" / "build.sh"
IMAGE = os.environ.get("WANDB_TEST_RESTORE_IMAGE", "wandb-local-test/restore-standin")
VENV_BIN = Path(sys.executable).parent
USER_KEY = "local-" + secrets.token_hex(20)
LICENSE = "eyJhbGciOiJSUzI1NiJ9.%s.c2ln" % secrets.token_hex(16)


def build(tag, version):
    env = dict(os.environ, STANDIN_SERVER_VERSION=version, STANDIN_FAIL_READY="false")
    subprocess.run(["bash", str(BUILD), tag], env=env, check=True, capture_output=True, timeout=600)


def sh(container, script, user="999:0"):
    code, out = container.exec_run(["sh", "-c", script], user=user)
    assert code == 0, out
    return out.decode()


def wait_ready(fleet, host, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if fleet.ready(host):
            return
        time.sleep(0.5)
    raise AssertionError("%s not ready within %d s" % (host, seconds))


def sdk_login(url, key, home):
    """`wandb login --host URL KEY` with the real SDK, isolated from this machine's settings and proxies."""
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(("WANDB_", "HTTP", "NO_PROXY"))}
    env.update({"PATH": "%s:%s" % (VENV_BIN, os.environ.get("PATH", "/usr/bin:/bin")), "HOME": str(home),
                "WANDB_CONFIG_DIR": str(home / "config"), "WANDB_DIR": str(home), "NETRC": str(home / ".netrc"),
                "TMPDIR": str(home / "tmp"), "WANDB_ERROR_REPORTING": "false",
                "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
                "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost"})
    proc = subprocess.run([str(VENV_BIN / "wandb"), "login", "--relogin", "--host", url, key], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    return proc.returncode, proc.stdout + proc.stderr


# The public SDK (wandb.Api) creates a user (with "create") and lists the users' e-mails.
_SDK_USERS = r"""
import json, sys
import wandb
url, key, create = sys.argv[1], sys.argv[2], sys.argv[3:]
api = wandb.Api(api_key=key, overrides={"base_url": url}, timeout=30)
for email in create:
    api.create_user(email, admin=False)
print(json.dumps(sorted(user.email for user in api.users("") if user.email)))
"""


def sdk_users(fleet, host, home, *create):
    """E-mails of the users of `host` through the real SDK with its admin key, after creating `create`."""
    key = (Path(fleet.hosts[host]["wandb_server_config_dir"]) / "admin-api-key").read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(HOME=str(home), WANDB_CONFIG_DIR=str(home / "config"), NETRC=str(home / ".netrc"),
               NO_PROXY="127.0.0.1,localhost", WANDB_SILENT="true")
    proc = subprocess.run([sys.executable, "-c", _SDK_USERS, fleet.hosts[host]["wandb_server_host"], key]
                          + list(create), env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def data_of(container):
    """SHA-256 of the test file, owners of everything under /vol/restore-test, the user keys file."""
    digest = sh(container, "sha256sum /vol/restore-test/data.bin | cut -d' ' -f1").strip()
    owners = set(sh(container, "find /vol/restore-test /vol/env -exec stat -c %u:%g {} +").split())
    keys = sh(container, "cat /vol/env/standin-api-keys 2>/dev/null || true")
    return digest, owners, keys


def take_backup(fleet, host):
    """server_backup of the (stopped) instance into its backup dir, as the wandb_server role and the backup role
    run it; the archive's path."""
    args = {"container_name": fleet.container_name(host), "dest_dir": fleet.hosts[host]["wandb_server_backup_dir"],
            "instance": host, "env_file": "%s/%s.env" % (fleet.hosts[host]["wandb_server_config_dir"],
                                                         fleet.container_name(host))}
    return adhoc(fleet, host, "wandb_local.server.server_backup", args)["path"]


def adhoc(fleet, host, module, args):
    """One module run on `host` (ansible ad-hoc with the fleet's inventory); its result."""
    proc = subprocess.run([ansible_tool("ansible"), host, "-i", str(fleet.inventory), "-o", "-m", module, "-a",
                           json.dumps(args)], env=ansible_env(), capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout[proc.stdout.index("{"):])


def has_test_data(container):
    code, _out = container.exec_run(["test", "-e", "/vol/restore-test/data.bin"], user="999:0")
    return code == 0


@pytest.fixture(scope="module")
def images():
    build(IMAGE + ":0.74.0", "0.74.0")
    build(IMAGE + ":0.75.0", "0.75.0")


@pytest.fixture(scope="module")
def pair(tmp_path_factory, images, docker_client):
    """A (ra, 0.74.0) with data and one backup of it, B (rb, 0.75.0) fresh; both deployed by site.yml."""
    fleet = Fleet(tmp_path_factory.mktemp("restore"), ["ra", "rb"], {
        "wandb_server_image": IMAGE, "wandb_server_image_tag": "0.74.0", "wandb_server_license": LICENSE,
        "wandb_server_admin_api_enabled": True})
    fleet.hosts["rb"]["wandb_server_image_tag"] = "0.75.0"
    fleet.write()
    try:
        result = fleet.run(SITE)
        assert result.returncode == 0, result.stdout[-4000:]
        a = fleet.container(docker_client, "ra")
        sh(a, "mkdir -p -m 0770 /vol/restore-test && head -c 200000 /dev/urandom > /vol/restore-test/data.bin && "
              "echo '%s alice alice@example.com' > /vol/env/standin-api-keys" % USER_KEY)
        sh(a, "echo root > /vol/restore-test/owned-by-root", user="0:0")
        assert "bob@example.com" in sdk_users(fleet, "ra", tmp_path_factory.mktemp("sdk"), "bob@example.com")
        digest = sh(a, "sha256sum /vol/restore-test/data.bin | cut -d' ' -f1").strip()
        a.stop(timeout=10)
        backup = take_backup(fleet, "ra")
        a.start()
        wait_ready(fleet, "ra")
        yield fleet, backup, digest
    finally:
        fleet.remove(docker_client)


def secrets_of(fleet):
    """The license, both admin keys and the user's API key: never in any output (-vvv --diff)."""
    keys = [(Path(fleet.hosts[host]["wandb_server_config_dir"]) / "admin-api-key").read_text().strip()
            for host in ("ra", "rb")]
    return [LICENSE, USER_KEY] + keys


def run(fleet, playbook, *options, **extra_vars):
    result = fleet.run(playbook, "-vvv", "--diff", *options, extra_vars=extra_vars, timeout=600)
    leaked = [index for index, secret in enumerate(secrets_of(fleet)) if secret in result.stdout]
    assert not leaked, "secrets %s in the output of %s" % (leaked, playbook.name)
    return result


def run_restore(fleet, *options, **extra_vars):
    return run(fleet, RESTORE, "--limit", "rb", *options, **extra_vars)


def test_check_mode_says_what_would_be_replaced_and_changes_nothing(pair, docker_client):
    fleet, backup, _digest = pair
    b = fleet.container(docker_client, "rb")
    result = run_restore(fleet, "--check", restore_from=str(Path(backup).parent),
                         restore_source=fleet.container_name("ra"))
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Would replace the data of %s" % fleet.container_name("rb") in result.stdout
    assert "image %s:0.75.0, running" % IMAGE in result.stdout
    assert os.path.basename(backup) in result.stdout
    assert "would run %s:0.74.0" % IMAGE in result.stdout
    assert "checksums verified" in result.stdout
    after = fleet.container(docker_client, "rb")
    assert after.id == b.id and after.status == "running"
    assert after.attrs["Config"]["Image"] == IMAGE + ":0.75.0"
    assert not has_test_data(after)


def test_a_backup_with_one_byte_changed_is_refused_before_anything_is_overwritten(pair, docker_client, tmp_path):
    fleet, backup, _digest = pair
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir(mode=0o700)
    for name in os.listdir(os.path.dirname(backup)):
        shutil.copy2(os.path.join(os.path.dirname(backup), name), corrupt / name)
    archive = corrupt / os.path.basename(backup)
    data = bytearray(archive.read_bytes())
    data[len(data) // 2] ^= 0x01
    archive.write_bytes(bytes(data))
    b = fleet.container(docker_client, "rb")
    result = run_restore(fleet, restore_from=str(corrupt), restore_backup=archive.name)
    assert result.returncode != 0, result.stdout[-4000:]
    assert "does not verify" in result.stdout and "Nothing was overwritten" in result.stdout
    assert "does not match its SHA-256" in result.stdout
    after = fleet.container(docker_client, "rb")
    assert after.id == b.id and after.status == "running"
    assert not has_test_data(after)
    assert not os.path.exists(Path(fleet.hosts["rb"]["wandb_server_backup_dir"]) / "replaced")


def test_restore_onto_a_second_instance_reads_back(pair, docker_client, tmp_path):
    fleet, backup, digest = pair
    result = run_restore(fleet, restore_from=str(Path(backup).parent), restore_source=fleet.container_name("ra"))
    assert result.returncode == 0, result.stdout[-4000:]
    b = fleet.container(docker_client, "rb")
    # The backup's server version, B's own settings (port, admin key) and its data.
    assert b.status == "running" and b.attrs["Config"]["Image"] == IMAGE + ":0.74.0"
    assert fleet.ready("rb")
    got_digest, owners, keys = data_of(b)
    assert got_digest == digest
    assert owners == {"999:0"}, owners  # the file owned by root in A's backup too
    assert USER_KEY in keys
    code, output = sdk_login(fleet.hosts["rb"]["wandb_server_host"], USER_KEY, tmp_path / "sdk")
    assert code == 0 and "Currently logged in as: alice" in output, output
    assert "bob@example.com" in sdk_users(fleet, "rb", tmp_path / "sdk-users")
    # B's data before the restore is kept, and the restore is recorded (0600).
    replaced = list((Path(fleet.hosts["rb"]["wandb_server_backup_dir"]) / "replaced").glob("*.tar.gz"))
    assert len(replaced) == 1
    record_path = Path(fleet.hosts["rb"]["wandb_server_config_dir"]) / (fleet.container_name("rb") + ".restored")
    assert stat.S_IMODE(record_path.stat().st_mode) == 0o600
    record = json.loads(record_path.read_text())
    assert record["backup"] == backup and record["from_container"] == fleet.container_name("ra")
    assert "declares %s:0.75.0" % IMAGE in result.stdout
    # One lock from the data's replacement to /ready: the converge reentered the restore's lock, which is released.
    assert '"reentered": true' in result.stdout, result.stdout[-4000:]
    assert not (Path(fleet.hosts["rb"]["wandb_server_config_dir"]) / (fleet.container_name("rb") + ".lock")).exists()


def test_restore_from_a_bucket_on_a_host_without_a_local_copy(pair, docker_client, boto, moto_endpoint):
    """B's own data from before the restore (kept in backups/replaced, so not where restores look) goes to S3 (moto)
    with backup_copy; the newest backup of B in the bucket is fetched into B's backup dir, verified and restored."""
    fleet, _backup, _digest = pair
    replaced = next((Path(fleet.hosts["rb"]["wandb_server_backup_dir"]) / "replaced").glob("*.tar.gz"))
    bucket = "wandb-restore-%s" % secrets.token_hex(4)
    boto("s3").create_bucket(Bucket=bucket)
    url = "s3://%s/backups" % bucket
    sent = adhoc(fleet, "rb", "wandb_local.server.backup_copy",
                 {"url": url, "path": str(replaced), "endpoint_url": moto_endpoint})
    assert replaced.name in sent["sent"]
    local = Path(fleet.hosts["rb"]["wandb_server_backup_dir"]) / replaced.name
    assert not local.exists()
    result = run_restore(fleet, restore_from=url, backup_offsite_endpoint_url=moto_endpoint)
    assert result.returncode == 0, result.stdout[-4000:]
    assert stat.S_IMODE(local.stat().st_mode) == 0o600
    b = fleet.container(docker_client, "rb")
    assert b.status == "running" and b.attrs["Config"]["Image"] == IMAGE + ":0.75.0"
    assert fleet.ready("rb") and not has_test_data(b)
    assert "checksums verified" in result.stdout


def test_a_migration_that_fails_on_the_target_starts_the_source_again(pair, docker_client):
    """B never gets ready in time after the restore: A, stopped for its backup, serves again and nothing says it
    was migrated."""
    fleet, _backup, digest = pair
    fleet.hosts["rb"].update(wandb_server_health_timeout=3, wandb_server_extra_env={"STANDIN_STARTUP_SECONDS": "60"})
    fleet.write()
    try:
        result = run(fleet, MIGRATE, migrate_from="ra", migrate_to="rb")
    finally:
        for name in ("wandb_server_health_timeout", "wandb_server_extra_env"):
            fleet.hosts["rb"].pop(name)
        fleet.write()
    assert result.returncode != 0, result.stdout[-4000:]
    assert "The migration to rb failed at" in result.stdout and "ra serves again" in result.stdout
    a = fleet.container(docker_client, "ra")
    assert a.status == "running" and a.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert fleet.ready("ra") and data_of(a)[0] == digest
    record = Path(fleet.hosts["ra"]["wandb_server_config_dir"]) / (fleet.container_name("ra") + ".migrated")
    assert not record.exists()


def test_migrate_moves_the_instance_and_stops_the_source(pair, docker_client, tmp_path):
    fleet, _backup, digest = pair
    a = fleet.container(docker_client, "ra")
    sh(a, "echo written-after-the-first-backup > /vol/restore-test/after.txt")
    result = run(fleet, MIGRATE, migrate_from="ra", migrate_to="rb")
    assert result.returncode == 0, result.stdout[-6000:]
    a, b = fleet.container(docker_client, "ra"), fleet.container(docker_client, "rb")
    assert a.status == "exited" and a.attrs["HostConfig"]["RestartPolicy"]["Name"] == "no"
    assert b.status == "running" and b.attrs["Config"]["Image"] == IMAGE + ":0.74.0"
    assert fleet.ready("rb") and not fleet.ready("ra")
    assert sh(b, "cat /vol/restore-test/after.txt").strip() == "written-after-the-first-backup"
    assert data_of(b)[0] == digest
    assert "bob@example.com" in sdk_users(fleet, "rb", tmp_path / "sdk")
    assert "and every one of the" in result.stdout  # the read-back of users and the data listing
    assert "Now switch" in result.stdout and "remove ra from the wandb_servers" in result.stdout
    record = json.loads((Path(fleet.hosts["ra"]["wandb_server_config_dir"])
                         / (fleet.container_name("ra") + ".migrated")).read_text())
    assert record["to"] == "rb"
    copy = Path(fleet.hosts["rb"]["wandb_server_backup_dir"]) / os.path.basename(record["backup"])
    assert stat.S_IMODE(copy.stat().st_mode) == 0o600


def test_migrate_again_says_it_is_done(pair, docker_client):
    fleet, _backup, _digest = pair
    b = fleet.container(docker_client, "rb")
    result = run(fleet, MIGRATE, migrate_from="ra", migrate_to="rb")
    assert result.returncode == 0, result.stdout[-4000:]
    assert "Nothing to do" in result.stdout
    assert "changed=0" in result.stdout and not re.search(r"changed=[1-9]", result.stdout)
    assert fleet.container(docker_client, "rb").id == b.id


def test_rollback_brings_the_source_back_with_its_data(pair, docker_client):
    fleet, _backup, digest = pair
    result = run(fleet, MIGRATE, migrate_from="ra", migrate_to="rb", rollback=True)
    assert result.returncode == 0, result.stdout[-4000:]
    a, b = fleet.container(docker_client, "ra"), fleet.container(docker_client, "rb")
    assert a.status == "running" and a.attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    assert b.status == "exited" and b.attrs["HostConfig"]["RestartPolicy"]["Name"] == "no"
    wait_ready(fleet, "ra")
    assert data_of(a)[0] == digest
    assert sh(a, "cat /vol/restore-test/after.txt").strip() == "written-after-the-first-backup"
    record = Path(fleet.hosts["ra"]["wandb_server_config_dir"]) / (fleet.container_name("ra") + ".migrated")
    assert not record.exists()
    assert "serves again" in result.stdout
