"""azure_storage_container, azure_storage_queue and azure_blob_cors against Azurite 3.35 (a real emulator)."""
from __future__ import annotations

import datetime
import json

import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import AccessPolicy

from ansible_collections.wandb_local.server.plugins.modules import (
    azure_blob_cors,
    azure_storage_container,
    azure_storage_queue,
)

from azure_testenv import blob_service, queue_service  # tests/integration/azure, on sys.path (conftest)

ORIGIN = "https://wandb.example.com"
EXPIRY = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)


def blob_args(azurite, **extra):
    args = dict(account_name=azurite.account, account_key=azurite.key, blob_endpoint=azurite.blob_endpoint)
    args.update(extra)
    return args


def queue_args(azurite, **extra):
    args = dict(account_name=azurite.account, account_key=azurite.key, queue_endpoint=azurite.queue_endpoint)
    args.update(extra)
    return args


def test_container_created_private_and_idempotent(azurite, run_module):
    args = blob_args(azurite, name="wandb-files")
    checked = run_module(azure_storage_container, args, check_mode=True, diff=True)
    assert checked.changed and not checked.failed
    assert checked["diff"]["before"]["exists"] is False and checked["diff"]["after"]["exists"] is True
    container = blob_service(azurite.account, azurite.key, azurite.blob_endpoint).get_container_client("wandb-files")
    assert not container.exists()

    first = run_module(azure_storage_container, args, diff=True)
    assert first.changed and not first.failed, first
    second = run_module(azure_storage_container, args)
    assert not second.changed and not second.failed

    assert container.get_container_properties().public_access is None  # private
    # Anonymous read is refused for a private container.
    anon = requests.get(azurite.blob_endpoint + "/wandb-files?restype=container&comp=list", timeout=10)
    assert anon.status_code in (401, 403, 404)
    assert azurite.key not in json.dumps(first) + json.dumps(second) + json.dumps(checked)


def test_public_container_is_made_private(azurite, run_module):
    service = blob_service(azurite.account, azurite.key, azurite.blob_endpoint)
    container = service.create_container("was-public", public_access="container")
    container.set_container_access_policy({"reader": AccessPolicy(permission="r", expiry=EXPIRY)},
                                          public_access="container")
    assert container.get_container_properties().public_access == "container"
    result = run_module(azure_storage_container, blob_args(azurite, name="was-public"), diff=True)
    assert result.changed
    assert result["diff"]["before"]["public_access"] == "container"
    assert result["diff"]["after"]["public_access"] is None
    assert container.get_container_properties().public_access is None
    # The stored access policy is kept.
    assert [si.id for si in container.get_container_access_policy()["signed_identifiers"]] == ["reader"]
    assert not run_module(azure_storage_container, blob_args(azurite, name="was-public")).changed


def test_container_absent(azurite, run_module):
    run_module(azure_storage_container, blob_args(azurite, name="short-lived"))
    gone = run_module(azure_storage_container, blob_args(azurite, name="short-lived", state="absent"))
    assert gone.changed
    assert not run_module(azure_storage_container, blob_args(azurite, name="short-lived", state="absent")).changed


def test_queue_created_and_idempotent(azurite, run_module):
    args = queue_args(azurite, name="wandb-file-events")
    checked = run_module(azure_storage_queue, args, check_mode=True, diff=True)
    assert checked.changed and checked["diff"] == {"before": {"name": "wandb-file-events", "exists": False},
                                                   "after": {"name": "wandb-file-events", "exists": True}}
    queue = queue_service(azurite.account, azurite.key, azurite.queue_endpoint).get_queue_client("wandb-file-events")
    with pytest.raises(ResourceNotFoundError):
        queue.get_queue_properties()
    assert run_module(azure_storage_queue, args).changed
    assert not run_module(azure_storage_queue, args).changed
    # The queue works: a message put in comes back out.
    queue.send_message("aGVsbG8=")
    assert queue.receive_message().content == "aGVsbG8="


def test_blob_cors_set_read_back_and_preflight(azurite, run_module):
    args = blob_args(azurite, origins=[ORIGIN])
    checked = run_module(azure_blob_cors, args, check_mode=True, diff=True)
    assert checked.changed and checked["diff"]["before"] == {"rules": []}
    service = blob_service(azurite.account, azurite.key, azurite.blob_endpoint)
    assert not service.get_service_properties()["cors"]

    first = run_module(azure_blob_cors, args, diff=True)
    assert first.changed and not first.failed, first
    assert first["rules"] == [{"origins": [ORIGIN], "methods": ["GET", "PUT"], "allowed_headers": ["*"],
                               "exposed_headers": ["*"], "max_age": 3600}]
    assert not run_module(azure_blob_cors, args).changed

    # Read back straight from the service.
    [rule] = service.get_service_properties()["cors"]
    assert (rule.allowed_origins, rule.allowed_methods, rule.allowed_headers, rule.exposed_headers,
            rule.max_age_in_seconds) == (ORIGIN, "GET,PUT", "*", "*", 3600)

    # A browser preflight from the W&B origin for an upload is answered 200 with the origin allowed.
    run_module(azure_storage_container, blob_args(azurite, name="wandb-files"))
    pre = requests.options(azurite.blob_endpoint + "/wandb-files/some/file.bin", timeout=10, headers={
        "Origin": ORIGIN, "Access-Control-Request-Method": "PUT",
        "Access-Control-Request-Headers": "content-type,x-ms-blob-type"})
    assert pre.status_code == 200
    assert pre.headers.get("Access-Control-Allow-Origin") == ORIGIN
    # ...and one from another origin is not.
    other = requests.options(azurite.blob_endpoint + "/wandb-files/some/file.bin", timeout=10, headers={
        "Origin": "https://evil.example.org", "Access-Control-Request-Method": "PUT"})
    assert other.status_code == 403

    # Changing the origins replaces the rule; an empty list removes it.
    moved = run_module(azure_blob_cors, blob_args(azurite, origins=[ORIGIN, "http://10.0.0.5:8080"]))
    assert moved.changed and moved["rules"][0]["origins"] == ["http://10.0.0.5:8080", ORIGIN]
    cleared = run_module(azure_blob_cors, blob_args(azurite, origins=[]))
    assert cleared.changed and cleared["rules"] == []
    assert run_module(azure_blob_cors, args).changed


def test_wrong_key_is_refused_with_clear_message(azurite, run_module):
    import base64
    import os
    bad = base64.b64encode(os.urandom(64)).decode("ascii")
    result = run_module(azure_storage_queue, dict(account_name=azurite.account, account_key=bad,
                                                  queue_endpoint=azurite.queue_endpoint, name="never-made"))
    assert result.failed
    assert "403" in result["msg"] and "account_key" in result["msg"]
    assert bad not in json.dumps(result)
