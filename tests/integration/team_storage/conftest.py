# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Emulators for the team_storage role tests, shared with the aws and gcp test directories (not copied).

- moto in server mode: the `moto_endpoint`, `boto` and `fake_secret_key` fixtures of tests/support/fixtures.py;
- gcp-storage-emulator: the `storage_emulator` fixture of tests/support/fixtures.py;
- the GCP API fake (tests/fixtures/gcp_fake) for bucket IAM policies, in-process, forwarding bucket calls to
  gcp-storage-emulator after checking them. Team buckets need no Pub/Sub, so the Pub/Sub emulator is not started.
  Its names (project, service account) come from tests/integration/gcp/gcp_testenv.py.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from support.fixtures import (  # noqa: F401  pylint: disable=unused-import
    boto,
    fake_secret_key,
    moto_endpoint,
    storage_emulator,
)

TESTS = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(TESTS / "fixtures" / "gcp_fake"))
sys.path.insert(0, str(TESTS / "integration" / "gcp"))

from gcp_fake import GcpFake  # noqa: E402
from gcp_testenv import PROJECT_NUMBER, SERVER_SA  # noqa: E402


@pytest.fixture(scope="session")
def team_gcp_fake(storage_emulator):
    """The GCP API fake with gcp-storage-emulator upstream and no Pub/Sub upstream."""
    fake = GcpFake(project_number=PROJECT_NUMBER, service_accounts=[SERVER_SA], storage_upstream=storage_emulator,
                   pubsub_upstream=None).start()
    try:
        yield fake
    finally:
        fake.stop()
