# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared Azure client code for the wandb_local.server azure_* modules: Microsoft's SDKs, set up once.

* Credentials (``credential()``), through ``azure-identity``: a given ``access_token`` (a static TokenCredential),
  else ``tenant_id`` + ``client_id`` + ``client_secret`` (``ClientSecretCredential``), else
  ``DefaultAzureCredential`` (environment, workload identity, managed identity, Azure CLI, ...). ``authority_host``
  is the Microsoft identity platform they ask (https only, as azure-identity requires).
* Management plane (Azure Resource Manager). The storage account and its keys go through ``azure-mgmt-storage``
  (``StorageManagementClient``, api-version pinned to ``STORAGE_API_VERSION``). The Event Grid subscription goes
  through azure-core's ARM pipeline with plain REST (``Microsoft.EventGrid/eventSubscriptions``, api-version
  ``EVENTGRID_API_VERSION``): three calls on one resource type do not justify the azure-mgmt-eventgrid package.
  Plain ``http://`` is accepted only for a loopback ``arm_endpoint`` (bearer tokens never travel unencrypted
  elsewhere).
* Data plane (Blob and Queue services) through ``azure-storage-blob`` / ``azure-storage-queue``
  (``BlobServiceClient`` / ``QueueServiceClient``) with the account key, or without one with the Entra ID
  credential above. The same calls work against Azure and against Azurite. The endpoints refuse ``http://`` except
  to loopback (127.0.0.0/8, ::1, localhost): an account key or token is never sent unencrypted over a network.
* ``ca_path`` (every module): a CA bundle that verifies the endpoints' TLS certificates (a TLS-inspecting proxy,
  a private cloud, a local fake); without it the system's (or REQUESTS_CA_BUNDLE's) CAs.

