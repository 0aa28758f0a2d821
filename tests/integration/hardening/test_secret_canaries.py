# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every playbook, with -vvv --diff, never shows a secret (issue 11).

One instance whose inventory gives a random canary to every secret the collection takes: the license, MYSQL with a
password, a credentialed S3-compatible BUCKET whose password holds "/" and "@", OIDC and Slack secrets, a Redis
password, the Azure storage key, the admin API key, a `wandb_server_extra_env` entry named *_TOKEN, the
registry password (no pull here: tests/integration/images proves the login hides it too), and the advanced settings'
secrets: the SMTP password in GORILLA_EMAIL_SINK (the SMTP pre-flight really logs in, to an aiosmtpd on 127.0.0.1),
the LDAP bind password (its pre-flight is off here: tests/integration/settings_advanced runs it with -vvv against
slapd) and the user:password of HTTP_PROXY and HTTPS_PROXY. Then, each
with `-vvv --diff`: validate.yml, site.yml (converge, --check, no change), status.yml writing its rows file,
upgrade.yml to a new release, upgrade.yml to a broken release that rolls back, restore_access.yml on and off,
reset_password.yml, restore.yml (--check, then the newest backup back). No canary may appear in any output, and
every file the runs wrote that holds one (the env file, backups, password files, the status rows) is 0600 in a 0700
directory.

