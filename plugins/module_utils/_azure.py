# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared Azure client code for the wandb_local.server azure_* modules.

Two planes, one file:

* Management plane (Azure Resource Manager). The storage account and its keys go through
  ``azure-mgmt-storage`` (``StorageManagementClient``, api-version pinned to ``STORAGE_API_VERSION``);
  the Event Grid subscription goes through azure-core's ARM pipeline with plain REST
  (``Microsoft.EventGrid/eventSubscriptions``, api-version ``EVENTGRID_API_VERSION``), so no Event Grid
  SDK is needed. Credentials: a client secret (OAuth2 client-credentials grant against the Microsoft
  identity platform, done here over ``requests`` so ``azure-identity`` is not needed) or a ready access
  token. ``arm_endpoint``/``authority_host`` point both at a local fake in tests; plain ``http://`` is only
  accepted for loopback hosts (bearer tokens never travel unencrypted elsewhere).
* Data plane (Blob and Queue services). Container, queue and blob CORS are set with the storage REST API
  and Shared Key authorization, signed here (``SharedKeyClient``). The same requests work against Azure
  and against Azurite, which has no management plane. The W&B server itself authenticates with the
  account key (``AZURE_STORAGE_KEY``), so Shared Key access is a prerequisite anyway.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import re
import time
import traceback
import xml.etree.ElementTree as ET
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlparse

from ansible.module_utils.basic import env_fallback, missing_required_lib

from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    azure_account_name_problems,
    azure_container_name_problems,
    azure_event_subscription_name_problems,
    azure_resource_group_problems,
    azure_subscription_id_problems,
    normalize_origin,
)

REQUESTS_IMPORT_ERROR = None
try:
    import requests
except ImportError:  # pragma: no cover - exercised only without requests
    requests = None
    REQUESTS_IMPORT_ERROR = traceback.format_exc()

AZURE_IMPORT_ERROR = None
try:
    from azure.core.credentials import AccessToken
    from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError  # pylint: disable=unused-import
    from azure.core.pipeline import policies as azure_policies
    from azure.core.rest import HttpRequest
    from azure.mgmt.core import ARMPipelineClient
    from azure.mgmt.core.policies import ARMAutoResourceProviderRegistrationPolicy
    from azure.mgmt.storage import StorageManagementClient
except ImportError:  # pragma: no cover - exercised only without the SDK
    AZURE_IMPORT_ERROR = traceback.format_exc()
    AccessToken = None
    azure_policies = None

    class AzureError(Exception):  # type: ignore[no-redef]
        pass

    class HttpResponseError(AzureError):  # type: ignore[no-redef]
        pass

    class ResourceNotFoundError(HttpResponseError):  # type: ignore[no-redef]
        pass

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
# Pinned api-versions: the local fake validates requests against the published descriptions of these.
STORAGE_API_VERSION = "2023-05-01"
EVENTGRID_API_VERSION = "2022-06-15"
# x-ms-version of the Blob/Queue data plane (Shared Key, CORS, container ACL).
DATA_API_VERSION = "2021-12-02"

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")

# --------------------------------------------------------------------------------------------------
# Module options
# --------------------------------------------------------------------------------------------------


def arm_argument_spec():
    """Options shared by the modules that talk to Azure Resource Manager."""
    return dict(
        subscription_id=dict(type="str", required=True, fallback=(env_fallback, ["AZURE_SUBSCRIPTION_ID"])),
        tenant_id=dict(type="str", fallback=(env_fallback, ["AZURE_TENANT_ID"])),
        client_id=dict(type="str", fallback=(env_fallback, ["AZURE_CLIENT_ID"])),
        client_secret=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_CLIENT_SECRET"])),
        access_token=dict(type="str", no_log=True, fallback=(env_fallback, ["AZURE_ACCESS_TOKEN"])),
        arm_endpoint=dict(type="str", default=DEFAULT_ARM_ENDPOINT),
        authority_host=dict(type="str", default=DEFAULT_AUTHORITY_HOST),
        timeout=dict(type="int", default=60),
    )


def data_argument_spec(service):
    """Options shared by the modules that talk to the Blob or Queue service with Shared Key."""
    return dict(
        account_name=dict(type="str", required=True),
        account_key=dict(type="str", required=True, no_log=True),
        timeout=dict(type="int", default=60),
        **{"%s_endpoint" % service: dict(type="str")}
    )


def named_data_argument_spec(service):
    """data_argument_spec(service) plus the name and state of the one container or queue a module manages."""
    spec = data_argument_spec(service)
    spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    return spec


def require_libs(module, arm=False):
    """fail_json with Ansible's standard message when a needed Python library is missing."""
    if REQUESTS_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMPORT_ERROR)
    if arm and AZURE_IMPORT_ERROR:
        module.fail_json(msg=missing_required_lib("azure-mgmt-storage (with azure-core)"),
                         exception=AZURE_IMPORT_ERROR)


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


