"""moto in server mode on 127.0.0.1, started and stopped by the tests.

`moto_endpoint` (session scope) starts `moto_server` on a free port under `timeout`, waits (bounded) until it
answers, sets fake credentials with a recognisable secret in the environment, and stops the server at the end;
`boto(service)` gives boto3 clients on it, `fake_secret_key` the secret. The fixtures live in
tests/support/fixtures.py (shared with tests/integration/team_storage).
"""
from __future__ import annotations

from support.fixtures import boto, fake_secret_key, moto_endpoint  # noqa: F401  pylint: disable=unused-import
