"""Fixtures of the front door tests: the Docker engine, the stand-in server image, Caddy and pebble from Debian's
packages (tests/setup.sh installs them), the CONNECT proxy that stands in for DNS."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from support.fixtures import docker_client  # noqa: F401  pylint: disable=unused-import
from support.playbooks import REPO

# Its own tag, built from this checkout: the tests use the stand-in's upload endpoint, and the shared tag may be
# rebuilt meanwhile by another test run from another checkout on the same Docker engine.
STANDIN_IMAGE = "wandb-local-test/front-door-standin"


@pytest.fixture(scope="session")
def standin_image():
    """The stand-in image (tests/fixtures/standin) under this directory's tag, built if missing or changed; cheap when
    cached."""
    subprocess.run(["bash", str(REPO / "tests/fixtures/standin/build.sh"), STANDIN_IMAGE + ":latest"],
                   check=True, capture_output=True, timeout=600)
    return STANDIN_IMAGE


@pytest.fixture(scope="session", autouse=True)
def debian_packages():
    """Caddy and pebble are Debian packages (tests/setup.sh): fail clearly when they are missing."""
    missing = [tool for tool in ("caddy", "pebble") if shutil.which(tool) is None]
    assert not missing, "install Debian's %s (tests/setup.sh does)" % " and ".join(missing)