def validate_endpoint(value, option, allow_http=True):
    """An endpoint URL: https, or http for loopback (or anywhere when allow_http)."""
    parsed = urlparse(value or "")
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        return "%s must be an http(s) URL, got %r" % (option, value)
    if parsed.scheme == "http" and not allow_http and parsed.hostname not in LOOPBACK_HOSTS:
        return ("%s %r: plain http is only accepted for a loopback emulator/fake; use https" % (option, value))
    return None


def first_error(*errors):
    for error in errors:
        if error:
            return error
    return None


# --------------------------------------------------------------------------------------------------
# Credentials for Azure Resource Manager
# --------------------------------------------------------------------------------------------------


class AzureAuthError(Exception):
    pass


class StaticTokenCredential(object):
    """A TokenCredential over an access token the user already has (e.g. `az account get-access-token`)."""

    def __init__(self, token):
        self._token = token

    def get_token(self, *scopes, **kwargs):
        return AccessToken(self._token, int(time.time()) + 3000)


class ClientSecretCredential(object):
    """OAuth2 client-credentials grant (Microsoft identity platform v2.0 token endpoint)."""

    def __init__(self, authority_host, tenant_id, client_id, client_secret, timeout=60):
        self._url = "%s/%s/oauth2/v2.0/token" % (authority_host.rstrip("/"), quote(tenant_id, safe=""))
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout
        self._cache = {}

    def get_token(self, *scopes, **kwargs):
        scope = " ".join(scopes)
        cached = self._cache.get(scope)
        if cached and cached.expires_on - 300 > time.time():
            return cached
        try:
            resp = requests.post(self._url, timeout=self._timeout, data={
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret,
                "scope": scope,
            })
        except requests.RequestException as exc:
            raise AzureAuthError("cannot reach the token endpoint %s: %s" % (self._url, exc))
        try:
            payload = resp.json()
        except ValueError:
            payload = {}
        if resp.status_code != 200 or "access_token" not in payload:
            raise AzureAuthError("token request to %s failed (HTTP %s): %s. Check tenant_id, client_id and "
                                 "client_secret." % (self._url, resp.status_code,
                                                     payload.get("error_description") or payload.get("error")
                                                     or "no error description"))
        token = AccessToken(payload["access_token"], int(time.time()) + int(payload.get("expires_in", 3600)))
        self._cache[scope] = token
        return token


def make_credential(params):
    """Build a credential from the module's auth options; raise AzureAuthError naming what is missing."""
    if params.get("access_token"):
        return StaticTokenCredential(params["access_token"])
    missing = [name for name in ("tenant_id", "client_id", "client_secret") if not params.get(name)]
    if missing:
        raise AzureAuthError("no Azure credentials: set storage_azure_access_token, or storage_azure_tenant_id + "
                             "storage_azure_client_id + storage_azure_client_secret (module options access_token, "
                             "or tenant_id + client_id + client_secret; missing: %s; environment "
                             "AZURE_TENANT_ID/AZURE_CLIENT_ID/AZURE_CLIENT_SECRET also work)" % ", ".join(missing))
    return ClientSecretCredential(params["authority_host"], params["tenant_id"], params["client_id"],
                                  params["client_secret"], timeout=params.get("timeout") or 60)


def arm_scope(arm_endpoint):
    parsed = urlparse(arm_endpoint)
    return "%s://%s/.default" % (parsed.scheme, parsed.netloc)


def _auth_policy(credential, arm_endpoint):
    """Bearer token policy; lets a loopback http fake through (azure-core refuses http by default)."""
    loopback_http = urlparse(arm_endpoint).scheme == "http" and urlparse(arm_endpoint).hostname in LOOPBACK_HOSTS

    class _Policy(azure_policies.BearerTokenCredentialPolicy):
        def on_request(self, request):
            if loopback_http and urlparse(request.http_request.url).hostname in LOOPBACK_HOSTS:
                request.context.options["enforce_https"] = False
            return super(_Policy, self).on_request(request)

    return _Policy(credential, arm_scope(arm_endpoint))


def check_arm_params(params):
    """Validate the ARM options shared by every ARM module; return an error message or None."""
    return first_error(
        validate_subscription_id(params.get("subscription_id")),
        validate_endpoint(params.get("arm_endpoint"), "arm_endpoint", allow_http=False),
        validate_endpoint(params.get("authority_host"), "authority_host", allow_http=False),
    )


