# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The execution environment definition (execution-environment.yml, ansible-builder 3) and the collection-level
dependencies ansible-builder reads (meta/execution-environment.yml: meta/ee-requirements.txt, bindep.txt).

`ansible-builder create` makes a build context from the repository's own definition (copied beside a freshly built
collection tarball, as the README says to do); ansible-builder's own introspection finds the collection's Python
and system packages in the tarball it carries. Then the context is built with docker - once per session - on the
local Debian 12 base image (no registry is reachable here; the base is a build argument, as for every user) and
the collection's playbooks run inside the image: `validate.yml` on the example inventory, and `site.yml --check` on
a fresh Docker host (a container of the Debian base with this engine's socket, reached with community.docker's
docker_api connection, as the execution environment would reach a managed host).

What the build reaches: Galaxy is unreachable here, so a Galaxy on 127.0.0.1 (ee_galaxy.FakeGalaxy) serves
community.docker and amazon.aws (and their dependency) from the pinned `ansible` bundle, and the build runs on
the host network to reach it. Debian's mirror and PyPI are reached from inside the build as from the host; this
machine reaches PyPI through a TLS-intercepting proxy only the host trusts, so the test's base image carries the
host's CA bundle (PIP_CERT). Nothing else differs from a user's build.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import tarfile
from pathlib import Path

import pytest
import yaml

from ee_galaxy import FakeGalaxy, bundled_artifacts
from support.playbooks import REPO, ansible_tool

BASE_IMAGE = "wandb-local-test/debian:bookworm"
TEST_BASE = "wandb-local-test/ee-base:bookworm"
EE_IMAGE = "wandb-local-test/ee:latest"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# A fixed port keeps the build argument that names the Galaxy, and so docker's layer cache, the same across runs.
GALAXY_PORT = 38721
DEBIAN_ARGS = {"PKGMGR": "/usr/bin/apt-get", "PYPKG": "python3 python3-pip", "PYCMD": "/usr/bin/python3"}
MANAGED = {"ansible", "ansible-core"}  # requirements.txt pins them; an execution environment brings its own


def _run(cmd, timeout, cwd=None, check=True):
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            check=False)
    output = result.stdout + result.stderr
    if check:
        command = " ".join(map(str, cmd))
        assert result.returncode == 0, "%s failed (%d):\n%s" % (command, result.returncode, output[-6000:])
    return result.returncode, output


def _requirements(path: Path) -> dict:
    """{name: (operator, version)} of a pip requirements file (comments and blank lines skipped)."""
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9_.\[\]-]+)\s*(==|>=)\s*(\S+)", line)
            assert match, "%s: cannot read %r" % (path.name, line)
            found[match.group(1).lower()] = (match.group(2), match.group(3))
    return found


def _definition() -> dict:
    return yaml.safe_load((REPO / "execution-environment.yml").read_text())


def _galaxy_yml() -> dict:
    return yaml.safe_load((REPO / "galaxy.yml").read_text())


# --- the definition agrees with the collection's own files -------------------------------------------------------

def test_ee_python_requirements_follow_requirements_txt():
    """meta/ee-requirements.txt names exactly requirements.txt's packages less ansible/ansible-core, each with the
    pinned (tested) version as its lower bound."""
    pinned = _requirements(REPO / "requirements.txt")
    ee = _requirements(REPO / "meta" / "ee-requirements.txt")
    assert set(ee) == set(pinned) - MANAGED
    for name, (operator, version) in ee.items():
        assert operator == ">=" and pinned[name] == ("==", version), name


def test_ee_definition_matches_galaxy_yml_and_pins():
    definition = _definition()
    assert definition["version"] == 3
    deps = definition["dependencies"]
    assert {c["name"]: c["version"] for c in deps["galaxy"]["collections"]} == _galaxy_yml()["dependencies"]
    core = _requirements(REPO / "requirements.txt")["ansible-core"][1]
    assert deps["ansible_core"]["package_pip"] == "ansible-core==" + core
    meta = yaml.safe_load((REPO / "meta" / "execution-environment.yml").read_text())
    assert meta["dependencies"] == {"python": "meta/ee-requirements.txt", "system": "bindep.txt"}


