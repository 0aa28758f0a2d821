"""Scheduled backups (issue 16): the backup role on a stand-in server whose data was written through its API and
volume (a user with a key, a file under /vol, rows of its "database" /vol/mysql), then the unit's ExecStart run
directly (this machine has no systemd): archive + manifest (0600 in a 0700 directory, checksums, version, masked
settings), the server stopped and back, retention by count and by age, failures that fail the unit, the off-host copy
to moto S3 (SSE checked with head_object) and the GCS emulator, backup_copy state=fetched into an empty directory, a
backup taken while a client keeps writing restored to a ready server, and no secret anywhere (output, units,
configuration, manifest)."""
from __future__ import annotations

import datetime
import json
import os
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import docker
import pytest

from support.fixtures import FAKE_ACCESS_KEY, FAKE_SECRET_KEY, remove_containers
from support.playbooks import run_tasks
from support.procs import DIRECT, free_port

from ansible_collections.wandb_local.server.plugins.module_utils import _backup
from ansible_collections.wandb_local.server.plugins.modules import backup_copy, server_backup

CANARIES = {
    "LICENSE": "canary-license-%s" % uuid.uuid4().hex,
    "MYSQL": "mysql://wandb:canary-mysql-%s@db:3306/wandb" % uuid.uuid4().hex[:12],
    "OIDC_SECRET": "canary-oidc-%s" % uuid.uuid4().hex,
    "BUCKET": "s3://CANARYKEY:canary-bucket-%s@minio:9000/wandb" % uuid.uuid4().hex[:12],
}
API_KEY = "canarykey" + uuid.uuid4().hex + uuid.uuid4().hex[:7]  # 40 characters, a user of the stand-in
BUCKET = "wandb-backups-%s" % uuid.uuid4().hex[:8]


def secret_values():
    """Every secret the tests hand over: the settings' canaries, the API key, the bucket credentials."""
    return [CANARIES["LICENSE"], CANARIES["OIDC_SECRET"], CANARIES["MYSQL"].split(":")[2].split("@")[0],
            CANARIES["BUCKET"].split(":")[2].split("@")[0], API_KEY, FAKE_SECRET_KEY]


def assert_no_secret(text, where):
    for value in secret_values():
        assert value not in text, "a secret shows in %s" % where


def http_ok(url, timeout=2.0):
    try:
        with DIRECT.open(url, timeout=timeout) as response:
            return response.status == 200
    except OSError:
        return False


