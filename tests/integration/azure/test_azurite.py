"""azure_storage_container, azure_storage_queue and azure_blob_cors against Azurite 3.35 (a real emulator)."""
from __future__ import annotations

import json

import requests

from ansible_collections.wandb_local.server.plugins.module_utils._azure import SharedKeyClient
from ansible_collections.wandb_local.server.plugins.modules import (
    azure_blob_cors,
    azure_storage_container,
    azure_storage_queue,
)

ORIGIN = "https://wandb.example.com"


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
    client = SharedKeyClient(azurite.account, azurite.key, azurite.blob_endpoint)
    assert client.request("GET", "/wandb-files", {"restype": "container"}, ok=(200, 404)).status_code == 404

    first = run_module(azure_storage_container, args, diff=True)
    assert first.changed and not first.failed, first
    second = run_module(azure_storage_container, args)
    assert not second.changed and not second.failed

    resp = client.request("GET", "/wandb-files", {"restype": "container"})
    assert "x-ms-blob-public-access" not in resp.headers  # private
    # Anonymous read is refused for a private container.
    anon = requests.get(azurite.blob_endpoint + "/wandb-files?restype=container&comp=list", timeout=10)
    assert anon.status_code in (401, 403, 404)
    assert azurite.key not in json.dumps(first) + json.dumps(second) + json.dumps(checked)


def test_public_container_is_made_private(azurite, run_module):
    client = SharedKeyClient(azurite.account, azurite.key, azurite.blob_endpoint)
    client.request("PUT", "/was-public", {"restype": "container"}, headers={"x-ms-blob-public-access": "container"})
    assert client.request("GET", "/was-public", {"restype": "container"}).headers["x-ms-blob-public-access"] == \
        "container"
    result = run_module(azure_storage_container, blob_args(azurite, name="was-public"), diff=True)
    assert result.changed
    assert result["diff"]["before"]["public_access"] == "container"
    assert result["diff"]["after"]["public_access"] is None
    assert "x-ms-blob-public-access" not in client.request("GET", "/was-public", {"restype": "container"}).headers
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
    client = SharedKeyClient(azurite.account, azurite.key, azurite.queue_endpoint)
    assert client.request("GET", "/wandb-file-events", {"comp": "metadata"}, ok=(200, 404)).status_code == 404
    assert run_module(azure_storage_queue, args).changed
    assert not run_module(azure_storage_queue, args).changed
    # The queue works: a message put in comes back out.
    client.request("POST", "/wandb-file-events/messages",
                   body="<QueueMessage><MessageText>aGVsbG8=</MessageText></QueueMessage>")
    got = client.request("GET", "/wandb-file-events/messages")
    assert b"aGVsbG8=" in got.content


def test_blob_cors_set_read_back_and_preflight(azurite, run_module):
    args = blob_args(azurite, origins=[ORIGIN])
    checked = run_module(azure_blob_cors, args, check_mode=True, diff=True)
    assert checked.changed and checked["diff"]["before"] == {"rules": []}
    client = SharedKeyClient(azurite.account, azurite.key, azurite.blob_endpoint)
    assert b"<CorsRule>" not in client.request("GET", "/", {"restype": "service", "comp": "properties"}).content

    first = run_module(azure_blob_cors, args, diff=True)
    assert first.changed and not first.failed, first
    assert first["rules"] == [{"origins": [ORIGIN], "methods": ["GET", "PUT"], "allowed_headers": ["*"],
                               "exposed_headers": ["*"], "max_age": 3600}]
    assert not run_module(azure_blob_cors, args).changed

    # Read back straight from the service.
    props = client.request("GET", "/", {"restype": "service", "comp": "properties"}).content.decode("utf-8-sig")
    assert "<AllowedOrigins>%s</AllowedOrigins>" % ORIGIN in props
    assert "<AllowedMethods>GET,PUT</AllowedMethods>" in props
    assert "<AllowedHeaders>*</AllowedHeaders>" in props and "<ExposedHeaders>*</ExposedHeaders>" in props

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