Retries are the SDKs' own (azure-core's exponential backoff for ARM and the identity platform, the storage SDK's
linear backoff with jitter for Blob/Queue); nothing here retries on top of them.
"""
from __future__ import annotations

import base64
import ipaddress
import time
import traceback
from urllib.parse import urlparse

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    azure_account_name_problems,
    azure_container_name_problems,
    azure_event_subscription_name_problems,
    azure_resource_group_problems,
    azure_subscription_id_problems,
    normalize_origin,
)

AZURE_IMPORT_ERROR = None
try:
    from azure.core.credentials import AccessToken, AccessTokenInfo
    from azure.core.exceptions import (  # pylint: disable=unused-import
        AzureError,
        ClientAuthenticationError,
        HttpResponseError,
        ResourceExistsError,
        ResourceNotFoundError,
    )
    from azure.core.pipeline import policies as azure_policies
    from azure.core.pipeline.transport import RequestsTransport
    from azure.core.rest import HttpRequest
    from azure.identity import ClientSecretCredential, DefaultAzureCredential
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import ARMAutoResourceProviderRegistrationPolicy
    from azure.mgmt.storage import StorageManagementClient
except ImportError:  # pragma: no cover - exercised only without the SDK
    AZURE_IMPORT_ERROR = traceback.format_exc()
    AccessToken = AccessTokenInfo = azure_policies = None

    class AzureError(Exception):  # type: ignore[no-redef]
        pass

    class HttpResponseError(AzureError):  # type: ignore[no-redef]
        pass

    class ClientAuthenticationError(HttpResponseError):  # type: ignore[no-redef]
        pass

    class ResourceNotFoundError(HttpResponseError):  # type: ignore[no-redef]
        pass

    class ResourceExistsError(HttpResponseError):  # type: ignore[no-redef]
        pass

STORAGE_IMPORT_ERROR = None
try:
    from azure.storage.blob import BlobServiceClient, CorsRule
    from azure.storage.blob import LinearRetry as BlobLinearRetry
    from azure.storage.queue import LinearRetry as QueueLinearRetry
    from azure.storage.queue import QueueServiceClient
except ImportError:  # pragma: no cover - exercised only without the SDK
    STORAGE_IMPORT_ERROR = traceback.format_exc()

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
# Identity platform hosts MSAL knows (the public, China and US Government clouds). For any other authority_host
# (Azure Stack, a local fake) MSAL's instance discovery, which asks login.microsoftonline.com whether the host is
# one of Microsoft's, is turned off: the user named that host on purpose.
KNOWN_AUTHORITY_HOSTS = ("login.microsoftonline.com", "login.chinacloudapi.cn", "login.microsoftonline.us")
# Token audience of the Blob and Queue services (Entra ID auth on the data plane).
STORAGE_SCOPE = "https://storage.azure.com/.default"
# Pinned api-versions: the local fake validates requests against the published descriptions of these.
STORAGE_API_VERSION = "2023-05-01"
EVENTGRID_API_VERSION = "2022-06-15"
# Retries of the SDKs (see the module docstring): ARM and the identity platform, azure-core's RetryPolicy with
# this many retries; Blob/Queue, the storage SDK's LinearRetry: DATA_RETRIES retries DATA_BACKOFF +/- DATA_JITTER
# seconds apart, so an unreachable endpoint fails within about DATA_RETRIES * (timeout + DATA_BACKOFF + DATA_JITTER).
ARM_RETRIES = 3
DATA_RETRIES = 2
DATA_BACKOFF = 2
DATA_JITTER = 1

# Where a user sets each module option in the storage role's inventory (messages name both).
SETTINGS = {
    "account_name": "storage_azure_account",
    "account_key": None,  # the role reads the key from ARM (listKeys)
    "blob_endpoint": "storage_azure_blob_endpoint",
    "queue_endpoint": "storage_azure_queue_endpoint",
    "arm_endpoint": "storage_azure_arm_endpoint",
    "authority_host": "storage_azure_authority_host",
    "access_token": "storage_azure_access_token",
    "tenant_id": "storage_azure_tenant_id",
    "client_id": "storage_azure_client_id",
    "client_secret": "storage_azure_client_secret",
    # ca_path has no inventory variable: a role run trusts the controller's CAs (or REQUESTS_CA_BUNDLE), or sets it
    # with module_defaults for group/wandb_local.server.azure.
    "ca_path": None,
}


def setting(option):
    """'storage_azure_blob_endpoint (module option blob_endpoint)': what a user sets, then the module option."""
    variable = SETTINGS.get(option)
    return "%s (module option %s)" % (variable, option) if variable else "module option %s" % option


# --------------------------------------------------------------------------------------------------
# Module options
# --------------------------------------------------------------------------------------------------


def common_argument_spec():
    """Options of every azure_* module: Entra ID credentials, the identity platform, TLS trust, timeout."""
    return dict(
        tenant_id=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT_ID"])),
        client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
        client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_CLIENT_SECRET"])),
        access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_ACCESS_TOKEN"])),
        authority_host=dict(type="str", default=DEFAULT_AUTHORITY_HOST),
        ca_path=dict(type="path"),
        timeout=dict(type="int", default=60),
    )


def arm_argument_spec():
    """Options shared by the modules that talk to Azure Resource Manager."""
    spec = common_argument_spec()
    spec.update(
        subscription_id=dict(type="str", required=True, fallback=(env_fallback, ["AZURE_SUBSCRIPTION_ID"])),
        arm_endpoint=dict(type="str", default=DEFAULT_ARM_ENDPOINT),
    )
    return spec


def data_argument_spec(service):
    """Options shared by the modules that talk to the Blob or Queue service (account key or Entra ID)."""
    spec = common_argument_spec()
    spec.update({
        "account_name": dict(type="str", required=True),
        "account_key": dict(type="str", no_log=True),
        "%s_endpoint" % service: dict(type="str"),
    })
    return spec


def named_data_argument_spec(service):
    """data_argument_spec(service) plus the name and state of the one container or queue a module manages."""
    spec = data_argument_spec(service)
    spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    return spec


def require_libs(module, arm=False, data=False):
    """fail_json with Ansible's standard message when a needed Python library is missing."""
    if AZURE_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("azure-identity and azure-mgmt-storage (with azure-core)"),
                         exception=AZURE_IMPORT_ERROR)
    if data and STORAGE_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("azure-storage-blob and azure-storage-queue"),
                         exception=STORAGE_IMPORT_ERROR)


# --------------------------------------------------------------------------------------------------
# Name validation (Azure's documented naming rules; checked before any request is sent)
# --------------------------------------------------------------------------------------------------

# The rules live in _storage (NAME_RULES), shared with the roles' preflight (storage_name_problems filter).


def validate_subscription_id(value, option="subscription_id"):
    if not value or azure_subscription_id_problems(value):
        return ("%s must be an Azure subscription id (a GUID like 00000000-0000-0000-0000-000000000000), got %r"
                % (option, value))
    return None


