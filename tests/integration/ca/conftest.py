"""Fixtures of the custom-CA and hardening tests: an internal CA, and real components that present certificates it
signed on 127.0.0.1 - the npm oidc-provider over HTTPS, moto (S3) over HTTPS, redis-server with a TLS port. Each is
started here under `timeout` in its own process group and stopped by the fixture (tests/support/procs.py)."""
from __future__ import annotations

from support.fixtures import docker_client, standin_image  # noqa: F401  pylint: disable=unused-import

from ca_testenv import (  # noqa: F401  pylint: disable=unused-import
    https_oidc_provider,
    https_s3,
    internal_ca,
    server_instance,
    tls_redis,
)
