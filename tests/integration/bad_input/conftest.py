"""Fixtures of the bad-input tests: a Docker client, and tripwires (a listening port that counts connections) standing
in for every emulator a wrong inventory could reach, so a test proves no cloud, Redis or identity provider was
contacted."""
from __future__ import annotations

from support.fixtures import docker_client  # noqa: F401  pylint: disable=unused-import