def validate_resource_group(value, option="resource_group"):
    if not value or azure_resource_group_problems(value):
        return ("%s %r is not a valid resource group name: 1-90 letters, digits, '_', '-', '.', '(' or ')', "
                "not ending with '.'" % (option, value))
    return None


def validate_account_name(value, option="account_name"):
    if not value or azure_account_name_problems(value):
        return ("%s %r is not a valid storage account name: 3-24 characters, lowercase letters and digits only"
                % (option, value))
    return None


def _lowercase_name_error(value, option, kind):
    # Azure documents the same rules for blob container and queue names.
    if azure_container_name_problems(value):
        return ("%s %r is not a valid %s name: 3-63 characters, lowercase letters, digits and single hyphens, "
                "starting and ending with a letter or digit" % (option, value, kind))
    return None


def validate_container_name(value, option="name"):
    return _lowercase_name_error(value, option, "blob container")


def validate_queue_name(value, option="name"):
    return _lowercase_name_error(value, option, "storage queue")


def validate_event_subscription_name(value, option="name"):
    if not value or azure_event_subscription_name_problems(value):
        return ("%s %r is not a valid Event Grid subscription name: 3-64 letters, digits or hyphens"
                % (option, value))
    return None


def validate_account_key(value, option="account_key"):
    try:
        if value and base64.b64decode(value, validate=True):
            return None
    except (ValueError, TypeError):
        pass
    return "%s must be a storage account key (base64 text, as listed under Access keys)" % option


