"""Fixtures of the backup tests: the Docker engine of this machine, moto (S3 + KMS), the GCS emulator, the stand-in
image."""
from __future__ import annotations

from support.fixtures import (  # noqa: F401  pylint: disable=unused-import
    boto,
    docker_client,
    moto_endpoint,
    standin_image,
    storage_emulator,
)
