"""azure_storage_account and azure_event_subscription against the local ARM/Event Grid fake.

No emulator exists for Azure Resource Manager or Event Grid; tests/fixtures/azure_fake accepts only requests
that match the published REST API descriptions (see its docstring), so these tests prove paths, verbs,
api-versions and bodies. Event delivery cannot run here; instead the subscription body is asserted to be exactly
the documented one.
"""
from __future__ import annotations

import json

import requests

from ansible_collections.wandb_local.server.plugins.modules import (
    azure_blob_cors,
    azure_event_subscription,
    azure_storage_account,
    azure_storage_container,
    azure_storage_queue,
)

from azure_fake import is_identity_path  # tests/fixtures/azure_fake, on sys.path (conftest)
from azure_testenv import ACCOUNT, RESOURCE_GROUP, SUBSCRIPTION  # tests/integration/azure, on sys.path (conftest)

ACCOUNT_ID = ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/%s"
              % (SUBSCRIPTION, RESOURCE_GROUP, ACCOUNT))


def arm_calls(fake):
    """The requests to ARM (not to the identity platform: discovery document, token endpoint)."""
    return [(r["method"], r["path"], r["query"].get("api-version")) for r in fake.requests
            if not is_identity_path(r["path"])]


def direct(fake):
    """A requests session that trusts the fake's CA, for talking to the fake behind the modules' back."""
    session = requests.Session()
    session.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins over session.verify
    session.verify = fake.ca_path
    return session


def test_account_created_secure_idempotent_and_key_hidden(fake, arm_args, account_key, run_module):
    args = dict(arm_args, name=ACCOUNT, location="eastus")
    checked = run_module(azure_storage_account, args, check_mode=True, diff=True)
    assert checked.changed and not checked.failed, checked
    assert checked["diff"]["before"] == {}
    assert [c[0] for c in arm_calls(fake)] == ["GET"]  # check mode: read only

    created = run_module(azure_storage_account, args, diff=True)
    assert created.changed and not created.failed, created
    account = created["account"]
    assert account["https_only"] is True and account["minimum_tls_version"] == "TLS1_2"
    assert account["allow_blob_public_access"] is False and account["allow_shared_key_access"] is True
    assert account["id"] == ACCOUNT_ID
    put = [r for r in fake.requests if r["method"] == "PUT"][0]
    assert put["query"]["api-version"] == "2023-05-01"
    assert put["body"] == {"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2",
                           "properties": {"supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2",
                                          "allowBlobPublicAccess": False, "allowSharedKeyAccess": True}}
    assert "key" not in created

    again = run_module(azure_storage_account, args, diff=True)
    assert not again.changed and again["diff"]["before"] == again["diff"]["after"]

    with_key = run_module(azure_storage_account, dict(args, return_key=True), diff=True)
    assert not with_key.changed and with_key["key"] == account_key
    assert account_key not in json.dumps(with_key["diff"]) + json.dumps(with_key["account"])
    assert ("POST", ACCOUNT_ID + "/listKeys", "2023-05-01") in arm_calls(fake)
    # The client secret never shows up in any result.
    for result in (checked, created, again, with_key):
        assert fake.client_secret not in json.dumps(result)


def test_existing_insecure_account_is_adopted_and_fixed(fake, arm_args, run_module):
    token = fake.issue_token()
    resp = direct(fake).put(fake.url + ACCOUNT_ID, params={"api-version": "2023-05-01"},
                            headers={"Authorization": "Bearer " + token}, timeout=10,
                            json={"location": "West Europe", "sku": {"name": "Standard_GRS"}, "kind": "StorageV2",
                                  "properties": {"supportsHttpsTrafficOnly": False, "minimumTlsVersion": "TLS1_0",
                                                 "allowBlobPublicAccess": True, "allowSharedKeyAccess": False}})
    assert resp.status_code == 200, resp.text
    # No location given: adopt as is. Location given in another spelling of the same region: fine.
    result = run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, location="westeurope"), diff=True)
    assert result.changed and not result.failed, result
    before, after = result["diff"]["before"], result["diff"]["after"]
    assert (before["https_only"], before["minimum_tls_version"], before["allow_blob_public_access"],
            before["allow_shared_key_access"]) == (False, "TLS1_0", True, False)
    assert (after["https_only"], after["minimum_tls_version"], after["allow_blob_public_access"],
            after["allow_shared_key_access"]) == (True, "TLS1_2", False, True)
    assert after["sku"] == "Standard_GRS"  # adopted: SKU untouched
    patch = [r for r in fake.requests if r["method"] == "PATCH"]
    assert len(patch) == 1 and patch[0]["body"] == {"properties": {
        "supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False,
        "allowSharedKeyAccess": True}}
    assert not run_module(azure_storage_account, dict(arm_args, name=ACCOUNT)).changed


