# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the server's image comes from: a private registry with TLS and a login, or a docker save archive.

`PrivateRegistry` is Debian's `docker-registry` (the distribution registry) run by the test as a process with
htpasswd auth (bcrypt, `htpasswd -B` from apache2-utils) and TLS from an internal CA (support.tls). It listens on the
host side of an internal Docker network the test creates (its gateway address), not on 127.0.0.1: Docker Engine
treats registries on 127.0.0.0/8 as insecure and ignores their certificate errors, so on loopback the CA would
prove nothing. Docker Engine trusts the CA only through /etc/docker/certs.d/<address:port>/ca.crt, which the role
writes; `stop()` removes that directory, the network and the process.

`ServerInstance` is one W&B server of a test (container, volume, config dir, port), removed afterwards.
"""
from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
from pathlib import Path

from support.playbooks import REPO, run_playbook
from support.procs import BackgroundProcess, free_port, wait_port
from support.tls import make_tls

SITE = REPO / "playbooks" / "site.yml"
CERTS_D = Path("/etc/docker/certs.d")


def docker(*args, env=None, input_text=None, seconds=180, check=True):
    """The docker CLI, bounded; the completed process (stdout+stderr as text)."""
    proc = subprocess.run(["timeout", str(seconds), "docker"] + [str(arg) for arg in args], input=input_text,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False,
                          env=dict(os.environ, **(env or {})), timeout=seconds + 30)
    if check and proc.returncode != 0:
        raise RuntimeError("docker %s: rc %d\n%s" % (" ".join(map(str, args)), proc.returncode, proc.stdout))
    return proc


def task_outcomes(output: str, task: str) -> list:
    """How each run of the role's tasks whose name starts with `task` ended in -vvv output: 'skipping', 'ok',
    'changed', 'fatal'... ([] when no such task was reached)."""
    outcomes = []
    for part in output.split("TASK [wandb_local.server.wandb_server : " + task)[1:]:
        match = re.search(r"^(skipping|ok|changed|fatal|failed):", part, re.MULTILINE)
        outcomes.append(match.group(1) if match else "?")
    return outcomes


class PrivateRegistry:
    """docker-registry with TLS (internal CA) and htpasswd auth on <gateway of a test network>:<free port>."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.username = "puller"
        self.password = "regpw-" + secrets.token_hex(12)
        self.network = "wandb-images-test-" + secrets.token_hex(4)
        self.address = None
        self.port = None
        self.proc = None
        self.certs_d_existed = CERTS_D.exists()

    @property
    def host(self) -> str:
        """host:port, as an image name starts with it."""
        return "%s:%d" % (self.address, self.port)

    @property
    def ca_file(self) -> Path:
        return self.dir / "ca.pem"

    @property
    def engine_ca(self) -> Path:
        """Where Docker Engine looks for this registry's CA (the role writes it)."""
        return CERTS_D / self.host / "ca.crt"

    def start(self) -> "PrivateRegistry":
        docker("network", "create", "--internal", self.network)
        self.address = docker("network", "inspect", self.network, "-f",
                              "{{(index .IPAM.Config 0).Gateway}}").stdout.strip()
        self.port = free_port()
        make_tls(self.dir, "wandb test registry CA", san="IP:%s" % self.address)
        htpasswd = subprocess.run(["htpasswd", "-Bbn", self.username, self.password], capture_output=True, text=True,
                                  check=True, timeout=60).stdout
        (self.dir / "htpasswd").write_text(htpasswd)
        os.chmod(self.dir / "htpasswd", 0o600)
        (self.dir / "data").mkdir()
        config = self.dir / "config.yml"
        config.write_text("\n".join([
            "version: 0.1",
            "log: {level: info}",
            "storage: {filesystem: {rootdirectory: %s}}" % (self.dir / "data"),
            "http:",
            "  addr: %s" % self.host,
            "  tls: {certificate: %s, key: %s}" % (self.dir / "server.pem", self.dir / "server.key"),
            "auth: {htpasswd: {realm: wandb-test, path: %s}}" % (self.dir / "htpasswd"),
            ""]))
        self.proc = BackgroundProcess(["docker-registry", "serve", config], self.dir / "registry.log",
                                      seconds=900).start()
        wait_port(self.port, 30, proc=self.proc, log=self.proc.log, host=self.address)
        return self

    def push(self, source: str, ref: str) -> None:
        """Push local image `source` as `ref` (host:port/name:tag) with the docker CLI and a private docker config
        (Docker Engine must trust the CA by then), then drop the local tag again."""
        env = {"DOCKER_CONFIG": str(self.dir / "push-docker-config")}
        docker("login", self.host, "-u", self.username, "--password-stdin", env=env, input_text=self.password)
        docker("tag", source, ref)
        try:
            docker("push", ref, env=env, seconds=300)
        finally:
            docker("rmi", ref, check=False)
            docker("logout", self.host, env=env, check=False)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
        if self.address:
            shutil.rmtree(CERTS_D / self.host, ignore_errors=True)
            if not self.certs_d_existed:
                try:
                    CERTS_D.rmdir()  # only when the test made it and nothing else is in it
                except OSError:
                    pass
        docker("network", "rm", self.network, check=False)


class ServerInstance:
    """One W&B server instance of a test: its own container, volume, config dir, port and HOME (where docker login
    keeps its credentials, ~/.docker/config.json)."""

    def __init__(self, tmp_path: Path, image: str):
        self.name = "wandb-images-" + secrets.token_hex(4)
        self.port = free_port()
        self.config_dir = tmp_path / "etc"
        self.home = tmp_path / "home"
        self.home.mkdir(mode=0o700)
        self.vars = {
            "wandb_server_image": image,
            "wandb_server_image_tag": "latest",
            "wandb_server_container_name": self.name,
            "wandb_server_data_volume": self.name,
            "wandb_server_bind_address": "127.0.0.1",
            "wandb_server_port": self.port,
            "wandb_server_host": "http://127.0.0.1:%d" % self.port,
            "wandb_server_config_dir": str(self.config_dir),
            "wandb_server_health_delay": 1,
            "wandb_server_health_timeout": 60,
            "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
        }

    @property
    def env_file(self) -> Path:
        return self.config_dir / (self.name + ".env")

    @property
    def docker_config(self) -> Path:
        return self.home / ".docker" / "config.json"

    def site(self, extra: dict, *options, check: bool = False):
        """site.yml with -vvv --diff on the repository's inventory (localhost), this instance's HOME."""
        return run_playbook(SITE, dict(self.vars, **extra), *options, local=False, check=check, timeout=300,
                            env={"HOME": str(self.home), "ANSIBLE_STDOUT_CALLBACK": "default"})

    def container(self, client):
        """The container (docker SDK object), None when there is none."""
        found = client.containers.list(all=True, filters={"name": "^/%s$" % self.name})
        return found[0] if found else None
