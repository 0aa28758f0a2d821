"""Unit tests of the azure_* modules: bad input fails before any request, with a message naming the option."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _azure
from ansible_collections.wandb_local.server.plugins.modules import (
    azure_blob_cors,
    azure_event_subscription,
    azure_storage_account,
    azure_storage_container,
    azure_storage_queue,
)

KEY = base64.b64encode(b"k" * 64).decode("ascii")
SUB = "6f1c2a3e-1d4b-4c1e-9a53-0c1b2d3e4f50"


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any HTTP request (data plane, token endpoint, ARM pipeline) fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a request was sent: %r %r" % (args, kwargs))
    monkeypatch.setattr(_azure.requests, "request", refuse)
    monkeypatch.setattr(_azure.requests, "post", refuse)
    monkeypatch.setattr(_azure, "storage_management_client", refuse)
    monkeypatch.setattr(_azure, "ArmRestClient", refuse)
    monkeypatch.setattr(azure_storage_account, "storage_management_client", refuse)
    monkeypatch.setattr(azure_event_subscription, "ArmRestClient", refuse)


ARM = dict(subscription_id=SUB, resource_group="wandb-rg", tenant_id="t", client_id="c", client_secret="s3cr3t")


@pytest.mark.parametrize("name", ["ab", "Wandbfiles", "wandb-files", "a" * 25, "wandb_files", "wändb"])
def test_account_names_azure_rejects(run_module, name):
    result = run_module(azure_storage_account, dict(ARM, name=name, location="eastus"))
    assert result.failed and "storage account name" in result["msg"] and "name" in result["msg"]


@pytest.mark.parametrize("name", ["ab", "Wandb", "-wandb", "wandb-", "wan--db", "wandb_files", "a" * 64, "$root"])
def test_container_names_azure_rejects(run_module, name):
    result = run_module(azure_storage_container, dict(account_name="wandbfiles", account_key=KEY, name=name))
    assert result.failed and "blob container name" in result["msg"]


@pytest.mark.parametrize("name", ["q", "Queue1", "q--q", "queue-", "q_q"])
def test_queue_names_azure_rejects(run_module, name):
    result = run_module(azure_storage_queue, dict(account_name="wandbfiles", account_key=KEY, name=name))
    assert result.failed and "storage queue name" in result["msg"]


@pytest.mark.parametrize("value", ["", "not-a-guid", "6f1c2a3e1d4b4c1e9a530c1b2d3e4f50"])
def test_missing_or_bad_subscription_id(run_module, value):
    result = run_module(azure_event_subscription, dict(ARM, subscription_id=value, account_name="wandbfiles",
                                                       container="wandb-files", queue="wandb-events"))
    assert result.failed and "subscription_id" in result["msg"]


def test_missing_subscription_id_option(run_module, monkeypatch):
    monkeypatch.delenv("AZURE_SUBSCRIPTION_ID", raising=False)
    args = dict(ARM)
    del args["subscription_id"]
    result = run_module(azure_storage_account, dict(args, name="wandbfiles"))
    assert result.failed and "subscription_id" in result["msg"]


def test_bad_resource_group(run_module):
    result = run_module(azure_storage_account, dict(ARM, resource_group="bad/group.", name="wandbfiles"))
    assert result.failed and "resource_group" in result["msg"]


def test_event_subscription_bad_names(run_module):
    base = dict(ARM, account_name="wandbfiles", container="wandb-files", queue="wandb-events")
    assert "container" in run_module(azure_event_subscription, dict(base, container="Bad"))["msg"]
    assert "queue" in run_module(azure_event_subscription, dict(base, queue="b_q"))["msg"]
    assert "Event Grid subscription name" in run_module(azure_event_subscription, dict(base, name="x y"))["msg"]


def test_arm_http_only_for_loopback(run_module):
    result = run_module(azure_storage_account, dict(ARM, name="wandbfiles", arm_endpoint="http://arm.example.com"))
    assert result.failed and "arm_endpoint" in result["msg"] and "https" in result["msg"]


def test_bad_account_key_and_cors_input(run_module):
    result = run_module(azure_storage_queue, dict(account_name="wandbfiles", account_key="not base64!", name="qqq"))
    assert result.failed and "account_key" in result["msg"] and "not base64!" not in json.dumps(result)
    base = dict(account_name="wandbfiles", account_key=KEY)
    assert "CORS origin" in run_module(azure_blob_cors, dict(base, origins=["https://h.example/path"]))["msg"]
    assert "methods" in run_module(azure_blob_cors, dict(base, origins=["https://h"], methods=["FETCH"]))["msg"]
    assert "64 origins" in run_module(azure_blob_cors, dict(base, origins=["https://h%d" % i for i in range(65)]))[
        "msg"]


def test_no_credentials_message(monkeypatch):
    for var in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_ACCESS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(_azure.AzureAuthError, match="missing: tenant_id, client_secret"):
        _azure.make_credential({"client_id": "c", "authority_host": "https://login.microsoftonline.com"})


def test_shared_key_string_to_sign():
    """The signature is HMAC-SHA256 over the documented string-to-sign, built here by hand."""
    url = "http://127.0.0.1:10000/acct/c1?restype=container&comp=acl"
    headers = {"x-ms-date": "Mon, 01 Jan 2024 00:00:00 GMT", "x-ms-version": "2021-12-02",
               "Content-Length": "0", "X-MS-Meta-A": "  two   words "}
    expected = ("PUT\n\n\n\n\n\n\n\n\n\n\n\n"
                "x-ms-date:Mon, 01 Jan 2024 00:00:00 GMT\nx-ms-meta-a:two words\nx-ms-version:2021-12-02\n"
                "/acct/acct/c1\ncomp:acl\nrestype:container")
    digest = base64.b64encode(hmac.new(base64.b64decode(KEY), expected.encode(), hashlib.sha256).digest()).decode()
    assert _azure.shared_key_signature("acct", KEY, "PUT", url, headers) == "SharedKey acct:" + digest


def test_cors_normalization_is_order_insensitive():
    a = _azure.normalize_cors_rule(dict(origins=["b", "a"], methods=["put", "GET"], allowed_headers=["*"],
                                        exposed_headers=["*"], max_age="3600"))
    b = _azure.normalize_cors_rule(dict(origins=["a", "b"], methods=["GET", "PUT"], allowed_headers=["*"],
                                        exposed_headers=["*"], max_age=3600))
    assert a == b


def test_event_subscription_comparison_ignores_resource_id_case():
    wanted = azure_event_subscription.wanted_properties("/subscriptions/X/resourceGroups/RG/providers/"
                                                        "Microsoft.Storage/storageAccounts/a1", "c1c", "q1q")
    current = json.loads(json.dumps(wanted))
    current["destination"]["properties"]["resourceId"] = current["destination"]["properties"]["resourceId"].lower()
    assert azure_event_subscription.same(current, wanted)
    current["filter"]["subjectEndsWith"] = ".png"
    assert not azure_event_subscription.same(current, wanted)


def test_cors_origin_normalized_with_shared_helper():
    assert _azure.cors_origin("https://WANDB.example.com") == ("https://wandb.example.com", None)
    assert _azure.cors_origin("*") == ("*", None)
    origin, error = _azure.cors_origin("wandb.example.com")
    assert origin is None and "scheme://host" in error
