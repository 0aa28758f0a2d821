"""Fixtures of the backup tests: the Docker engine of this machine."""
from __future__ import annotations

from support.fixtures import docker_client  # noqa: F401  pylint: disable=unused-import
