"""Fixtures of the organisation tests: the Docker engine of this machine and the stand-in image."""
from __future__ import annotations

from support.fixtures import docker_client, standin_image  # noqa: F401  pylint: disable=unused-import
