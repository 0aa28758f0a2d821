"""Unit tests of the azure_* modules: bad input fails before any request, with a message naming the option; the
http-refusal rule of the endpoints; which azure-identity credential the options select; the SDK clients' settings."""
from __future__ import annotations

import base64
import json

import pytest
from azure.core.pipeline.transport import RequestsTransport

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
    monkeypatch.setattr(RequestsTransport, "send", refuse)
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


def test_incomplete_client_secret_message(monkeypatch):
    for var in ("AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_ACCESS_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(_azure.AzureAuthError, match="missing: tenant_id$|missing: tenant_id[.]") as err:
        _azure.make_credential({"client_id": "c", "client_secret": "s", "authority_host": _azure.DEFAULT_AUTHORITY_HOST})
    assert "storage_azure_tenant_id (module option tenant_id)" in str(err.value)


# --- endpoints: https, or plain http to loopback only ------------------------------------------------------------

@pytest.mark.parametrize("url", ["https://acct.blob.core.windows.net", "https://10.0.0.5:10000/acct",
                                 "http://127.0.0.1:10000/acct", "http://127.8.9.10:10000/acct",
                                 "http://localhost:10000/acct", "http://LOCALHOST/acct", "http://[::1]:10000/acct"])
def test_endpoint_accepted(url):
    assert _azure.validate_endpoint(url, "blob_endpoint") is None


@pytest.mark.parametrize("url", ["http://10.0.0.5:10000/acct", "http://acct.blob.core.windows.net",
                                 "http://127.0.0.1.nip.io/acct", "http://[::2]:10000/acct", "http://128.0.0.1/a"])
@pytest.mark.parametrize("module, option", [(azure_storage_container, "blob_endpoint"),
                                            (azure_storage_queue, "queue_endpoint"),
                                            (azure_blob_cors, "blob_endpoint")])
def test_plain_http_to_another_host_is_refused(run_module, url, module, option):
    args = {"account_name": "wandbfiles", "account_key": KEY, option: url, "name": "wandb-files",
            "origins": ["https://w.example.com"]}
    if module is azure_blob_cors:
        del args["name"]
    else:
        del args["origins"]
    result = run_module(module, args)
    assert result.failed
    assert "storage_azure_%s (module option %s)" % (option, option) in result["msg"]
    assert "plain http is only accepted to a loopback host" in result["msg"] and KEY not in json.dumps(result)


@pytest.mark.parametrize("value", ["ftp://x", "acct.blob.core.windows.net", ""])
def test_endpoint_not_a_url(value):
    assert "must be an https URL" in _azure.validate_endpoint(value, "queue_endpoint")


def test_authority_host_must_be_https(run_module):
    result = run_module(azure_storage_account, dict(ARM, name="wandbfiles", authority_host="http://127.0.0.1:1"))
    assert result.failed and "storage_azure_authority_host (module option authority_host)" in result["msg"]
    # A ready token needs no identity platform: its host is not checked then.
    assert _azure.check_arm_params(dict(ARM, access_token="t", arm_endpoint="https://management.azure.com",
                                        authority_host="http://x")) is None


# --- credential selection (azure-identity) --------------------------------------------------------------------------

class Recorder(object):
    """Stands in for an azure-identity credential class: records how it was built."""

    built = []

    def __init__(self, *args, **kwargs):
        self.args, self.kwargs = args, kwargs
        Recorder.built.append(self)


@pytest.fixture()
def credentials(monkeypatch):
    classes = {}
    for name in ("ClientSecretCredential", "DefaultAzureCredential"):
        classes[name] = type(name, (Recorder,), {})
        monkeypatch.setattr(_azure, name, classes[name])
    return classes


BASE = dict(authority_host=_azure.DEFAULT_AUTHORITY_HOST, timeout=30, ca_path=None, access_token=None,
            tenant_id=None, client_id=None, client_secret=None)


def test_access_token_wins(credentials):
    cred = _azure.make_credential(dict(BASE, access_token="tok", tenant_id="t", client_id="c", client_secret="s"))
    assert isinstance(cred, _azure.StaticTokenCredential)
    assert cred.get_token("https://management.azure.com/.default").token == "tok"
    assert cred.get_token_info("https://storage.azure.com/.default").token == "tok"


def test_client_secret_selects_client_secret_credential(credentials):
    cred = _azure.make_credential(dict(BASE, tenant_id="t", client_id="c", client_secret="s", ca_path="/ca.pem"))
    assert isinstance(cred, credentials["ClientSecretCredential"])
    assert cred.args == ("t", "c", "s")
    assert cred.kwargs == dict(authority=_azure.DEFAULT_AUTHORITY_HOST, connection_verify="/ca.pem",
                               connection_timeout=30, read_timeout=30, retry_total=_azure.ARM_RETRIES)


def test_private_authority_skips_instance_discovery(credentials):
    cred = _azure.make_credential(dict(BASE, tenant_id="t", client_id="c", client_secret="s",
                                       authority_host="https://login.azurestack.example"))
    assert cred.kwargs["authority"] == "https://login.azurestack.example"
    assert cred.kwargs["disable_instance_discovery"] is True
    us = _azure.make_credential(dict(BASE, tenant_id="t", client_id="c", client_secret="s",
                                     authority_host="https://login.microsoftonline.us"))
    assert "disable_instance_discovery" not in us.kwargs


def test_without_secret_default_azure_credential(credentials):
    cred = _azure.make_credential(dict(BASE))
    assert isinstance(cred, credentials["DefaultAzureCredential"])
    assert cred.kwargs["authority"] == _azure.DEFAULT_AUTHORITY_HOST
    assert cred.kwargs["managed_identity_client_id"] is None
    # A client id without a secret picks the user-assigned managed identity / the workload identity.
    cred = _azure.make_credential(dict(BASE, client_id="mi-client", tenant_id="t"))
    assert isinstance(cred, credentials["DefaultAzureCredential"])
    assert cred.kwargs["managed_identity_client_id"] == "mi-client"
    assert cred.kwargs["workload_identity_client_id"] == "mi-client"
    assert cred.kwargs["workload_identity_tenant_id"] == "t"


def test_real_default_azure_credential_builds_offline(monkeypatch):
    """The real DefaultAzureCredential accepts the options as given (nothing is sent until a token is asked)."""
    cred = _azure.make_credential(dict(BASE, authority_host="https://127.0.0.1:9", ca_path="/nonexistent/ca.pem"))
    assert type(cred).__name__ == "DefaultAzureCredential"


@pytest.mark.parametrize("module, option, service", [(azure_storage_container, "blob_endpoint", "blob"),
                                                     (azure_storage_queue, "queue_endpoint", "queue")])
def test_data_plane_key_or_entra_id(run_module, monkeypatch, credentials, module, option, service):
    built = []

    def fake_service_client(kind, endpoint, credential, params):
        built.append((kind, endpoint, credential))
        raise RuntimeError("stop here")

    monkeypatch.setattr(_azure, "service_client", fake_service_client)
    args = {"account_name": "wandbfiles", option: "https://wandbfiles.%s.core.windows.net" % service, "name": "abc"}
    with pytest.raises(RuntimeError):
        run_module(module, dict(args, account_key=KEY))
    assert built[-1] == (service, args[option], {"account_name": "wandbfiles", "account_key": KEY})
    with pytest.raises(RuntimeError):
        run_module(module, dict(args, client_id="mi"))
    assert isinstance(built[-1][2], credentials["DefaultAzureCredential"])


def test_service_clients_use_the_bounded_jittered_retry():
    blob = _azure.service_client("blob", "https://a.blob.core.windows.net", {"account_name": "a", "account_key": KEY},
                                 dict(BASE, timeout=7, ca_path="/ca.pem"))
    retry = blob._pipeline._impl_policies[[type(p).__name__ for p in blob._pipeline._impl_policies].index(
        "LinearRetry")]  # pylint: disable=protected-access
    assert (retry.total_retries, retry.backoff, retry.random_jitter_range) == (
        _azure.DATA_RETRIES, _azure.DATA_BACKOFF, _azure.DATA_JITTER)
    transport = blob._pipeline._transport  # pylint: disable=protected-access
    assert (transport.connection_config.verify, transport.connection_config.timeout,
            transport.connection_config.read_timeout) == ("/ca.pem", 7, 7)


def test_tls_problem_names_ca_path():
    assert "module option ca_path" in _azure.tls_problem(Exception("[SSL: CERTIFICATE_VERIFY_FAILED] verify failed"))
    assert _azure.tls_problem(Exception("connection refused")) is None


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