def storage_management_client(params):
    """StorageManagementClient for the module's options (api-version pinned to STORAGE_API_VERSION)."""
    credential = make_credential(params)
    return StorageManagementClient(
        credential, params["subscription_id"], base_url=params["arm_endpoint"].rstrip("/"),
        api_version=STORAGE_API_VERSION, authentication_policy=_auth_policy(credential, params["arm_endpoint"]),
        retry_total=3, connection_timeout=params.get("timeout") or 60, read_timeout=params.get("timeout") or 60,
        polling_interval=2,
    )


class ArmRestClient(object):
    """Plain ARM REST calls through azure-core's pipeline (auth, retries, resource-provider registration)."""

    def __init__(self, params):
        credential = make_credential(params)
        self.base_url = params["arm_endpoint"].rstrip("/")
        self.timeout = params.get("timeout") or 60
        self._client = ARMPipelineClient(self.base_url, policies=[
            azure_policies.HeadersPolicy(),
            azure_policies.UserAgentPolicy("wandb_local.server"),
            ARMAutoResourceProviderRegistrationPolicy(),
            azure_policies.RetryPolicy(retry_total=3),
            _auth_policy(credential, params["arm_endpoint"]),
        ])

    def call(self, method, path, api_version, body=None):
        """Send one request; return (status, parsed JSON or None). Raises AzureError on transport faults."""
        request = HttpRequest(method, self.base_url + path, params={"api-version": api_version},
                              json=body if body is not None else None)
        response = self._client.send_request(request, connection_timeout=self.timeout, read_timeout=self.timeout)
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
# Data plane: Shared Key signer and a small Blob/Queue REST client
# --------------------------------------------------------------------------------------------------


class StorageError(Exception):
    def __init__(self, status, code, message):
        super(StorageError, self).__init__("HTTP %s %s: %s" % (status, code, message))
        self.status = status
        self.code = code


def default_endpoint(account_name, service):
    return "https://%s.%s.core.windows.net" % (account_name, service)


def data_client(module, service, name_error=None, extra_errors=()):
    """SharedKeyClient for a Blob/Queue module's options (``data_argument_spec(service)``).

    Fails (fail_json, before any request) with the first problem: account name, the module's ``name`` option
    (when ``name_error`` validates it), account key, endpoint, then the module's own ``extra_errors``.
    """
    p = module.params
    option = "%s_endpoint" % service
    endpoint = p[option] or default_endpoint(p["account_name"] or "", service)
    error = first_error(
        validate_account_name(p["account_name"]),
        name_error(p["name"]) if name_error else None,
        validate_account_key(p["account_key"]),
        validate_endpoint(endpoint, option),
        *extra_errors
    )
    if error:
        module.fail_json(msg=error)
    require_libs(module)
    return SharedKeyClient(p["account_name"], p["account_key"], endpoint, timeout=p["timeout"])


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
            "account_key and %s_endpoint)." % (what, client.endpoint, exc, service, service))


def shared_key_signature(account_name, account_key, method, url, headers):
    """Authorization header value for the Blob/Queue services (Shared Key, version 2009-09-19 and later).

    String-to-sign: verb, the standard headers in their fixed order (Content-Length empty when 0), the
    canonicalized x-ms-* headers, then the canonicalized resource (/account + URL path, then each query
    parameter as lowercase name:value, sorted by name).
    """
    lower = dict((k.lower(), str(v)) for k, v in headers.items())
    length = lower.get("content-length", "")
    if length == "0":
        length = ""
    standard = [
        method.upper(),
        lower.get("content-encoding", ""),
        lower.get("content-language", ""),
        length,
        lower.get("content-md5", ""),
        lower.get("content-type", ""),
        "" if "x-ms-date" in lower else lower.get("date", ""),
        lower.get("if-modified-since", ""),
        lower.get("if-match", ""),
        lower.get("if-none-match", ""),
        lower.get("if-unmodified-since", ""),
        lower.get("range", ""),
    ]
    ms_headers = sorted((k, v) for k, v in lower.items() if k.startswith("x-ms-"))
    canonical_headers = "".join("%s:%s\n" % (k, re.sub(r"\s+", " ", v.strip())) for k, v in ms_headers)
    parsed = urlparse(url)
    resource = "/%s%s" % (account_name, unquote(parsed.path) or "/")
    query = {}
    for name, value in parse_qsl(parsed.query, keep_blank_values=True):
        query.setdefault(name.lower(), []).append(value)
    for name in sorted(query):
        resource += "\n%s:%s" % (name, ",".join(sorted(query[name])))
    string_to_sign = "\n".join(standard) + "\n" + canonical_headers + resource
    digest = hmac.new(base64.b64decode(account_key), string_to_sign.encode("utf-8"), hashlib.sha256).digest()
    return "SharedKey %s:%s" % (account_name, base64.b64encode(digest).decode("ascii"))