def wait_ready(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if http_ok(url + "/ready"):
            return True
        time.sleep(0.2)
    return False


def viewer(url):
    """The stand-in's viewer for API_KEY (the user written before the backup), None when the key is unknown."""
    import base64
    request = urllib.request.Request(url + "/graphql", data=b'{"query": "{ viewer { username } }"}', method="POST",
                                     headers={"Content-Type": "application/json", "Authorization": "Basic "
                                              + base64.b64encode(b"api:" + API_KEY.encode()).decode()})
    try:
        with DIRECT.open(request, timeout=5) as response:
            return (json.loads(response.read().decode()).get("data") or {}).get("viewer")
    except OSError:
        return None


@pytest.fixture(scope="module")
def standin(standin_image, docker_client):
    """A running stand-in server on a named volume, port on 127.0.0.1, with a user (API key + password), a file
    under /vol and rows in its "database"."""
    name = "wandb-sched-" + uuid.uuid4().hex[:8]
    port = free_port()
    docker_client.containers.run(standin_image + ":latest", name=name, detach=True, volumes={name: {"bind": "/vol"}},
                                 ports={"8080/tcp": ("127.0.0.1", port)},
                                 environment={"STANDIN_STARTUP_SECONDS": "0"})
    url = "http://127.0.0.1:%d" % port
    try:
        assert wait_ready(url), docker_client.containers.get(name).logs()[-2000:]
        container = docker_client.containers.get(name)
        script = ("echo '%s backup-user backup@example.com' >> /vol/env/standin-api-keys; "
                  "echo 'precious run data' > /vol/minio/run-file.txt; "
                  "for i in 1 2 3; do echo \"row $i\" >> /vol/mysql/standin-db; done" % API_KEY)
        assert container.exec_run(["sh", "-c", script]).exit_code == 0
        container.exec_run(["local", "password", "backup@example.com"])
        assert viewer(url) == {"username": "backup-user"}
        yield {"name": name, "port": port, "url": url}
    finally:
        remove_containers(docker_client, name)


@pytest.fixture(scope="module")
def installed(standin, moto_endpoint, tmp_path_factory):
    """The backup role run (twice: the second changes nothing) with paths under a temporary directory and the
    off-host copy to moto S3; the env file holds canary secrets."""
    import boto3
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=BUCKET)
    root = tmp_path_factory.mktemp("backup-role")
    config_dir = root / "etc"
    config_dir.mkdir()
    env_lines = ["HOST=http://localhost:%d" % standin["port"]] + ["%s=%s" % kv for kv in CANARIES.items()]
    (config_dir / (standin["name"] + ".env")).write_text("\n".join(env_lines) + "\n")
    os.chmod(str(config_dir / (standin["name"] + ".env")), 0o600)
    extra = {
        "wandb_server_container_name": standin["name"], "wandb_server_port": standin["port"],
        "wandb_server_config_dir": str(config_dir),
        "backup_dir": str(root / "backups"), "backup_config_dir": str(root / "backup-config"),
        "backup_lib_dir": str(root / "lib"), "backup_runner_path": str(root / "libexec" / "wandb-local-backup"),
        "backup_systemd_dir": str(root / "systemd"), "backup_python": sys.executable,
        "backup_keep": 3, "backup_max_age_days": 0, "backup_ready_timeout": 60,
        "backup_api_key": API_KEY, "backup_on_calendar": "*-*-* 02:30:00",
        "backup_offsite_url": "s3://%s/nightly" % BUCKET, "backup_offsite_endpoint_url": moto_endpoint,
        "backup_offsite_region": "us-east-1",
        "backup_offsite_access_key": FAKE_ACCESS_KEY, "backup_offsite_secret_key": FAKE_SECRET_KEY,
    }
    (root / "systemd").mkdir()
    tasks = [{"name": "Scheduled backups", "ansible.builtin.include_role": {"name": "wandb_local.server.backup"}}]
    first = run_tasks(root, tasks, extra)
    assert first.returncode == 0, first
    second = run_tasks(root, tasks, extra)
    assert second.returncode == 0, second
    unit = "wandb-local-backup-%s" % standin["name"]
    return {"root": root, "extra": extra, "first": first, "second": second, "unit": unit,
            "service": root / "systemd" / (unit + ".service"), "timer": root / "systemd" / (unit + ".timer"),
            "config": root / "backup-config" / (standin["name"] + ".json"), "backups": root / "backups"}


def exec_start(installed, config=None):
    """The service's ExecStart, run as systemd would (its Environment=), optionally with another config file:
    (returncode, stdout, stderr)."""
    env = dict(os.environ)
    argv = None
    for line in installed["service"].read_text().splitlines():
        if line.startswith("Environment="):
            key, _sep, value = line[len("Environment="):].partition("=")
            env[key] = value
        if line.startswith("ExecStart="):
            argv = shlex.split(line[len("ExecStart="):])
    if config is not None:
        argv[argv.index("--config") + 1] = str(config)
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300, check=False)
    return proc.returncode, proc.stdout, proc.stderr


def newest_backup(installed, standin):
    """The newest complete backup, taken now when there is none yet (so each test can run alone)."""
    found = [b for b in _backup.list_backups(str(installed["backups"]), standin["name"]) if b["complete"]]
    if not found:
        rc, _out, err = exec_start(installed)
        assert rc == 0, err
        found = [b for b in _backup.list_backups(str(installed["backups"]), standin["name"]) if b["complete"]]
    return found[0]


def other_config(installed, tmp_path, **changes):
    config = json.loads(installed["config"].read_text())
    config.update(changes)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return path


def test_role_installs_runner_units_and_private_config(installed):
    assert installed["second"].recap()["changed"] == 0, installed["second"]
    assert "systemd is not running" in installed["first"].stdout
    service, timer = installed["service"].read_text(), installed["timer"].read_text()
    assert "Type=oneshot" in service and "--config %s" % installed["config"] in service
    assert "OnCalendar=*-*-* 02:30:00" in timer and "Persistent=true" in timer
    assert "Unit=%s.service" % installed["unit"] in timer
    analyze = shutil.which("systemd-analyze")
    if analyze:  # the units as systemd reads them (works without systemd running)
        verified = subprocess.run([analyze, "verify", str(installed["service"]), str(installed["timer"])],
                                  capture_output=True, text=True, timeout=60, check=False)
        assert verified.returncode == 0, verified.stderr
    config_dir = installed["config"].parent
    assert stat.S_IMODE(os.stat(str(config_dir)).st_mode) == 0o700
    secrets = config_dir / (installed["extra"]["wandb_server_container_name"] + ".secrets")
    for path in (installed["config"], secrets):
        assert stat.S_IMODE(os.stat(str(path)).st_mode) == 0o600
    assert FAKE_SECRET_KEY in secrets.read_text() and API_KEY in secrets.read_text()
    for text, where in ((installed["first"].stdout, "the role's -vvv --diff output"),
                        (installed["second"].stdout, "the second run's output"), (service, "the service"),
                        (timer, "the timer"), (installed["config"].read_text(), "the runner's configuration")):
        assert_no_secret(text, where)


