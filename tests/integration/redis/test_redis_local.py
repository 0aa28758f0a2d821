# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The redis role with redis_run_local=true: a Redis container on this host's Docker engine.

The image is the local stand-in for redis:7 built from tests/fixtures/redis_image (Debian's redis-server 7.0;
no registry is reachable here). Every container, network and volume a test creates carries a unique name and
is removed by the fixture's finalizer.
"""
from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import time
import uuid
from pathlib import Path

import docker
import pytest

from support import playbooks
from support.fixtures import docker_client  # noqa: F401  pylint: disable=unused-import
from support.playbooks import REPO, PlaybookResult, recap
from support.procs import free_port

REDIS_IMAGE = os.environ.get("REDIS_TEST_IMAGE", "wandb-local-test/redis:7")
GIVEN_PASSWORD = 'Giv3n "pass" w/ \\ and #@:%'


def resp(*args: str) -> bytes:
    """One Redis command in RESP (what redis-cli sends)."""
    out = b"*%d\r\n" % len(args)
    for arg in args:
        data = arg.encode()
        out += b"$%d\r\n%s\r\n" % (len(data), data)
    return out


def redis_call(port: int, *commands, password=None, seconds: float = 15.0) -> list:
    """Send commands (AUTH first when a password is given) to 127.0.0.1:port; return the raw replies' first
    lines (bulk strings resolved). Retries the connection while a (re)started container comes up."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                reader = sock.makefile("rb")
                replies = []
                for command in ([("AUTH", password)] if password is not None else []) + list(commands):
                    sock.sendall(resp(*command))
                    line = reader.readline().rstrip(b"\r\n").decode()
                    if line.startswith("$") and line != "$-1":
                        line = reader.readline().rstrip(b"\r\n").decode()
                    if line.startswith("-LOADING"):
                        raise ConnectionError(line)
                    replies.append(line)
                return replies
        except (OSError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def run_playbook(path: Path, extra_vars: dict, inventory=True, options=()) -> PlaybookResult:
    """ansible-playbook -vvv --diff: with the inventory of ansible.cfg, or (inventory=False) on localhost."""
    return playbooks.run_playbook(path, extra_vars, *options, local=not inventory, timeout=600,
                                  env={"ANSIBLE_STDOUT_CALLBACK": "default"})


@pytest.fixture(scope="session")
def redis_image():
    subprocess.run(["bash", str(REPO / "tests/fixtures/redis_image/build.sh"), REDIS_IMAGE], check=True,
                   capture_output=True, timeout=900)
    return REDIS_IMAGE


class LocalRedis:
    """Names, port and config dir of one test's Redis; its role variables."""

    def __init__(self, tmp_path: Path, image: str):
        suffix = uuid.uuid4().hex[:8]
        self.name = "wandb-redis-pytest-" + suffix
        self.network = "wandb-net-pytest-" + suffix
        self.volume = "wandb-redis-pytest-" + suffix
        self.port = free_port()
        self.config_dir = tmp_path / "etc"
        image_name, tag = image.rsplit(":", 1)
        self.vars = {
            "redis_run_local": True,
            "redis_local_image": image_name,
            "redis_local_image_tag": tag,
            "redis_local_image_pull": "never",
            "redis_local_container_name": self.name,
            "redis_local_network": self.network,
            "redis_local_data_volume": self.volume,
            "redis_local_port": self.port,
            "redis_local_config_dir": str(self.config_dir),
        }
        self.containers = [self.name]
        self.volumes = [self.volume]

    @property
    def password_file(self) -> Path:
        return self.config_dir / (self.name + ".password")

    @property
    def conf_file(self) -> Path:
        return self.config_dir / (self.name + ".conf")

    def password(self) -> str:
        return self.password_file.read_text().strip()


@pytest.fixture
def local_redis(tmp_path, redis_image, docker_client):
    inst = LocalRedis(tmp_path, redis_image)
    yield inst
    for name in inst.containers:
        try:
            docker_client.containers.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass
    for name in inst.volumes:
        try:
            docker_client.volumes.get(name).remove(force=True)
        except docker.errors.NotFound:
            pass
    try:
        docker_client.networks.get(inst.network).remove()
    except docker.errors.NotFound:
        pass


def role_playbook(tmp_path: Path) -> Path:
    """The role, then what it published kept in 0600 files for the test (never printed)."""
    out = tmp_path / "published"
    return playbooks.write_play(tmp_path / "play.yml", name="redis role, local container", tasks=[
        {"name": "Run the redis role", "ansible.builtin.include_role": {"name": "wandb_local.server.redis"}},
        {"name": "Keep what the role published", "no_log": True, "ansible.builtin.copy": {
            "content": "{{ {'env': redis_server_settings, 'networks': redis_server_networks} | to_json }}",
            "dest": str(out), "mode": "0600"}},
    ])


def published(tmp_path: Path) -> dict:
    return json.loads((tmp_path / "published").read_text())


def test_converges_idempotently_with_a_kept_password_never_shown(tmp_path, local_redis, docker_client):
    play = role_playbook(tmp_path)
    first = run_playbook(play, local_redis.vars, inventory=False)
    assert first.returncode == 0, first.stdout[-5000:]
    password = local_redis.password()
    assert re.fullmatch(r"[A-Za-z0-9]{48}", password)
    assert password not in first.stdout

    # files: private, the config readable only by the image's redis user (UID 999)
    assert stat.S_IMODE(local_redis.config_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(local_redis.password_file.stat().st_mode) == 0o600
    conf = local_redis.conf_file.stat()
    assert stat.S_IMODE(conf.st_mode) == 0o600 and (conf.st_uid, conf.st_gid) == (999, 999)
    conf_text = local_redis.conf_file.read_text()
    assert 'requirepass "%s"' % password in conf_text and "appendonly yes" in conf_text

    # what the wandb_server role gets
    facts = published(tmp_path)
    assert facts["env"] == {"redis": "redis://:%s@%s:6379" % (password, local_redis.name)}
    assert facts["networks"] == [{"name": local_redis.network}]

    # the container: password nowhere in its definition, port only on 127.0.0.1, volume, network, restart
    attrs = docker_client.containers.get(local_redis.name).attrs
    assert password not in json.dumps(attrs)
    assert attrs["Config"]["Cmd"] == ["redis-server", "/usr/local/etc/redis/redis.conf"]
    binding = {"HostIp": "127.0.0.1", "HostPort": str(local_redis.port)}
    assert attrs["HostConfig"]["PortBindings"] == {"6379/tcp": [binding]}
    assert attrs["HostConfig"]["RestartPolicy"]["Name"] == "unless-stopped"
    mounts = {mount["Destination"]: mount for mount in attrs["Mounts"]}
    assert mounts["/data"]["Type"] == "volume" and mounts["/data"]["Name"] == local_redis.volume
    assert mounts["/usr/local/etc/redis/redis.conf"]["RW"] is False
    assert list(attrs["NetworkSettings"]["Networks"]) == [local_redis.network]

    # PING through the published port: with the password PONG, without it refused
    assert redis_call(local_redis.port, ("PING",), ("CONFIG", "GET", "appendonly"), password=password) == \
        ["+OK", "+PONG", "*2"]
    assert redis_call(local_redis.port, ("PING",))[0].startswith("-NOAUTH")

    second = run_playbook(play, local_redis.vars, inventory=False)
    assert second.returncode == 0, second.stdout[-5000:]
    assert recap(second.stdout)["changed"] == 0, second.stdout[-5000:]
    assert local_redis.password() == password and password not in second.stdout
    assert docker_client.containers.get(local_redis.name).attrs["Id"] == attrs["Id"]

    check = run_playbook(play, local_redis.vars, inventory=False, options=["--check"])
    assert check.returncode == 0 and recap(check.stdout)["changed"] == 0, check.stdout[-5000:]
    assert "PING Redis" in check.stdout and password not in check.stdout


def test_data_survives_recreating_the_container(tmp_path, local_redis, docker_client):
    play = role_playbook(tmp_path)
    assert run_playbook(play, local_redis.vars, inventory=False).returncode == 0
    password = local_redis.password()
    assert redis_call(local_redis.port, ("SET", "wandb:probe", "kept-across-recreation"), password=password) == \
        ["+OK", "+OK"]
    old_id = docker_client.containers.get(local_redis.name).id
    docker_client.containers.get(local_redis.name).remove(force=True)  # as a crash or an image upgrade would

    again = run_playbook(play, local_redis.vars, inventory=False)
    assert again.returncode == 0, again.stdout[-5000:]
    assert docker_client.containers.get(local_redis.name).id != old_id
    assert local_redis.password() == password
    assert redis_call(local_redis.port, ("GET", "wandb:probe"), password=password) == \
        ["+OK", "kept-across-recreation"]


def test_a_given_password_wins_and_restarts_redis_with_it(tmp_path, local_redis):
    play = role_playbook(tmp_path)
    assert run_playbook(play, local_redis.vars, inventory=False).returncode == 0
    generated = local_redis.password()

    given = run_playbook(play, dict(local_redis.vars, redis_password=GIVEN_PASSWORD), inventory=False)
    assert given.returncode == 0, given.stdout[-5000:]
    assert local_redis.password() == GIVEN_PASSWORD
    for secret in (GIVEN_PASSWORD, generated, GIVEN_PASSWORD.replace('"', '\\"')):
        assert secret not in given.stdout
    assert redis_call(local_redis.port, ("PING",), password=GIVEN_PASSWORD) == ["+OK", "+PONG"]
    assert redis_call(local_redis.port, ("PING",), password=generated)[0].startswith("-WRONGPASS")
    env = published(tmp_path)["env"]["redis"]
    assert env.startswith("redis://:Giv3n%20%22pass%22%20w%2F%20%5C%20and%20%23%40%3A%25@")


def test_preflight_refuses_tls_with_a_local_container(tmp_path, local_redis, docker_client):
    result = run_playbook(role_playbook(tmp_path), dict(local_redis.vars, redis_tls=True), inventory=False)
    assert result.returncode != 0
    assert "redis_run_local=true runs Redis on this host" in result.stdout
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(local_redis.name)


# Run inside the W&B container: connect to Redis with the REDIS variable the server got (host name resolved on
# the shared network), AUTH with its password, PING. Prints the host it reached and the replies, never the URL.
PROBE = r"""
import os, socket
from urllib.parse import unquote, urlsplit
url = urlsplit(os.environ["REDIS"])
with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
    reader = sock.makefile("rb")
    replies = []
    for args in (["AUTH", unquote(url.password)], ["PING"]):
        data = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a.encode()), a.encode()) for a in args)
        sock.sendall(data)
        replies.append(reader.readline().strip().decode())
print(url.hostname, socket.gethostbyname(url.hostname), *replies)
"""


def test_site_playbook_runs_redis_for_the_wandb_container(tmp_path, local_redis, docker_client):
    subprocess.run(["bash", str(REPO / "tests/fixtures/standin/build.sh"), "wandb-local-test/standin:latest"],
                   check=True, capture_output=True, timeout=600)
    server = "wandb-pytest-" + uuid.uuid4().hex[:8]
    local_redis.containers.append(server)
    local_redis.volumes.append(server)
    port = free_port()
    extra = dict(local_redis.vars, **{
        "wandb_server_image": "wandb-local-test/standin", "wandb_server_image_tag": "latest",
        "wandb_server_image_pull": "never", "wandb_server_container_name": server,
        "wandb_server_data_volume": server, "wandb_server_bind_address": "127.0.0.1", "wandb_server_port": port,
        "wandb_server_host": "http://127.0.0.1:%d" % port, "wandb_server_config_dir": str(local_redis.config_dir),
        "wandb_server_health_delay": 1, "wandb_server_health_timeout": 60,
        "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
    })
    del extra["redis_local_config_dir"]  # defaults to wandb_server_config_dir
    site = REPO / "playbooks" / "site.yml"

    first = run_playbook(site, extra)
    assert first.returncode == 0, first.stdout[-5000:]
    password = local_redis.password()  # kept beside the server's env file
    assert password not in first.stdout

    attrs = docker_client.containers.get(server).attrs
    env = dict(item.split("=", 1) for item in attrs["Config"]["Env"])
    assert env["REDIS"] == "redis://:%s@%s:6379" % (password, local_redis.name)
    assert list(attrs["NetworkSettings"]["Networks"]) == [local_redis.network]
    assert attrs["HostConfig"]["PortBindings"] == {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": str(port)}]}
    redis_ip = docker_client.containers.get(local_redis.name).attrs["NetworkSettings"]["Networks"][
        local_redis.network]["IPAddress"]

    probe = docker_client.containers.get(server).exec_run(["python3", "-c", PROBE])
    assert probe.exit_code == 0, probe.output
    assert probe.output.decode().split() == [local_redis.name, redis_ip, "+OK", "+PONG"]

    second = run_playbook(site, extra)
    assert second.returncode == 0, second.stdout[-5000:]
    assert recap(second.stdout)["changed"] == 0, second.stdout[-5000:]
    assert password not in second.stdout
    assert docker_client.containers.get(server).id == attrs["Id"]


def test_check_mode_on_a_fresh_host_changes_nothing(tmp_path, local_redis, docker_client):
    result = run_playbook(role_playbook(tmp_path), local_redis.vars, inventory=False, options=["--check"])
    assert result.returncode == 0, result.stdout[-5000:]
    assert recap(result.stdout)["changed"] > 0
    assert "would be created on the new network" in result.stdout
    assert not local_redis.config_dir.exists()
    for getter, name in ((docker_client.containers.get, local_redis.name),
                         (docker_client.networks.get, local_redis.network),
                         (docker_client.volumes.get, local_redis.volume)):
        with pytest.raises(docker.errors.NotFound):
            getter(name)
