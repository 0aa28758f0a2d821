"""Names shared by the azure integration tests and their conftest (a module of its own: `conftest` is ambiguous
when several test directories run together)."""
from __future__ import annotations

ACCOUNT = "wandbtestacct"
SUBSCRIPTION = "6f1c2a3e-1d4b-4c1e-9a53-0c1b2d3e4f50"
RESOURCE_GROUP = "wandb-rg"
TENANT = "0a1b2c3d-0000-4000-8000-00000000aaaa"


def blob_service(account: str, key: str, endpoint: str):
    """The SDK's BlobServiceClient with the account key: how the tests look at Azurite behind the modules' back."""
    from azure.storage.blob import BlobServiceClient  # pylint: disable=import-outside-toplevel
    return BlobServiceClient(endpoint, credential={"account_name": account, "account_key": key})


def queue_service(account: str, key: str, endpoint: str):
    """The SDK's QueueServiceClient with the account key."""
    from azure.storage.queue import QueueServiceClient  # pylint: disable=import-outside-toplevel
    return QueueServiceClient(endpoint, credential={"account_name": account, "account_key": key})