def test_unit_paths_with_spaces_are_refused_and_backup_dir_may_have_them(tmp_path):
    """systemd splits ExecStart=/Environment= at spaces: the preflight names the unit path that has one (before
    anything is written); backup_dir, only in the JSON configuration, may have spaces."""
    spaced = tmp_path / "with space"
    extra = {"wandb_server_container_name": "review-spaces", "backup_dir": str(spaced / "backups"),
             "backup_config_dir": str(spaced / "config"), "backup_lib_dir": str(tmp_path / "lib"),
             "backup_runner_path": str(tmp_path / "libexec" / "runner"), "backup_python": sys.executable}
    tasks = [{"name": "Backup preflight",
              "ansible.builtin.include_role": {"name": "wandb_local.server.backup", "tasks_from": "preflight"}}]
    refused = run_tasks(tmp_path, tasks, extra)
    assert refused.returncode != 0, refused
    assert "backup_config_dir: the service's ExecStart= and Environment= lines name" in refused.stdout, refused
    assert "backup_dir may have spaces" in refused.stdout and "backup_lib_dir:" not in refused.stdout, refused
    accepted = run_tasks(tmp_path, tasks, dict(extra, backup_config_dir=str(tmp_path / "config")))
    assert accepted.returncode == 0, accepted
    assert not spaced.exists()


def test_scheduled_backup_fires(installed, standin, boto):
    rc, out, err = exec_start(installed)
    assert rc == 0, err
    assert_no_secret(out + err, "the runner's output")
    result = json.loads(out)
    print("downtime of the stand-in: %.2f s %s" % (result["downtime_seconds"], result["timings"]))
    assert result["consistency"] == "stop" and result["downtime_seconds"] > 0
    assert http_ok(standin["url"] + "/ready") and viewer(standin["url"]) == {"username": "backup-user"}
    backups = installed["backups"]
    assert stat.S_IMODE(os.stat(str(backups)).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(result["path"]).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(result["manifest"]).st_mode) == 0o600
    assert _backup.verify_backup(result["manifest"]) == []
    manifest = _backup.read_manifest(result["manifest"])
    text = open(result["manifest"]).read()
    assert_no_secret(text, "the manifest")
    assert manifest["server_version"] == "0.74.0" and manifest["instance"] == "localhost"
    assert manifest["label"] == "scheduled" and manifest["image_id"].startswith("sha256:")
    assert manifest["settings"]["HOST"].startswith("http://localhost:")
    assert set(CANARIES) <= set(manifest["settings"]) and manifest["settings"]["LICENSE"] != CANARIES["LICENSE"]
    import tarfile
    with tarfile.open(result["path"]) as tar:
        names = tar.getnames()
        assert tar.extractfile("vol/minio/run-file.txt").read() == b"precious run data\n"
        assert b"row 3" in tar.extractfile("vol/mysql/standin-db").read()
    assert "vol/env/standin-api-keys" in names and "vol/env/users.htpasswd" in names
    # Off-host: archive and manifest, encrypted, with their SHA-256.
    s3 = boto("s3")
    for entry in manifest["files"] + [{"name": os.path.basename(result["manifest"]),
                                       "sha256": _backup.sha256_file(result["manifest"])}]:
        head = s3.head_object(Bucket=BUCKET, Key="nightly/" + entry["name"])
        assert head["ServerSideEncryption"] == "AES256" and head["Metadata"]["sha256"] == entry["sha256"]
    assert sorted(result["offsite"]["sent"])[-1].endswith(".tar.gz")


