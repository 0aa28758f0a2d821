# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one client for a W&B server's HTTP interfaces.

What it speaks, and where that was learned (all public):

* ``GET /ready`` answers 200 when the server can take traffic (the readiness and startup probe of W&B's own
  Helm chart ``wandb/helm-charts`` charts/wandb and Terraform ``wandb/server`` legacy/terraform/aws/kube/kube.tf).
* ``POST /graphql`` with ``Authorization: Basic base64("api:<key>")`` and a JSON body ``{"query", "variables"}``
  (the documented way of the wandb SDK; ``wandb login`` verifies a key with the ``viewer`` query and a key is
  valid only when ``viewer`` is not null: wandb/wandb core/api/graphql/query_viewer.graphql,
  core/internal/wbapi/authhandler.go).
* ``serverInfo { cliVersionInfo latestLocalVersionInfo { ... } }`` (wandb/wandb wandb/sdk/lib/server.py).

There is no public description of the HTTP contract behind the ``/system-admin`` page, so this client has no
method that writes instance settings; settings go through the server's environment (see the ``settings``
module). If such a contract becomes known, its methods belong in ``WandbApi`` and nowhere else.

Transient failures (connection refused/reset, timeouts, HTTP 5xx, 429) are retried with exponential backoff
bounded by ``retries`` and a total ``deadline`` in seconds; 401 and 403 raise ``WandbAuthError`` at once.
TLS certificates are verified unless ``validate_certs=False``; ``ca_path`` names a CA bundle for private CAs.
"""
from __future__ import annotations

import base64
import json
import socket
import time
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import open_url

VIEWER_QUERY = """query Viewer {
  viewer { id entity username email admin flags teams { edges { node { name } } } }
}"""

# A smaller query for servers whose schema lacks some viewer fields.
VIEWER_QUERY_MIN = "query Viewer { viewer { id username email } }"

SERVER_INFO_QUERY = """query ServerInfo {
  serverInfo { cliVersionInfo latestLocalVersionInfo { outOfDate latestVersionString versionOnThisInstanceString } }
}"""


# --------------------------------------------------------------------------------------------------
# Module options (documented by the doc fragment wandb_local.server._wandb_api; the container options are
# container_argument_spec() in _wandb_container.py)
# --------------------------------------------------------------------------------------------------


def server_api_argument_spec(**extra):
    """Options of the modules that reach the server through WandbApi, merged with the module's own options."""
    spec = dict(
        base_url=dict(type="str", default="http://127.0.0.1:8080"),
        api_key=dict(type="str", no_log=True),
        api_key_file=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
        ca_path=dict(type="path"),
        timeout=dict(type="float", default=10),
        retries=dict(type="int", default=5),
    )
    spec.update(extra)
    return spec


def read_api_key(module):
    """The admin API key of a module with server_api_argument_spec(): O(api_key), else the content of O(api_key_file).

    None when neither is given. fail_json when the file cannot be read or is empty. A key read from the file is
    added to the module's no_log values.
    """
    key = module.params["api_key"]
    path = module.params["api_key_file"]
    if key or not path:
        return key or None
    try:
        with open(path, "r", encoding="utf-8") as handle:
            key = handle.read().strip()
    except (IOError, OSError) as exc:
        module.fail_json(msg="cannot read api_key_file %s: %s" % (path, exc))
    if not key:
        module.fail_json(msg="api_key_file %s is empty" % path)
    module.no_log_values.add(key)
    return key


def api_from_params(params, api_key):
    """WandbApi for the options of server_api_argument_spec(); raises WandbApiError for a bad base_url."""
    return WandbApi(params["base_url"], api_key=api_key, validate_certs=params["validate_certs"],
                    ca_path=params["ca_path"], timeout=params["timeout"], retries=params["retries"],
                    deadline=max(params["timeout"] * (params["retries"] + 1), 30))


class WandbApiError(Exception):
    """A request that failed for good (after retries, or not retryable)."""

    def __init__(self, msg, status=None, body=None, graphql_errors=False):
        super(WandbApiError, self).__init__(msg)
        self.status = status
        self.body = body
        self.graphql_errors = graphql_errors


class WandbAuthError(WandbApiError):
    """HTTP 401/403, or a key the server does not accept (viewer is null). Never retried."""


def _retryable_status(status):
    return status is not None and (status >= 500 or status == 429)