The canaries are searched for in pieces too (each part of the bucket password between "/" and "@"), so a URL
parser that splits the value cannot hide a partial leak.
"""
from __future__ import annotations

import gzip
import os
import secrets
import stat
import subprocess
from pathlib import Path

import pytest

from support.fleet import Fleet
from support.playbooks import REPO

PLAYBOOKS = REPO / "playbooks"
BUILD = REPO / "tests" / "fixtures" / "standin" / "build.sh"
IMAGE = "wandb-local-test/canary-standin"
BROKEN_IMAGE = IMAGE + "-broken"
HOST = "canary1"


def token(label: str) -> str:
    return "leak%s%s" % (label, secrets.token_hex(10))


def make_canaries() -> dict:
    """{name: value given in inventory} and the pieces that must never be shown ({piece: name})."""
    bucket_pw = [token("bucketa"), token("bucketb"), token("bucketc")]
    values = {
        "license": "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.%s.%s" % (token("license"), secrets.token_hex(6)),
        "mysql_password": token("mysql"),
        "bucket_password": "%s/%s@%s" % tuple(bucket_pw),
        "oidc_secret": token("oidc"),
        "slack_secret": token("slack"),
        "redis_password": token("redis"),
        "azure_storage_key": token("azure"),
        "admin_api_key": "local-" + secrets.token_hex(20),
        "extra_token": token("extra"),
        "registry_password": token("registry"),
        "smtp_password": token("smtp"),
        "ldap_bind_password": token("ldap"),
        "http_proxy_password": token("httpproxy"),
        "https_proxy_password": token("httpsproxy"),
    }
    pieces = {value: name for name, value in values.items() if name not in ("license", "bucket_password")}
    pieces[values["license"].split(".")[1]] = "license"
    pieces.update({piece: "bucket_password" for piece in bucket_pw})
    return values, pieces


def build(tag: str, version: str, broken: bool = False) -> None:
    env = dict(os.environ, STANDIN_SERVER_VERSION=version, STANDIN_FAIL_READY="true" if broken else "false")
    subprocess.run(["bash", str(BUILD), tag], env=env, check=True, capture_output=True, timeout=600)


def leaks(text: str, pieces: dict) -> list:
    return sorted({name for piece, name in pieces.items() if piece in text})


def file_text(path: Path) -> str:
    data = path.read_bytes()
    if path.name.endswith(".gz"):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError):
            pass
    return data.decode("utf-8", errors="replace")


@pytest.fixture(scope="module")
def smtp_server():
    """An SMTP server on 127.0.0.1 whose AUTH takes any password (the canary), no TLS: the pre-flight logs in."""
    from aiosmtpd.controller import Controller  # pylint: disable=import-outside-toplevel
    from aiosmtpd.smtp import AuthResult  # pylint: disable=import-outside-toplevel
    from support.procs import free_port  # pylint: disable=import-outside-toplevel

    logins = []

    def authenticator(_server, _session, _envelope, _mechanism, auth_data):
        logins.append(auth_data)
        return AuthResult(success=True, handled=False)

    controller = Controller(object(), hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False, ready_timeout=10)
    controller.start()
    try:
        yield {"port": controller.port, "logins": logins}
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def runs(tmp_path_factory, docker_client, smtp_server):
    """The runs of every playbook, in order: [(label, PlaybookResult)]; and where the instance keeps its files."""
    build(IMAGE + ":0.74.0", "0.74.0")
    build(IMAGE + ":0.75.0", "0.75.0")
    build(BROKEN_IMAGE + ":0.76.0", "0.76.0", broken=True)
    values, pieces = make_canaries()
    root = tmp_path_factory.mktemp("canaries")
    fleet = Fleet(root, [HOST], {
        "wandb_server_image": IMAGE, "wandb_server_image_tag": "0.74.0",
        "wandb_server_license": values["license"],
        "wandb_server_mysql": "mysql://wandb:%s@db.internal:3306/wandb_local" % values["mysql_password"],
        "wandb_server_backup_mysql": False,  # no database to dump here; the dump's file mode has a unit test
        "wandb_server_bucket": "s3://AKIACANARY:%s@minio.internal:9000/wandb-files" % values["bucket_password"],
        "wandb_server_aws_region": "us-east-1",
        "wandb_server_oidc_issuer": "https://idp.example.com",
        "wandb_server_oidc_client_id": "canary-client",
        "wandb_server_oidc_secret": values["oidc_secret"],
        "wandb_server_slack_client_id": "canary-slack",
        "wandb_server_slack_secret": values["slack_secret"],
        "wandb_server_redis": "redis://:%s@cache.internal:6379?tls=true" % values["redis_password"],
        "wandb_server_azure_storage_key": values["azure_storage_key"],
        "wandb_server_admin_api_enabled": True,
        "wandb_server_admin_api_key": values["admin_api_key"],
        "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1", "MY_SERVICE_TOKEN": values["extra_token"]},
        # The images are on the host, so no pull and no login: the account goes through every preflight and spec.
        "wandb_server_registry_username": "canary-puller",
        "wandb_server_registry_password": values["registry_password"],
        "wandb_server_health_timeout": 30,
        # Advanced settings with secrets (docs/advanced_settings.md).
        "wandb_server_email_sink": "smtp://canary%%40example.com:%s@127.0.0.1:%d" % (
            values["smtp_password"], smtp_server["port"]),
        "wandb_server_ldap_address": "ldaps://ldap.internal:636",
        "wandb_server_ldap_base_dn": "dc=canary,dc=test",
        "wandb_server_ldap_bind_dn": "cn=wandb,dc=canary,dc=test",
        "wandb_server_ldap_bind_password": values["ldap_bind_password"],
        "wandb_server_ldap_attributes": {"email": "mail"},
        "wandb_server_ldap_check": False,
        "wandb_server_http_proxy": "http://proxyuser:%s@proxy.internal:3128" % values["http_proxy_password"],
        "wandb_server_https_proxy": "http://proxyuser:%s@proxy.internal:3128" % values["https_proxy_password"],
        "wandb_server_no_proxy": ["127.0.0.1", "localhost", ".internal"],
    })
    status_file = root / "status" / "status.json"
    status_file.parent.mkdir(mode=0o700)
    done = []

    def run(label, playbook, *options, expect_ok=True):
        result = fleet.run(PLAYBOOKS / playbook, "-vvv", "--diff", *options, timeout=600)
        done.append((label, result))
        assert (result.returncode == 0) == expect_ok, \
            "%s: rc %d\n%s" % (label, result.returncode, result.output[-4000:])
        return result

    try:
        run("validate", "validate.yml")
        run("site", "site.yml")
        run("site --check", "site.yml", "--check")
        run("site again", "site.yml")
        run("status", "status.yml", "-e", "wandb_status_file=%s" % status_file)
        run("upgrade", "upgrade.yml", "-e", "server_image_tag=0.75.0")
        fleet.hosts[HOST].update(wandb_server_image=BROKEN_IMAGE, wandb_server_image_tag="0.76.0",
                                 wandb_server_health_timeout=5)
        fleet.write()
        run("failed upgrade", "upgrade.yml", expect_ok=False)
        fleet.hosts[HOST].update(wandb_server_image=IMAGE, wandb_server_image_tag="0.75.0",
                                 wandb_server_health_timeout=30)
        fleet.write()
        run("restore_access on", "restore_access.yml", "-e", "restore=true")
        run("restore_access off", "restore_access.yml", "-e", "restore=false")
        run("reset_password", "reset_password.yml", "-e", "email=admin@canary.test")
        run("restore --check", "restore.yml", "--check")  # the newest backup (the failed upgrade's), back
        run("restore", "restore.yml")
        run("status again", "status.yml", "-e", "wandb_status_file=%s" % status_file)
        yield {"runs": done, "pieces": pieces, "root": root, "fleet": fleet, "status_file": status_file}
    finally:
        fleet.remove(docker_client)


def test_every_playbook_ran(runs, smtp_server):
    labels = [label for label, _result in runs["runs"]]
    assert smtp_server["logins"], "the SMTP pre-flight did not log in (its canary proved nothing)"
    assert labels[-1] == "status again", labels
    failed_upgrade = dict(runs["runs"])["failed upgrade"].output
    assert "Rolled back to" in failed_upgrade and "ready again" in failed_upgrade


def test_no_secret_in_any_output(runs):
    found = {label: leaks(result.output, runs["pieces"]) for label, result in runs["runs"]}
    assert {label: names for label, names in found.items() if names} == {}


def test_admin_access_stays_visible_in_the_diff(runs):
    """Not a secret: --diff shows whether the admin API key is accepted."""
    first_site = dict(runs["runs"])["site"].output
    assert "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS=true" in first_site
    assert "BUCKET=********" in first_site


def test_files_with_secrets_are_0600_in_0700_directories(runs):
    root = runs["root"]
    holders = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink() and path != runs["fleet"].inventory:  # the test's own input
            names = leaks(file_text(path), runs["pieces"])
            if names:
                holders[str(path.relative_to(root))] = names
                assert stat.S_IMODE(path.stat().st_mode) == 0o600, "%s holds %s" % (path, names)
                assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700, "%s holds %s" % (path.parent, names)
    # The env file must hold them (else the test proves nothing); backups hold the volume, password files theirs.
    env_file = "%s/etc/%s.env" % (HOST, runs["fleet"].container_name(HOST))
    assert env_file in holders and len(holders[env_file]) >= 8, holders


def test_the_status_rows_file_is_private_and_masked(runs):
    status_file = runs["status_file"]
    assert stat.S_IMODE(status_file.stat().st_mode) == 0o600
    text = status_file.read_text()
    assert "********" in text and "minio.internal" not in text
