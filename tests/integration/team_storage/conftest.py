# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Emulators for the team_storage role tests, reused from the aws and gcp test directories (not copied).

- moto in server mode: the `moto_endpoint`, `boto` and `fake_secret_key` fixtures of tests/integration/aws;
- gcp-storage-emulator: the `storage_emulator` fixture of tests/integration/gcp;
- the GCP API fake (tests/fixtures/gcp_fake) for bucket IAM policies, in-process, forwarding bucket calls to
  gcp-storage-emulator after checking them. Team buckets need no Pub/Sub, so the Pub/Sub emulator is not started.
"""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

INTEGRATION = Path(__file__).resolve().parent.parent


def _load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_AWS = _load("wandb_team_storage_aws_conftest", INTEGRATION / "aws" / "conftest.py")
_GCP = _load("wandb_team_storage_gcp_conftest", INTEGRATION / "gcp" / "conftest.py")

moto_endpoint = _AWS.moto_endpoint
boto = _AWS.boto
fake_secret_key = _AWS.fake_secret_key
storage_emulator = _GCP.storage_emulator


@pytest.fixture(scope="session")
def team_gcp_fake(storage_emulator):  # pylint: disable=redefined-outer-name
    """The GCP API fake with gcp-storage-emulator upstream and no Pub/Sub upstream."""
    fake = _GCP.GcpFake(project_number=_GCP.PROJECT_NUMBER, service_accounts=[_GCP.SERVER_SA],
                        storage_upstream=storage_emulator, pubsub_upstream=None).start()
    try:
        yield fake
    finally:
        fake.stop()
