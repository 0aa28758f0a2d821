# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the image tests: the Docker client (support.fixtures), the stand-in image, a private registry with
TLS and htpasswd auth (images_testenv.PrivateRegistry, stopped and its CA directory under /etc/docker/certs.d removed
afterwards) and one W&B server instance per test (container and volume removed afterwards)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from support.fixtures import docker_client, remove_containers  # noqa: F401  pylint: disable=unused-import
from support.playbooks import REPO

sys.path.insert(0, str(Path(__file__).resolve().parent))

from images_testenv import PrivateRegistry, ServerInstance  # noqa: E402

STANDIN_BUILD = REPO / "tests" / "fixtures" / "standin" / "build.sh"


@pytest.fixture(scope="session")
def standin_image():
    """The stand-in image (built if missing; cheap when cached), name:tag."""
    out = subprocess.run(["timeout", "300", "bash", str(STANDIN_BUILD)], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


@pytest.fixture
def registry(tmp_path_factory):
    reg = PrivateRegistry(tmp_path_factory.mktemp("registry"))
    try:
        yield reg.start()
    finally:
        reg.stop()


@pytest.fixture
def server(tmp_path, docker_client, standin_image):  # noqa: F811
    inst = ServerInstance(tmp_path, standin_image.split(":")[0])
    yield inst
    remove_containers(docker_client, inst.name)