def is_loopback(host):
    """True for localhost and the loopback addresses (127.0.0.0/8, ::1)."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def validate_endpoint(value, option):
    """An endpoint URL: https, or plain http only to a loopback host (an emulator or fake on this machine).

    The message names the inventory variable and the module option (``setting(option)``)."""
    parsed = urlparse(value or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return "%s must be an https URL, got %r" % (setting(option), value)
    if parsed.scheme == "http" and not is_loopback(parsed.hostname):
        return ("%s %r: plain http is only accepted to a loopback host (127.0.0.0/8, ::1, localhost: an emulator "
                "or fake on this machine), as credentials would cross the network unencrypted; use https"
                % (setting(option), value))
    return None


def first_error(*errors):
    for error in errors:
        if error:
            return error
    return None


# --------------------------------------------------------------------------------------------------
# Credentials (azure-identity) and transport settings
# --------------------------------------------------------------------------------------------------


class AzureAuthError(Exception):
    pass


class StaticTokenCredential(object):
    """A TokenCredential over an access token the user already has (e.g. `az account get-access-token`)."""

    def __init__(self, token):
        self._token = token

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self._token, int(time.time()) + 3000)

    def get_token_info(self, *scopes, **kwargs):
        return AccessTokenInfo(self._token, int(time.time()) + 3000)


def transport_kwargs(params):
    """What every SDK client and credential here shares: timeouts of each request and the CA bundle."""
    timeout = params.get("timeout") or 60
    kwargs = dict(connection_timeout=timeout, read_timeout=timeout)
    if params.get("ca_path"):
        kwargs["connection_verify"] = params["ca_path"]
    return kwargs


CREDENTIAL_HELP = ("set %s, or %s + %s + %s; without them DefaultAzureCredential tries the AZURE_* environment, "
                   "workload identity, managed identity (%s picks a user-assigned one) and the Azure CLI (az login)"
                   % (setting("access_token"), setting("tenant_id"), setting("client_id"), setting("client_secret"),
                      setting("client_id")))


def make_credential(params):
    """The credential the module's options ask for (see the module docstring); raises AzureAuthError naming what
    to set when the client-secret options are incomplete. Nothing is sent until a token is needed."""
    if params.get("access_token"):
        return StaticTokenCredential(params["access_token"])
    authority = params.get("authority_host") or DEFAULT_AUTHORITY_HOST
    kwargs = dict(transport_kwargs(params), authority=authority, retry_total=ARM_RETRIES)
    if urlparse(authority).hostname not in KNOWN_AUTHORITY_HOSTS:
        kwargs["disable_instance_discovery"] = True
    if params.get("client_secret"):
        missing = [name for name in ("tenant_id", "client_id") if not params.get(name)]
        if missing:
            raise AzureAuthError("incomplete Azure credentials: a client secret needs its tenant and client id (%s); "
                                 "missing: %s. Or %s" % (", ".join(setting(name) for name in missing),
                                                         ", ".join(missing), CREDENTIAL_HELP))
        return ClientSecretCredential(params["tenant_id"], params["client_id"], params["client_secret"], **kwargs)
    return DefaultAzureCredential(managed_identity_client_id=params.get("client_id") or None,
                                  workload_identity_client_id=params.get("client_id") or None,
                                  workload_identity_tenant_id=params.get("tenant_id") or None, **kwargs)


def tls_problem(exc):
    """What to do when ``exc`` is a TLS certificate that could not be verified, else None."""
    if "CERTIFICATE_VERIFY_FAILED" not in str(exc):
        return None
    return ("the server's TLS certificate is not signed by a CA this controller trusts: give the CA bundle with %s "
            "(for a role run: module_defaults of group/wandb_local.server.azure, or REQUESTS_CA_BUNDLE)"
            % setting("ca_path"))


def auth_error_message(exc):
    """Message for a token that could not be had (or was refused): what happened, then what to set."""
    status = getattr(exc, "status_code", None)
    detail = (getattr(exc, "message", None) or str(exc)).strip()
    if detail.startswith("Authentication failed: "):
        detail = detail[len("Authentication failed: "):]
    return "Azure authentication failed%s: %s. To fix: %s." % (" (HTTP %s)" % status if status else "", detail,
                                                               tls_problem(exc) or CREDENTIAL_HELP)


def connection_error_message(where, exc):
    """Message for a request that got no answer from ``where`` (an endpoint URL)."""
    hint = tls_problem(exc)
    return "cannot talk to %s: %s%s" % (where, exc, ". To fix: %s." % hint if hint else "")


def arm_scope(arm_endpoint):
    parsed = urlparse(arm_endpoint)
    return "%s://%s/.default" % (parsed.scheme, parsed.netloc)


def _auth_policy(credential, arm_endpoint):
    """Bearer token policy; lets a loopback http fake through (azure-core refuses http by default)."""
    loopback_http = urlparse(arm_endpoint).scheme == "http" and is_loopback(urlparse(arm_endpoint).hostname)

    class _Policy(azure_policies.BearerTokenCredentialPolicy):
        def on_request(self, request):
            if loopback_http and is_loopback(urlparse(request.http_request.url).hostname):
                request.context.options["enforce_https"] = False
            return super(_Policy, self).on_request(request)

    return _Policy(credential, arm_scope(arm_endpoint))


def validate_authority_host(value):
    parsed = urlparse(value or "")
    if parsed.scheme != "https" or not parsed.netloc:
        return ("%s must be an https URL such as %s (azure-identity talks to the identity platform over TLS only), "
                "got %r" % (setting("authority_host"), DEFAULT_AUTHORITY_HOST, value))
    return None


def check_arm_params(params):
    """Validate the ARM options shared by every ARM module; return an error message or None."""
    return first_error(
        validate_subscription_id(params.get("subscription_id")),
        validate_endpoint(params.get("arm_endpoint"), "arm_endpoint"),
        None if params.get("access_token") else validate_authority_host(params.get("authority_host")),
    )


# --------------------------------------------------------------------------------------------------
# Management plane (Azure Resource Manager)
# --------------------------------------------------------------------------------------------------


def storage_management_client(params):
    """StorageManagementClient for the module's options (api-version pinned to STORAGE_API_VERSION)."""
    credential = make_credential(params)
    return StorageManagementClient(
        credential, params["subscription_id"], base_url=params["arm_endpoint"].rstrip("/"),
        api_version=STORAGE_API_VERSION, authentication_policy=_auth_policy(credential, params["arm_endpoint"]),
        retry_total=ARM_RETRIES, polling_interval=2, **transport_kwargs(params)
    )


class ArmRestClient(object):
    """Plain ARM REST calls through azure-core's pipeline (auth, retries, resource-provider registration)."""

    def __init__(self, params):
        credential = make_credential(params)
        self.base_url = params["arm_endpoint"].rstrip("/")
        self._client = ARMPipelineClient(self.base_url, policies=[
            azure_policies.HeadersPolicy(),
            azure_policies.UserAgentPolicy("wandb_local.server"),
            ARMAutoResourceProviderRegistrationPolicy(),
            azure_policies.RetryPolicy(retry_total=ARM_RETRIES),
            _auth_policy(credential, params["arm_endpoint"]),
        ], transport=RequestsTransport(**transport_kwargs(params)))

    def call(self, method, path, api_version, body=None):
        """Send one request; return (status, parsed JSON or None). Raises AzureError on transport faults."""
        request = HttpRequest(method, self.base_url + path, params={"api-version": api_version},
                              json=body if body is not None else None)
        response = self._client.send_request(request)
        try:
            payload = response.json() if response.content else None
        except ValueError:
            payload = None
        return response.status_code, payload