class SharedKeyClient(object):
    """Minimal REST client for one storage service endpoint (blob or queue) with Shared Key auth."""

    def __init__(self, account_name, account_key, endpoint, timeout=60):
        self.account_name = account_name
        self._key = account_key
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout

    def request(self, method, path, query=None, headers=None, body=None, ok=(200, 201, 202, 204)):
        """Signed request to endpoint + path; returns the response; raises StorageError unless in `ok`."""
        url = self.endpoint + path
        if query:
            url += "?" + urlencode(query)
        data = body.encode("utf-8") if isinstance(body, str) else body
        all_headers = {
            "x-ms-date": datetime.datetime.now(datetime.timezone.utc).strftime("%a, %d %b %Y %H:%M:%S GMT"),
            "x-ms-version": DATA_API_VERSION,
            "Content-Length": str(len(data or b"")),
        }
        if data:
            all_headers["Content-Type"] = "application/xml"
        all_headers.update(headers or {})
        all_headers["Authorization"] = shared_key_signature(self.account_name, self._key, method, url, all_headers)
        try:
            resp = requests.request(method, url, headers=all_headers, data=data, timeout=self.timeout)
        except requests.RequestException as exc:
            raise StorageError("-", "ConnectionError", "cannot reach %s: %s" % (self.endpoint, exc))
        if resp.status_code not in ok:
            code, message = resp.headers.get("x-ms-error-code", ""), resp.reason
            try:
                root = parse_xml(resp.content)
                code = root.findtext("Code") or code
                message = (root.findtext("Message") or message).splitlines()[0]
            except ET.ParseError:
                pass
            raise StorageError(resp.status_code, code, message)
        return resp


def parse_xml(content):
    if isinstance(content, bytes):
        content = content.decode("utf-8-sig")
    return ET.fromstring(content)


# Blob containers ----------------------------------------------------------------------------------


def get_container(client, name):
    """Return {'public_access': None|'blob'|'container'} or None when the container does not exist."""
    resp = client.request("GET", "/" + name, {"restype": "container"}, ok=(200, 404))
    if resp.status_code == 404:
        return None
    return {"public_access": resp.headers.get("x-ms-blob-public-access") or None}


def create_container(client, name):
    """Create a private container (no x-ms-blob-public-access header)."""
    client.request("PUT", "/" + name, {"restype": "container"}, ok=(201, 409))


def make_container_private(client, name):
    """Set Container ACL without the public-access header, keeping the stored access policies."""
    acl = client.request("GET", "/" + name, {"restype": "container", "comp": "acl"}).content
    body = acl.decode("utf-8-sig") if acl else "<?xml version=\"1.0\" encoding=\"utf-8\"?><SignedIdentifiers />"
    client.request("PUT", "/" + name, {"restype": "container", "comp": "acl"}, body=body)


def delete_container(client, name):
    client.request("DELETE", "/" + name, {"restype": "container"}, ok=(202, 404))


# Queues --------------------------------------------------------------------------------------------


def queue_exists(client, name):
    resp = client.request("GET", "/" + name, {"comp": "metadata"}, ok=(200, 404))
    return resp.status_code == 200


def create_queue(client, name):
    client.request("PUT", "/" + name, ok=(201, 204))


def delete_queue(client, name):
    client.request("DELETE", "/" + name, ok=(204, 404))


# Blob service CORS ---------------------------------------------------------------------------------

_CORS_FIELDS = (("AllowedOrigins", "origins"), ("AllowedMethods", "methods"),
                ("AllowedHeaders", "allowed_headers"), ("ExposedHeaders", "exposed_headers"))


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
    root = parse_xml(client.request("GET", "/", {"restype": "service", "comp": "properties"}).content)
    rules = []
    for node in root.findall("./Cors/CorsRule"):
        rule = {}
        for xml_name, key in _CORS_FIELDS:
            rule[key] = (node.findtext(xml_name) or "").split(",")
        rule["max_age"] = node.findtext("MaxAgeInSeconds") or 0
        rules.append(normalize_cors_rule(rule))
    return rules


def set_blob_cors(client, rules):
    """Replace the blob service's CORS rules; other service properties are left as they are."""
    root = ET.Element("StorageServiceProperties")
    cors = ET.SubElement(root, "Cors")
    for rule in rules:
        node = ET.SubElement(cors, "CorsRule")
        for xml_name, key in _CORS_FIELDS[:2]:
            ET.SubElement(node, xml_name).text = ",".join(rule[key])
        ET.SubElement(node, "MaxAgeInSeconds").text = str(rule["max_age"])
        ET.SubElement(node, "ExposedHeaders").text = ",".join(rule["exposed_headers"])
        ET.SubElement(node, "AllowedHeaders").text = ",".join(rule["allowed_headers"])
    body = "<?xml version=\"1.0\" encoding=\"utf-8\"?>" + ET.tostring(root, encoding="unicode")
    client.request("PUT", "/", {"restype": "service", "comp": "properties"}, body=body)


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