# --- ansible-builder create --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ee_context(tmp_path_factory):
    """The README's steps in a scratch copy: the collection tarball alone in build/, then ansible-builder create."""
    work = tmp_path_factory.mktemp("ee")
    shutil.copy(REPO / "execution-environment.yml", work / "execution-environment.yml")
    _run([ansible_tool("ansible-galaxy"), "collection", "build", "--output-path", work / "build", REPO], 120,
         cwd=work)
    _run([ansible_tool("ansible-builder"), "create", "-f", work / "execution-environment.yml",
          "-c", work / "context", "--output-filename", "Containerfile"], 120, cwd=work)
    return work


def test_create_writes_a_build_context(ee_context):
    context = ee_context / "context"
    containerfile = (context / "Containerfile").read_text()
    galaxy = _galaxy_yml()
    # The base image and everything that depends on it are build arguments.
    assert 'ARG EE_BASE_IMAGE="registry.access.redhat.com/ubi9/ubi:latest"' in containerfile
    for arg in ("PKGMGR", "PYPKG", "PYCMD"):
        assert re.search(r'^ARG %s="[^"]+"$' % arg, containerfile, re.MULTILINE), arg
    assert "FROM $EE_BASE_IMAGE AS base" in containerfile
    # ansible-core and ansible-runner, then the galaxy requirements, then the collection's tarball (--no-deps).
    assert re.search(r'^ARG ANSIBLE_INSTALL_REFS="ansible-core==\S+ ansible-runner\S*"$', containerfile, re.MULTILINE)
    assert "ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml" in containerfile
    assert "ansible-galaxy collection install --no-deps" in containerfile
    # The builder stage introspects the installed collections (ours among them) for Python and system packages.
    assert "introspect.py introspect --write-bindep=/tmp/src/bindep.txt --write-pip=/tmp/src/requirements.txt" \
        in containerfile
    assert "RUN /output/scripts/install-from-bindep" in containerfile
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert {c["name"]: c["version"] for c in requirements["collections"]} == galaxy["dependencies"]
    tarballs = sorted((context / "_build" / "collection").glob("*.tar.gz"))
    assert [t.name for t in tarballs] == ["wandb_local-server-%s.tar.gz" % galaxy["version"]]
    for script in ("assemble", "install-from-bindep", "introspect.py", "check_ansible", "check_galaxy"):
        assert (context / "_build" / "scripts" / script).is_file(), script


def test_introspection_finds_the_collections_requirements(ee_context, tmp_path):
    """ansible-builder's own introspection, run on the collection from the context's tarball (what the builder
    stage does): the Python packages of meta/ee-requirements.txt and the system packages of bindep.txt."""
    collections = tmp_path / "collections"
    target = collections / "ansible_collections" / "wandb_local" / "server"
    target.mkdir(parents=True)
    tarball = next((ee_context / "context" / "_build" / "collection").glob("*.tar.gz"))
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
        tar.extractall(target, filter="data")
    for shipped in ("meta/execution-environment.yml", "meta/ee-requirements.txt", "bindep.txt"):
        assert shipped in names, "%s is not in the collection tarball (galaxy.yml build_ignore?)" % shipped
    assert "execution-environment.yml" not in names  # the image recipe is not collection content
    _rc, output = _run([ansible_tool("ansible-builder"), "introspect", "--sanitize", collections], 60)
    data = yaml.safe_load(output[output.index("python:"):]) if output.startswith("#") else yaml.safe_load(output)
    python = " ".join(data["python"])
    for name, (_op, version) in _requirements(REPO / "meta" / "ee-requirements.txt").items():
        assert "%s>=%s" % (name, version) in python, name
    system = " ".join(data["system"])
    assert "openssh-client [platform:dpkg]" in system and "openssh-clients [platform:rpm]" in system
    assert "mysql" not in system and "mariadb" not in system  # mysqldump runs on the Docker host, not here


# --- ansible-builder build on the local Debian base, and the playbooks inside ------------------------------------