def arm_error_message(status, payload):
    error = (payload or {}).get("error") or {}
    return "HTTP %s %s: %s" % (status, error.get("code", ""), error.get("message", "no error message"))


def storage_account_id(subscription_id, resource_group, account_name):
    return ("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Storage/storageAccounts/%s"
            % (subscription_id, resource_group, account_name))


# --------------------------------------------------------------------------------------------------
# Data plane: Blob and Queue services through azure-storage-blob / azure-storage-queue
# --------------------------------------------------------------------------------------------------


class StorageError(Exception):
    """A Blob/Queue call failed: HTTP status ('-' without an answer), error code, first line of the message."""

    def __init__(self, status, code, message):
        super(StorageError, self).__init__("HTTP %s %s: %s" % (status, code, message))
        self.status = status
        self.code = code


def default_endpoint(account_name, service):
    return "https://%s.%s.core.windows.net" % (account_name, service)


class DataClient(object):
    """One Blob or Queue service endpoint: ``service`` is the SDK's BlobServiceClient or QueueServiceClient."""

    def __init__(self, endpoint, service):
        self.endpoint = endpoint.rstrip("/")
        self.service = service


def service_client(service, endpoint, credential, params):
    """The SDK's service client with this collection's bounded retry (LinearRetry with jitter) and transport."""
    retry_class, client_class = ((BlobLinearRetry, BlobServiceClient) if service == "blob"
                                 else (QueueLinearRetry, QueueServiceClient))
    retry = retry_class(backoff=DATA_BACKOFF, retry_total=DATA_RETRIES, random_jitter_range=DATA_JITTER)
    return client_class(endpoint, credential=credential, retry_policy=retry, **transport_kwargs(params))


def data_client(module, service, name_error=None, extra_errors=()):
    """DataClient for a Blob/Queue module's options (``data_argument_spec(service)``).

    Fails (fail_json, before any request) with the first problem: account name, the module's ``name`` option
    (when ``name_error`` validates it), account key, endpoint (https, or http to loopback only), then the module's
    own ``extra_errors``. With ``account_key`` the SDK signs requests with it (Shared Key); without, it uses the
    Entra ID credential of ``make_credential()`` (scope https://storage.azure.com/.default, https only).
    """
    p = module.params
    option = "%s_endpoint" % service
    endpoint = p[option] or default_endpoint(p["account_name"] or "", service)
    error = first_error(
        validate_account_name(p["account_name"]),
        name_error(p["name"]) if name_error else None,
        validate_account_key(p["account_key"]) if p["account_key"] is not None else None,
        validate_endpoint(endpoint, option),
        *extra_errors
    )
    if error:
        module.fail_json(msg=error)
    require_libs(module, data=True)
    try:
        if p["account_key"]:
            credential = {"account_name": p["account_name"], "account_key": p["account_key"]}
        else:
            credential = make_credential(p)
        return DataClient(endpoint, service_client(service, endpoint, credential, p))
    except AzureAuthError as exc:
        module.fail_json(msg=str(exc))
    except ValueError as exc:
        # The SDK refuses an Entra ID token over plain http (only an emulator on loopback gets this far).
        module.fail_json(msg="%s %s: %s; give account_key for an emulator on http, or use https"
                         % (setting(option), endpoint, exc))


def exit_named(module, client, key, changed, before, after):
    """exit_json of a module that manages one named container or queue: its state ``after`` under ``key``, its
    URL, and (with --diff) ``before``/``after``."""
    result = {"changed": changed, key: after, "url": "%s/%s" % (client.endpoint, module.params["name"])}
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


def data_error(what, client, exc, service):
    """Message for a failed Blob/Queue request, naming the options to check."""
    return ("%s at %s: %s. Check storage_azure_account and storage_azure_%s_endpoint (module options account_name, "
            "account_key and %s_endpoint), or without account_key the Entra ID credentials (%s)."
            % (what, client.endpoint, exc, service, service, CREDENTIAL_HELP))