def test_retention_by_count_and_by_age(installed, standin, tmp_path):
    backups, name = installed["backups"], standin["name"]
    old = []
    for day in (1, 2, 3, 4):
        archive = str(backups / _backup.backup_name(name, "scheduled", datetime.datetime(
            2026, 1, day, tzinfo=datetime.timezone.utc)))
        with open(archive, "wb") as handle:
            handle.write(b"old")
        _backup.write_manifest(archive, name, [archive])
        old.append(archive)
    before = [b["archive"] for b in _backup.list_backups(str(backups), name)]
    rc, out, err = exec_start(installed)  # keep 3
    assert rc == 0, err
    after = [b["archive"] for b in _backup.list_backups(str(backups), name)]
    new = json.loads(out)["path"]
    assert after == [new] + before[:2]
    assert sorted(json.loads(out)["removed"]) == sorted(before[2:])
    # By age: everything older than a day goes, by count nothing.
    rc, out, err = exec_start(installed, other_config(installed, tmp_path, keep=0, max_age_days=1, offsite={}))
    assert rc == 0, err
    remaining = [b["archive"] for b in _backup.list_backups(str(backups), name)]
    assert json.loads(out)["path"] in remaining and not set(old) & set(remaining)
    assert all(b["created"] > datetime.datetime(2026, 6, 1, tzinfo=datetime.timezone.utc)
               for b in _backup.list_backups(str(backups), name))


def test_a_failed_backup_fails_the_unit(installed, tmp_path, standin):
    rc, _out, err = exec_start(installed, other_config(installed, tmp_path, container_name="no-such-wandb"))
    assert rc == 1 and "backup FAILED" in err and "does not exist" in err
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    rc, _out, err = exec_start(installed, other_config(installed, tmp_path, dest_dir=str(blocker / "b")))
    assert rc == 1 and "backup FAILED" in err
    assert wait_ready(standin["url"], 30)  # stopped for the backup, started again although it failed
    offsite = json.loads(installed["config"].read_text())["offsite"]
    broken_copy = other_config(installed, tmp_path, consistency="running",
                               offsite=dict(offsite, url="s3://no-such-bucket-x/p"))
    rc, _out, err = exec_start(installed, broken_copy)
    assert rc == 1 and "backup FAILED" in err and "NoSuchBucket" in err
    assert_no_secret(err, "the runner's error")


def test_backup_copy_fetches_the_latest_and_sends_nothing_twice(
        installed, standin, run_module, moto_endpoint, tmp_path, boto):
    common = {"url": "s3://%s/nightly" % BUCKET, "endpoint_url": moto_endpoint, "region": "us-east-1",
              "access_key": FAKE_ACCESS_KEY, "secret_key": FAKE_SECRET_KEY}
    newest_backup(installed, standin)  # (the runner copied it to the bucket)
    fetched = run_module(backup_copy, dict(common, state="fetched", container_name=standin["name"],
                                           dest_dir=str(tmp_path / "fetched")))
    assert fetched.changed and not fetched.failed, fetched
    assert _backup.verify_backup(fetched["manifest"]) == [] and os.path.isfile(fetched["archive"])
    assert stat.S_IMODE(os.stat(str(tmp_path / "fetched")).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(fetched["archive"]).st_mode) == 0o600
    again = run_module(backup_copy, dict(common, state="fetched", container_name=standin["name"],
                                         dest_dir=str(tmp_path / "fetched")))
    assert not again.changed and not again.failed, again
    sent_again = run_module(backup_copy, dict(common, path=fetched["archive"]))
    assert not sent_again.changed and len(sent_again["present"]) == 2, sent_again
    # SSE-KMS with a key of moto's KMS.
    key_id = boto("kms").create_key(Description="wandb backups")["KeyMetadata"]["KeyId"]
    kms = run_module(backup_copy, dict(common, path=fetched["manifest"], url="s3://%s/kms" % BUCKET,
                                       sse="aws:kms", kms_key_id=key_id), diff=True)
    assert kms.changed and not kms.failed, kms
    head = boto("s3").head_object(Bucket=BUCKET, Key="kms/" + os.path.basename(fetched["archive"]))
    assert head["ServerSideEncryption"] == "aws:kms" and key_id in head["SSEKMSKeyId"]
    assert_no_secret(json.dumps(dict(kms)) + json.dumps(dict(fetched)), "backup_copy's results")
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    for name in os.listdir(str(tmp_path / "fetched")):
        (corrupt / name).write_bytes((tmp_path / "fetched" / name).read_bytes())
    with open(str(corrupt / os.path.basename(fetched["archive"])), "ab") as handle:
        handle.write(b"x")
    refused = run_module(backup_copy, dict(common, path=str(corrupt / os.path.basename(fetched["archive"]))))
    assert refused.failed and "nothing was copied" in refused["msg"]