def test_account_in_other_location_or_missing_location_fails(fake, arm_args, run_module):
    missing = run_module(azure_storage_account, dict(arm_args, name=ACCOUNT))
    assert missing.failed and "set location" in missing["msg"]
    run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, location="eastus"))
    moved = run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, location="westus2"))
    assert moved.failed and "exists in location eastus" in moved["msg"]


def test_wrong_client_secret_fails_clearly(fake, arm_args, run_module):
    result = run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, location="eastus",
                                                    client_secret="not-the-secret"))
    assert result.failed and "Invalid client secret" in result["msg"], result
    assert "storage_azure_client_secret (module option client_secret)" in result["msg"]
    assert "not-the-secret" not in json.dumps(result)
    assert [r["method"] for r in fake.requests if "/oauth2/" in r["path"]] == ["POST"]  # asked once, no retry
    assert not arm_calls(fake)


def test_client_secret_through_the_identity_platform(fake, arm_args, run_module):
    """azure-identity's ClientSecretCredential: the tenant's discovery document, then one token for ARM's scope."""
    assert run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, location="eastus")).changed
    identity = [(r["method"], r["path"]) for r in fake.requests if is_identity_path(r["path"])]
    assert identity == [("GET", "/%s/v2.0/.well-known/openid-configuration" % arm_args["tenant_id"]),
                        ("POST", "/%s/oauth2/v2.0/token" % arm_args["tenant_id"])]
    token = [r for r in fake.requests if r["path"].endswith("/token")][0]["body"]
    assert token["grant_type"] == "client_credentials" and token["scope"] == fake.url + "/.default"


def test_http_authority_or_untrusted_fake_is_refused(fake, arm_args, run_module):
    http = run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, authority_host="http://127.0.0.1:1"))
    assert http.failed and "storage_azure_authority_host (module option authority_host)" in http["msg"]
    assert "https" in http["msg"]
    untrusted = run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, ca_path=None))
    assert untrusted.failed and "CERTIFICATE_VERIFY_FAILED" in untrusted["msg"], untrusted
    assert "give the CA bundle with module option ca_path" in untrusted["msg"]
    assert not fake.requests  # the TLS handshake failed before any request


def test_access_token_credential(fake, arm_args, run_module):
    args = dict(arm_args, name=ACCOUNT, location="eastus", access_token=fake.issue_token())
    del args["client_secret"]
    assert run_module(azure_storage_account, args).changed
    assert not [r for r in fake.requests if "/oauth2/" in r["path"]]


def event_args(arm_args, **extra):
    args = dict(arm_args, account_name=ACCOUNT, container="wandb-files", queue="wandb-file-events")
    args.update(extra)
    return args


def test_event_subscription_body_is_exactly_the_documented_one(fake, arm_args, run_module):
    run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, location="eastus"))
    checked = run_module(azure_event_subscription, event_args(arm_args), check_mode=True, diff=True)
    assert checked.changed and checked["diff"]["before"] == {}
    assert not [r for r in fake.requests if r["method"] == "PUT" and "EventGrid" in r["path"]]

    created = run_module(azure_event_subscription, event_args(arm_args), diff=True)
    assert created.changed and not created.failed, created
    puts = [r for r in fake.requests if r["method"] == "PUT" and "EventGrid" in r["path"]]
    assert len(puts) == 1
    assert puts[0]["path"] == ACCOUNT_ID + "/providers/Microsoft.EventGrid/eventSubscriptions/wandb-blob-created"
    assert puts[0]["query"] == {"api-version": "2022-06-15"}
    assert puts[0]["body"] == {"properties": {
        "destination": {"endpointType": "StorageQueue",
                        "properties": {"resourceId": ACCOUNT_ID, "queueName": "wandb-file-events"}},
        "filter": {"includedEventTypes": ["Microsoft.Storage.BlobCreated"],
                   "subjectBeginsWith": "/blobServices/default/containers/wandb-files/blobs/"},
        "eventDeliverySchema": "EventGridSchema"}}
    # The module waited for provisioning (Creating -> Succeeded) with GETs after the PUT.
    sub = fake.event_subs[puts[0]["path"].lower()]
    assert sub["properties"]["provisioningState"] == "Succeeded"

    again = run_module(azure_event_subscription, event_args(arm_args), diff=True)
    assert not again.changed and again["diff"]["before"] == again["diff"]["after"]