class WandbApi(object):
    """Client for one W&B server at ``base_url`` (e.g. ``http://127.0.0.1:8080``)."""

    def __init__(self, base_url, api_key=None, validate_certs=True, ca_path=None, timeout=10.0,
                 retries=5, backoff=0.5, max_backoff=8.0, deadline=60.0, sleep=time.sleep, clock=time.monotonic):
        if not base_url or not (base_url.startswith("http://") or base_url.startswith("https://")):
            raise WandbApiError("base_url must be an http:// or https:// URL, got %r" % (base_url,))
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.deadline = float(deadline)
        self._sleep = sleep
        self._clock = clock
        self.attempts = 0

    # -- transport -------------------------------------------------------------------------------------
    def _headers(self, auth):
        headers = {"Accept": "application/json"}
        if auth:
            if not self.api_key:
                raise WandbApiError("an API key is needed for this request; set api_key")
            token = base64.b64encode(("api:%s" % self.api_key).encode("utf-8")).decode("ascii")
            headers["Authorization"] = "Basic %s" % token
        return headers

    def _once(self, method, path, body, auth):
        headers = self._headers(auth)
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        self.attempts += 1
        resp = open_url(self.base_url + path, data=data, headers=headers, method=method,
                        validate_certs=self.validate_certs, ca_path=self.ca_path, timeout=self.timeout,
                        follow_redirects="none", force_basic_auth=False, use_proxy=True)
        return resp.getcode(), resp.read()

    def request(self, method, path, body=None, auth=True, retry=True):
        """(status, raw body) of a request; retries transient failures within the bounds; raises on failure."""
        start = self._clock()
        delay = self.backoff
        attempt = 0
        while True:
            attempt += 1
            error = None
            status = None
            try:
                return self._once(method, path, body, auth)
            except HTTPError as exc:
                status = exc.code
                try:
                    payload = exc.read()
                except Exception:  # pylint: disable=broad-except
                    payload = b""
                if status in (401, 403):
                    raise WandbAuthError(
                        "%s %s%s was refused with HTTP %d: the API key is wrong or has no admin rights "
                        "(check api_key / the admin key file; the server needs GLOBAL_ADMIN_API_KEY and "
                        "GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS=true)" % (method, self.base_url, path, status),
                        status=status, body=payload)
                if not _retryable_status(status):
                    raise WandbApiError("%s %s%s failed with HTTP %d: %s" % (
                        method, self.base_url, path, status, payload[:300].decode("utf-8", "replace")),
                        status=status, body=payload)
                error = "HTTP %d" % status
            except (URLError, socket.timeout, socket.error, ConnectionError) as exc:
                reason = getattr(exc, "reason", exc)
                if "CERTIFICATE_VERIFY_FAILED" in str(reason) or "certificate verify failed" in str(reason):
                    raise WandbApiError(
                        "TLS certificate of %s could not be verified (%s); give ca_path or, only for tests, "
                        "validate_certs: false" % (self.base_url, reason))
                error = str(reason)
            if not retry or attempt > self.retries or self._clock() - start + delay > self.deadline:
                raise WandbApiError("%s %s%s failed after %d attempt(s) in %.1fs: %s" % (
                    method, self.base_url, path, attempt, self._clock() - start, error), status=status)
            self._sleep(delay)
            delay = min(delay * 2, self.max_backoff)

    # -- endpoints -------------------------------------------------------------------------------------
    def ready(self):
        """True when ``GET /ready`` answers 2xx now (one attempt, no retries)."""
        try:
            status, _body = self.request("GET", "/ready", auth=False, retry=False)
        except WandbApiError:
            return False
        return 200 <= status < 300

    def wait_ready(self, timeout, interval=2.0):
        """Poll ``/ready`` until it answers 2xx or ``timeout`` seconds pass; returns the seconds waited."""
        start = self._clock()
        while True:
            if self.ready():
                return self._clock() - start
            if self._clock() - start + interval > timeout:
                raise WandbApiError("%s/ready did not answer 200 within %ss" % (self.base_url, timeout))
            self._sleep(interval)

    def graphql(self, query, variables=None):
        """``data`` of a GraphQL query; raises on transport errors and on a response with only ``errors``."""
        status, raw = self.request("POST", "/graphql", body={"query": query, "variables": variables or {}})
        try:
            doc = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise WandbApiError("POST %s/graphql answered HTTP %d with a body that is not JSON" % (
                self.base_url, status), status=status, body=raw)
        if not isinstance(doc, dict):
            raise WandbApiError("POST %s/graphql answered an unexpected document" % self.base_url, status=status)
        errors = doc.get("errors") or []
        if errors and not doc.get("data"):
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            raise WandbApiError("GraphQL error from %s: %s" % (self.base_url, messages), status=status,
                                graphql_errors=True)
        return doc.get("data") or {}

    def viewer(self):
        """The ``viewer`` of the API key; raises ``WandbAuthError`` when the server does not accept the key."""
        try:
            data = self.graphql(VIEWER_QUERY)
        except WandbAuthError:
            raise
        except WandbApiError as exc:
            # A schema without some of the fields answers with GraphQL errors (HTTP 200 or 4xx): ask for less.
            if not (exc.graphql_errors or (exc.status is not None and 400 <= exc.status < 500)):
                raise
            data = self.graphql(VIEWER_QUERY_MIN)
        viewer = data.get("viewer")
        if not viewer:
            raise WandbAuthError("%s does not accept the API key: the GraphQL viewer is null "
                                 "(a wrong key, or a key of a deleted user)" % self.base_url)
        return viewer

    def server_info(self):
        """``serverInfo`` (may be absent on some servers: then ``{}``)."""
        try:
            return self.graphql(SERVER_INFO_QUERY).get("serverInfo") or {}
        except WandbAuthError:
            raise
        except WandbApiError as exc:
            if exc.status is not None and exc.status >= 500:
                raise
            return {}