def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.fixture(scope="module")
def ee_image(ee_context):
    """The execution environment built from the context (docker's layer cache makes a second build quick)."""
    base = ee_context / "base"
    base.mkdir()
    shutil.copy(HOST_CA_BUNDLE, base / "host-ca-bundle.crt")
    (base / "Dockerfile").write_text("FROM %s\nCOPY host-ca-bundle.crt /etc/ssl/host-ca-bundle.crt\n"
                                     "ENV PIP_CERT=/etc/ssl/host-ca-bundle.crt\n" % BASE_IMAGE)
    _run(["docker", "build", "-q", "-t", TEST_BASE, base], 300)

    artifacts = bundled_artifacts(*_galaxy_yml()["dependencies"])
    with FakeGalaxy(artifacts, port=GALAXY_PORT if _port_free(GALAXY_PORT) else 0) as galaxy:
        args = dict(DEBIAN_ARGS, EE_BASE_IMAGE=TEST_BASE, ANSIBLE_GALAXY_CLI_COLLECTION_OPTS="--server " + galaxy.url)
        cmd = [ansible_tool("ansible-builder"), "build", "-f", ee_context / "execution-environment.yml",
               "-c", ee_context / "context", "--container-runtime", "docker", "-t", EE_IMAGE,
               "--extra-build-cli-args", "--network host", "-v3"]
        for key, value in args.items():
            cmd += ["--build-arg", "%s=%s" % (key, value)]
        _run(cmd, 900, cwd=ee_context)
    return EE_IMAGE


def _in_ee(image, *command, timeout=180, check=True, docker_args=()):
    return _run(["docker", "run", "--rm", "--network", "none", *docker_args, image, *command], timeout, check=check)


@pytest.fixture
def managed_host():
    """A Docker host to manage, as in Molecule: the Debian base image with this engine's socket; the execution
    environment reaches it with community.docker's docker_api connection through the same socket."""
    name = "wandb-ee-target-%d" % os.getpid()
    _run(["docker", "rm", "-f", name], 60, check=False)
    _run(["docker", "run", "-d", "--name", name, "--network", "none", "-v",
          "/var/run/docker.sock:/var/run/docker.sock", BASE_IMAGE, "sleep", "900"], 60)
    yield name
    _run(["docker", "rm", "-f", name], 60, check=False)


def test_ee_holds_the_collection_and_its_dependencies(ee_image):
    _rc, output = _in_ee(ee_image, "ansible-galaxy", "collection", "list", "--format", "json")
    installed = {name: info["version"] for path in json.loads(output).values() for name, info in path.items()}
    galaxy = _galaxy_yml()
    assert installed["wandb_local.server"] == galaxy["version"]
    assert {"community.docker", "amazon.aws"} <= set(installed)
    _rc, output = _in_ee(ee_image, "python3", "-c",
                         "import boto3, docker, google.auth, azure.identity, azure.storage.blob, azure.storage.queue, "
                         "azure.mgmt.storage, ansible_runner; print('imports ok')")
    assert "imports ok" in output
    _rc, output = _in_ee(ee_image, "sh", "-c", "command -v ssh && ansible --version")
    assert "/ssh" in output and "core 2.19" in output


def test_validate_and_site_check_run_inside_the_ee(ee_image, managed_host, tmp_path):
    example = "/usr/share/ansible/collections/ansible_collections/wandb_local/server/inventories/example"
    _rc, output = _in_ee(ee_image, "ansible-playbook", "wandb_local.server.validate", "-i", example)
    assert re.search(r"wandb-speech\.example\.com\s*:\s*ok=\d+\s+changed=0\s+unreachable=0\s+failed=0", output), \
        output[-3000:]

    # site.yml --check from the execution environment (its user, 1000, in the socket's group) on a fresh Docker host.
    inventory = tmp_path / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {"wandb_servers": {"hosts": {
        managed_host: {"ansible_connection": "community.docker.docker_api",
                       "ansible_python_interpreter": "/usr/bin/python3"}}}}}}))
    docker_args = ["-v", "/var/run/docker.sock:/var/run/docker.sock", "--group-add",
                   str(Path("/var/run/docker.sock").stat().st_gid), "-v", "%s:/inventory:ro" % inventory]
    rc, output = _in_ee(ee_image, "ansible-playbook", "wandb_local.server.site", "--check", "-i", "/inventory/hosts.yml",
                        timeout=400, check=False, docker_args=docker_args)
    assert rc == 0, output[-6000:]
    assert re.search(r"%s\s*:\s*ok=\d+\s+changed=[1-9]\d*\s+unreachable=0\s+failed=0" % managed_host, output), \
        output[-3000:]
    for task in ("Pull wandb/local:latest", "Create the configuration directory", "Write the server's env file"):
        assert re.search(r"TASK \[wandb_local\.server\.wandb_server : %s.*\n(\S.*\n)*?changed: \[%s\]"
                         % (re.escape(task), managed_host), output), task
    # Check mode changed nothing on the host.
    rc, _output = _run(["docker", "exec", managed_host, "test", "-e", "/etc/wandb-local"], 60, check=False)
    assert rc == 1
