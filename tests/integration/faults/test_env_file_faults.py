"""Faults of the file system under the server's env file: the configuration directory (wandb_server_config_dir) is
full, is immutable, or the env file's path is a directory.

The wandb_server role then fails with a message naming the env file and its directory, saying that nothing was
changed and what to fix; the old env file keeps every byte, no temporary file is left, the container is the one
that ran before (same id, same environment: the container task runs after the env file's); and once the cause is
gone the next run converges and the one after it changes nothing.

A real full file system: a tiny tmpfs mounted on the configuration directory and filled (needs root, as the
fault tests' Docker does); unmounted in a finalizer, bounded in time.
"""
from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import docker
import pytest

from faults_testenv import failure_messages
from support.playbooks import run_playbook, write_play
from support.procs import free_port

PLAYBOOK_BOUND = 180


class ServerInstance:
    """One wandb_server role instance of a test: its own container, volume, config dir and port."""

    def __init__(self, config_dir: Path, image: str, port: int):
        self.name = "wandb-envfault-" + uuid.uuid4().hex[:8]
        self.config_dir = config_dir
        repository, tag = image.rsplit(":", 1) if ":" in image.rsplit("/", 1)[-1] else (image, "latest")
        self.vars = {
            "wandb_server_image": repository,
            "wandb_server_image_tag": tag,
            "wandb_server_image_pull": "never",
            "wandb_server_container_name": self.name,
            "wandb_server_data_volume": self.name,
            "wandb_server_bind_address": "127.0.0.1",
            "wandb_server_port": port,
            "wandb_server_host": "http://127.0.0.1:%d" % port,
            "wandb_server_config_dir": str(config_dir),
            "wandb_server_health_delay": 1,
            "wandb_server_health_timeout": 60,
            "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
        }

    @property
    def env_file(self) -> Path:
        return self.config_dir / (self.name + ".env")

    def run(self, workdir: Path, **overrides):
        """The wandb_server role on localhost; (result, seconds it took)."""
        workdir.mkdir(parents=True, exist_ok=True)
        play = write_play(workdir / "server.json", tasks=[
            {"name": "Run the wandb_server role",
             "ansible.builtin.include_role": {"name": "wandb_local.server.wandb_server"}}])
        start = time.monotonic()
        result = run_playbook(play, dict(self.vars, **overrides), verbose=False, diff=False, timeout=PLAYBOOK_BOUND,
                              env={"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
        return result, time.monotonic() - start


def _run(*cmd, seconds=30):
    return subprocess.run(["timeout", str(seconds)] + list(cmd), capture_output=True, text=True, check=False)


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 512 KiB tmpfs mounted on tmp_path/etc (root only); unmounted (lazily if busy) afterwards."""
    mountpoint = tmp_path / "etc"
    mountpoint.mkdir(mode=0o700)
    mounted = _run("mount", "-t", "tmpfs", "-o", "size=512k,mode=0700", "tmpfs", str(mountpoint))
    if mounted.returncode != 0:
        pytest.fail("cannot mount a tmpfs on %s (the fault tests run as root): %s" % (mountpoint, mounted.stderr))
    try:
        yield mountpoint
    finally:
        _run("chattr", "-i", str(mountpoint))
        if _run("umount", str(mountpoint)).returncode != 0:
            _run("umount", "-l", str(mountpoint))


def fill(directory: Path) -> Path:
    """Fill the file system of `directory` to the last byte; the filler file's path."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError as exc:
        assert exc.errno == 28, exc
    finally:
        os.close(fd)
    assert os.statvfs(directory).f_bavail == 0
    return filler


@pytest.fixture
def server_instance(standin_image, docker_client):  # noqa: F811
    created = []

    def make(config_dir: Path) -> ServerInstance:
        created.append(ServerInstance(config_dir, standin_image, free_port()))
        return created[-1]

    yield make
    for inst in created:
        for getter in (docker_client.containers.get, docker_client.volumes.get):
            try:
                getter(inst.name).remove(force=True)
            except docker.errors.NotFound:
                pass


def container_state(docker_client, name):
    attrs = docker_client.api.inspect_container(name)
    return attrs["Id"], attrs["State"]["StartedAt"], sorted(attrs["Config"]["Env"])


def assert_nothing_changed(message, inst, old_bytes, old_state, docker_client, expected_files):
    assert "Nothing was changed" in message and "the server container was not touched" in message, message
    assert "To fix:" in message, message
    assert inst.env_file.read_bytes() == old_bytes
    assert sorted(os.listdir(inst.config_dir)) == sorted(expected_files)  # no temporary file left
    assert container_state(docker_client, inst.name) == old_state


def test_full_then_immutable_config_dir_changes_nothing_then_converges(tiny_tmpfs, server_instance, docker_client,
                                                                       tmp_path):
    inst = server_instance(tiny_tmpfs)
    first, _seconds = inst.run(tmp_path / "first")
    assert first.returncode == 0, first.output[-3000:]
    old_bytes = inst.env_file.read_bytes()
    old_state = container_state(docker_client, inst.name)
    files = sorted(os.listdir(tiny_tmpfs))
    # The next run has something to write: one more variable for the server.
    changed_env = {"wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1", "ENV_FAULT_MARK": "after"}}

    # Full: the env file cannot be written.
    filler = fill(tiny_tmpfs)
    full, seconds = inst.run(tmp_path / "full", **changed_env)
    message = failure_messages(full.output)
    assert full.returncode != 0, full.output[-3000:]
    assert seconds < PLAYBOOK_BOUND
    # The run's first write there is the instance's lock file (beside the env file), else the env file itself.
    lock_file = inst.env_file.with_suffix(".lock")
    assert ("cannot write the env file %s" % inst.env_file in message
            or "cannot write the lock file %s" % lock_file in message), message
    assert "no space is left on the file system holding %s" % tiny_tmpfs in message, message
    assert not lock_file.exists()  # a lock that could not be written is not left behind
    assert "free space" in message and "df -h %s" % tiny_tmpfs in message
    assert_nothing_changed(message, inst, old_bytes, old_state, docker_client, files + ["filler"])
    filler.unlink()

    # Immutable (chattr +i): the directory is named with the attribute, not a random temporary file.
    subprocess.run(["chattr", "+i", str(tiny_tmpfs)], check=True, timeout=10)
    try:
        immutable, _seconds = inst.run(tmp_path / "immutable", **changed_env)
    finally:
        subprocess.run(["chattr", "-i", str(tiny_tmpfs)], check=True, timeout=10)
    message = failure_messages(immutable.output)
    assert immutable.returncode != 0, immutable.output[-3000:]
    assert "the directory %s has the immutable attribute (chattr +i" % tiny_tmpfs in message, message
    assert "chattr -i %s" % tiny_tmpfs in message and ".%s." % inst.env_file.name not in message, message
    assert_nothing_changed(message, inst, old_bytes, old_state, docker_client, files)

    # Space and permission back: the run converges (the new variable reaches the container)...
    recovered, _seconds = inst.run(tmp_path / "recovered", **changed_env)
    assert recovered.returncode == 0, recovered.output[-3000:]
    assert recovered.recap()["changed"] >= 1
    assert "ENV_FAULT_MARK=after" in inst.env_file.read_text()
    assert "ENV_FAULT_MARK=after" in container_state(docker_client, inst.name)[2]
    # ...and the one after it changes nothing.
    again, _seconds = inst.run(tmp_path / "again", **changed_env)
    assert again.returncode == 0, again.output[-3000:]
    assert again.recap()["changed"] == 0, again.output[-3000:]


def test_env_file_path_that_is_a_directory_changes_nothing_then_converges(server_instance, docker_client,
                                                                          tmp_path):
    config_dir = tmp_path / "etc"
    config_dir.mkdir(mode=0o700)
    inst = server_instance(config_dir)
    inst.env_file.mkdir()
    (inst.env_file / "kept").write_text("x")

    failed, seconds = inst.run(tmp_path / "directory")
    message = failure_messages(failed.output)
    assert failed.returncode != 0, failed.output[-3000:]
    assert seconds < PLAYBOOK_BOUND
    assert "the env file %s: that path is a directory, not a file" % inst.env_file in message, message
    assert "move the directory %s away" % inst.env_file in message, message
    assert "Nothing was changed" in message and "Traceback" not in failed.output
    assert os.listdir(inst.env_file) == ["kept"]
    with pytest.raises(docker.errors.NotFound):
        docker_client.containers.get(inst.name)  # the container task never ran

    (inst.env_file / "kept").unlink()
    inst.env_file.rmdir()
    recovered, _seconds = inst.run(tmp_path / "recovered")
    assert recovered.returncode == 0, recovered.output[-3000:]
    assert inst.env_file.is_file()
    again, _seconds = inst.run(tmp_path / "again")
    assert again.returncode == 0, again.output[-3000:]
    assert again.recap()["changed"] == 0, again.output[-3000:]