def test_event_subscription_drifted_is_rewritten_and_absent(fake, arm_args, run_module):
    run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, location="eastus"))
    run_module(azure_event_subscription, event_args(arm_args))
    # Someone narrowed the filter and switched the schema: the next run puts the documented body back.
    path = ACCOUNT_ID + "/providers/Microsoft.EventGrid/eventSubscriptions/wandb-blob-created"
    sub = fake.event_subs[path.lower()]["properties"]
    sub["filter"]["subjectEndsWith"] = ".jpg"
    sub["eventDeliverySchema"] = "CloudEventSchemaV1_0"
    drift = run_module(azure_event_subscription, event_args(arm_args), diff=True)
    assert drift.changed
    assert drift["diff"]["before"]["filter"]["subjectEndsWith"] == ".jpg"
    assert fake.event_subs[path.lower()]["properties"]["eventDeliverySchema"] == "EventGridSchema"
    assert fake.event_subs[path.lower()]["properties"]["filter"]["subjectEndsWith"] == ""
    assert not run_module(azure_event_subscription, event_args(arm_args)).changed

    assert run_module(azure_event_subscription, event_args(arm_args, state="absent")).changed
    assert path.lower() not in fake.event_subs
    assert not run_module(azure_event_subscription, event_args(arm_args, state="absent")).changed


def test_event_subscription_on_missing_account_fails(fake, arm_args, run_module):
    result = run_module(azure_event_subscription, event_args(arm_args))
    assert result.failed and "404" in result["msg"]


def test_fake_rejects_what_the_descriptions_do_not_allow(fake):
    """The fake itself: wrong api-version, verb, path or body are refused."""
    headers = {"Authorization": "Bearer " + fake.issue_token()}
    requests = direct(fake)  # pylint: disable=redefined-outer-name
    url = fake.url + ACCOUNT_ID
    body = {"location": "eastus", "sku": {"name": "Standard_LRS"}, "kind": "StorageV2"}
    assert requests.put(url, params={"api-version": "2021-01-01"}, json=body, headers=headers,
                        timeout=10).status_code == 400
    assert requests.put(url, json=body, headers=headers, timeout=10).status_code == 400
    assert requests.put(url, params={"api-version": "2023-05-01"}, json=dict(body, kind="Nope"), headers=headers,
                        timeout=10).status_code == 400
    assert requests.put(url, params={"api-version": "2023-05-01"}, json={"location": "eastus"}, headers=headers,
                        timeout=10).status_code == 400
    assert requests.put(url, params={"api-version": "2023-05-01"}, json=body, timeout=10).status_code == 401
    assert requests.post(url, params={"api-version": "2023-05-01"}, headers=headers, timeout=10).status_code == 404
    assert requests.get(fake.url + "/subscriptions/%s/providers/Microsoft.Storage/nothing" % SUBSCRIPTION,
                        params={"api-version": "2023-05-01"}, headers=headers, timeout=10).status_code == 404
    assert requests.put(url, params={"api-version": "2023-05-01"}, json=body, headers=headers,
                        timeout=10).status_code == 200
    sub_url = url + "/providers/Microsoft.EventGrid/eventSubscriptions/x1x"
    good = {"properties": {"destination": {"endpointType": "StorageQueue",
                                           "properties": {"resourceId": ACCOUNT_ID, "queueName": "q1q"}}}}
    assert requests.put(sub_url, params={"api-version": "2020-01-01"}, json=good, headers=headers,
                        timeout=10).status_code == 400
    bad = json.loads(json.dumps(good))
    bad["properties"]["destination"]["endpointType"] = "Queue"
    assert requests.put(sub_url, params={"api-version": "2022-06-15"}, json=bad, headers=headers,
                        timeout=10).status_code == 400
    bad = json.loads(json.dumps(good))
    bad["properties"]["filter"] = {"includedEventTypes": "Microsoft.Storage.BlobCreated"}
    assert requests.put(sub_url, params={"api-version": "2022-06-15"}, json=bad, headers=headers,
                        timeout=10).status_code == 400
    assert requests.put(sub_url, params={"api-version": "2022-06-15"}, json=good, headers=headers,
                        timeout=10).status_code == 201


def test_end_to_end_key_from_arm_drives_the_data_plane(fake, arm_args, azurite, run_module):
    """The key listKeys returns (seeded with Azurite's account key) is what container/queue/CORS use."""
    account = run_module(azure_storage_account, dict(arm_args, name=ACCOUNT, location="eastus", return_key=True))
    key = account["key"]
    data = dict(account_name=ACCOUNT, account_key=key)
    assert run_module(azure_storage_container, dict(data, blob_endpoint=azurite.blob_endpoint,
                                                    name="e2e-files")).changed
    assert run_module(azure_storage_queue, dict(data, queue_endpoint=azurite.queue_endpoint,
                                                name="e2e-events")).changed
    assert not run_module(azure_blob_cors, dict(data, blob_endpoint=azurite.blob_endpoint, origins=[])).failed
    assert run_module(azure_event_subscription, event_args(arm_args, container="e2e-files",
                                                           queue="e2e-events")).changed