def test_gcs_copy_and_fetch(installed, standin, run_module, storage_emulator, tmp_path):
    import requests
    assert requests.post(storage_emulator + "/storage/v1/b?project=wandb-test", json={"name": BUCKET},
                         timeout=10).status_code == 200
    newest = newest_backup(installed, standin)
    common = {"url": "gs://%s/nightly" % BUCKET, "storage_endpoint": storage_emulator + "/storage/v1"}
    sent = run_module(backup_copy, dict(common, path=newest["manifest"]))
    assert sent.changed and not sent.failed and sent["sent"][-1].endswith(".manifest.json"), sent
    assert not run_module(backup_copy, dict(common, path=newest["manifest"])).changed
    fetched = run_module(backup_copy, dict(common, state="fetched", name=os.path.basename(newest["archive"]),
                                           dest_dir=str(tmp_path / "gcs")))
    assert fetched.changed and _backup.verify_backup(fetched["manifest"]) == [], fetched


def test_backup_while_a_client_writes_restores_to_a_ready_server(installed, standin, docker_client, run_module):
    container = docker_client.containers.get(standin["name"])
    stop = threading.Event()
    written = []

    def client():
        """Appends numbered rows, one docker exec each (refused while the server is stopped, like a client's
        requests); bounded: at most 400 rows or 60 s."""
        deadline = time.monotonic() + 60
        for row in range(1, 401):
            if stop.is_set() or time.monotonic() > deadline:
                break
            try:
                append = ["sh", "-c", "echo 'row-%d-complete' >> /vol/mysql/journal" % row]
                if container.exec_run(append).exit_code == 0:
                    written.append(row)
            except docker.errors.APIError:
                pass
            time.sleep(0.02)

    writer = threading.Thread(target=client)
    writer.start()
    try:
        time.sleep(0.5)
        rc, out, err = exec_start(installed)
    finally:
        time.sleep(0.5)
        stop.set()
        writer.join(90)
    assert rc == 0, err
    result = json.loads(out)
    assert written, "the client wrote nothing"
    container.stop(timeout=10)
    restored = run_module(server_backup, {"state": "restored", "container_name": standin["name"],
                                          "path": result["path"]})
    assert restored.changed and not restored.failed, restored
    container.start()
    assert wait_ready(standin["url"], 60)
    assert viewer(standin["url"]) == {"username": "backup-user"}
    journal = container.exec_run(["cat", "/vol/mysql/journal"]).output.decode().splitlines()
    rows = [int(line.split("-")[1]) for line in journal]
    assert all(line.endswith("-complete") for line in journal)  # no half-written row
    assert rows == list(range(rows[0], rows[0] + len(rows)))  # the rows up to the stop, none missing in between
    assert 0 < len(rows) < len(written) + 1 and set(rows) <= set(written)


def test_status_shows_the_age_of_the_last_good_backup(installed, standin, tmp_path):
    """roles/backup/tasks/status.yml (playbooks/status.yml's backup table): the newest backup with a manifest, its
    age, and the flag when it is older than backup_stale_hours (a timer that stopped) or when there is none. One
    play reads three directories."""
    newest = newest_backup(installed, standin)
    old_dir = tmp_path / "old"
    old_dir.mkdir()
    archive = str(old_dir / _backup.backup_name(standin["name"], "", datetime.datetime(
        2026, 1, 1, tzinfo=datetime.timezone.utc)))
    with open(archive, "wb") as handle:
        handle.write(b"old")
    _backup.write_manifest(archive, standin["name"], [archive])
    tasks = []
    for index, directory in enumerate([installed["backups"], old_dir, tmp_path / "none"]):
        tasks += [{"name": "Read the backups in %s" % directory, "vars": {"backup_dir": str(directory)},
                   "ansible.builtin.include_role": {"name": "wandb_local.server.backup", "tasks_from": "status"}},
                  {"name": "Keep backup_status %d" % index, "ansible.builtin.copy": {
                      "content": "{{ backup_status | to_json }}", "dest": str(tmp_path / ("%d.json" % index)),
                      "mode": "0600"}}]
    extra = dict((k, v) for k, v in installed["extra"].items() if k != "backup_dir")
    run = run_tasks(tmp_path, tasks, dict(extra, backup_stale_hours=36))
    assert run.returncode == 0, run
    status = [json.loads((tmp_path / ("%d.json" % index)).read_text()) for index in range(3)]
    assert status[0]["last_backup"] == newest["created"].strftime("%Y%m%dT%H%M%SZ")
    assert float(status[0]["age_hours"]) < 1 and status[0]["stale"] == "no"
    assert status[1]["last_backup"] == "20260101T000000Z" and status[1]["stale"] == "yes (> 36 h)"
    assert status[2]["last_backup"] == "none" and status[2]["stale"] == "yes (none)"