class _StorageCall(object):
    """``with _StorageCall(client):`` turns the SDK's errors into StorageError (status, code, first line)."""

    def __init__(self, client):
        self.client = client

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None or not isinstance(exc, AzureError):
            return False
        if isinstance(exc, HttpResponseError) and exc.status_code:
            message = (exc.message or exc.reason or "").strip().splitlines() or [""]
            raise StorageError(exc.status_code, exc.error_code or "", message[0])
        raise StorageError("-", "ConnectionError", connection_error_message(self.client.endpoint, exc))


# Blob containers ----------------------------------------------------------------------------------


def get_container(client, name):
    """Return {'public_access': None|'blob'|'container'} or None when the container does not exist."""
    with _StorageCall(client):
        try:
            props = client.service.get_container_client(name).get_container_properties()
        except ResourceNotFoundError:
            return None
    return {"public_access": props.public_access or None}


def create_container(client, name):
    """Create a private container (no public access); one that appeared meanwhile is fine."""
    with _StorageCall(client):
        try:
            client.service.create_container(name)
        except ResourceExistsError:
            pass


def make_container_private(client, name):
    """Set the container ACL without public access, keeping its stored access policies."""
    with _StorageCall(client):
        container = client.service.get_container_client(name)
        acl = container.get_container_access_policy()
        identifiers = dict((si.id, si.access_policy) for si in acl.get("signed_identifiers") or [])
        container.set_container_access_policy(signed_identifiers=identifiers, public_access=None)


def delete_container(client, name):
    with _StorageCall(client):
        try:
            client.service.delete_container(name)
        except ResourceNotFoundError:
            pass


# Queues --------------------------------------------------------------------------------------------


def queue_exists(client, name):
    with _StorageCall(client):
        try:
            client.service.get_queue_client(name).get_queue_properties()
        except ResourceNotFoundError:
            return False
    return True


def create_queue(client, name):
    with _StorageCall(client):
        try:
            client.service.create_queue(name)
        except ResourceExistsError:
            pass


def delete_queue(client, name):
    with _StorageCall(client):
        try:
            client.service.delete_queue(name)
        except ResourceNotFoundError:
            pass


# Blob service CORS ---------------------------------------------------------------------------------

_CORS_FIELDS = (("allowed_origins", "origins"), ("allowed_methods", "methods"),
                ("allowed_headers", "allowed_headers"), ("exposed_headers", "exposed_headers"))


def normalize_cors_rule(rule):
    """Order-insensitive form of a rule dict (origins, methods, allowed_headers, exposed_headers, max_age)."""
    out = {}
    for dummy, key in _CORS_FIELDS:
        values = [v.strip() for v in (rule.get(key) or []) if v and v.strip()]
        if key == "methods":
            values = [v.upper() for v in values]
        out[key] = sorted(set(values))
    out["max_age"] = int(rule.get("max_age") or 0)
    return out


def get_blob_cors(client):
    """Read the blob service's CORS rules as a list of normalized rule dicts."""
    with _StorageCall(client):
        props = client.service.get_service_properties()
    rules = []
    for cors_rule in props.get("cors") or []:
        # The SDK gives each field as the service's comma-separated text.
        rule = dict((key, (getattr(cors_rule, attr, None) or "").split(",")) for attr, key in _CORS_FIELDS)
        rule["max_age"] = cors_rule.max_age_in_seconds or 0
        rules.append(normalize_cors_rule(rule))
    return rules


def set_blob_cors(client, rules):
    """Replace the blob service's CORS rules; other service properties are left as they are (not sent)."""
    cors = [CorsRule(rule["origins"], rule["methods"], allowed_headers=rule["allowed_headers"],
                     exposed_headers=rule["exposed_headers"], max_age_in_seconds=rule["max_age"]) for rule in rules]
    with _StorageCall(client):
        client.service.set_service_properties(cors=cors)


def cors_origin(origin):
    """(normalized origin, None) or (None, error message) for a CORS origin."""
    error = validate_cors_origin(origin)
    return (None, error) if error else (normalize_origin(origin), None)


def validate_cors_origin(origin):
    if origin == "*":
        return None
    parsed = urlparse(origin)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.path not in ("",) or parsed.query:
        return ("CORS origin %r must be '*' or scheme://host[:port] without a path (what a browser sends as "
                "Origin)" % origin)
    if len(origin) > 256:
        return "CORS origin %r is longer than Azure's limit of 256 characters" % origin
    return None
