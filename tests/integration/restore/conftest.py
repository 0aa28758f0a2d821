"""Fixtures of the restore and migrate tests: the Docker engine of this machine and moto (S3) in server mode."""
from __future__ import annotations

from support.fixtures import boto, docker_client, moto_endpoint  # noqa: F401  pylint: disable=unused-import