def test_azure_copy_and_fetch(installed, standin, run_module, tmp_path):
    """Azure Blob on Azurite (encrypted at rest by Azure; nothing to request): upload, nothing sent twice, fetch."""
    import base64
    from azure.storage.blob import BlobServiceClient
    from support import emulators
    account, key = "wandbbackups", base64.b64encode(os.urandom(32)).decode()
    proc = emulators.azurite(tmp_path / "azurite", tmp_path / "azurite.log", account, key, seconds=300)
    try:
        proc.wait_ready(60)
        endpoint = "http://127.0.0.1:%d/%s" % (proc.ports["blob"], account)
        BlobServiceClient(endpoint, credential={"account_name": account, "account_key": key}).create_container(
            "backups")
        newest = newest_backup(installed, standin)
        common = {"url": "az://%s/backups/nightly" % account, "account_key": key, "blob_endpoint": endpoint}
        sent = run_module(backup_copy, dict(common, path=newest["archive"]))
        assert sent.changed and not sent.failed and len(sent["sent"]) == 2, sent
        assert not run_module(backup_copy, dict(common, path=newest["archive"])).changed
        fetched = run_module(backup_copy, dict(common, state="fetched", container_name=standin["name"],
                                               dest_dir=str(tmp_path / "az")))
        assert fetched.changed and _backup.verify_backup(fetched["manifest"]) == [], fetched
        assert key not in json.dumps(dict(sent)) + json.dumps(dict(fetched))
    finally:
        proc.stop()


def test_check_mode_writes_nothing_and_absent_keeps_the_backups(installed, standin, tmp_path):
    """One play: the role in check mode on a new host (nothing written), then backup_state absent on the installed
    one (units and configuration gone, backups kept). A second: a backup_python without the SDKs is refused."""
    fresh = {"backup_config_dir": str(tmp_path / "config"), "backup_lib_dir": str(tmp_path / "lib"),
             "backup_runner_path": str(tmp_path / "libexec" / "runner"), "backup_dir": str(tmp_path / "backups")}
    kept = dict((k, installed["extra"][k]) for k in fresh)
    extra = dict((k, v) for k, v in installed["extra"].items() if k not in fresh)
    newest = newest_backup(installed, standin)
    in_check_mode = {"name": "wandb_local.server.backup", "apply": {"check_mode": True}}
    tasks = [{"name": "Scheduled backups in check mode", "vars": fresh, "ansible.builtin.include_role": in_check_mode},
             {"name": "Scheduled backups removed", "vars": dict(kept, backup_state="absent"),
              "ansible.builtin.include_role": {"name": "wandb_local.server.backup"}}]
    run = run_tasks(tmp_path, tasks, extra)
    assert run.returncode == 0, run
    assert sorted(os.listdir(str(tmp_path))) == ["play.yml"]  # nothing installed, no directory made
    assert_no_secret(run.stdout, "the run")
    assert not installed["service"].exists() and not installed["timer"].exists()
    assert not installed["config"].exists()
    assert os.path.isfile(newest["archive"]) and os.path.isfile(newest["manifest"])
    # (The last test of the module: the units of the shared installation are gone now.)
    bare = tmp_path.parent / (tmp_path.name + "-bare-python")  # a Python without site-packages: no SDK at all
    bare.write_text("#!/bin/sh\nexec %s -S \"$@\"\n" % sys.executable)
    bare.chmod(0o755)
    tasks = [{"name": "Scheduled backups", "ansible.builtin.include_role": {"name": "wandb_local.server.backup"}}]
    no_sdk = run_tasks(tmp_path, tasks, dict(installed["extra"], backup_python=str(bare), **fresh), check=True)
    assert no_sdk.returncode != 0 and "python3-boto3" in no_sdk.stdout, no_sdk
    assert "cannot run the backup runner: ModuleNotFoundError" in no_sdk.stdout, no_sdk
