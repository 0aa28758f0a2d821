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
bounded by ``retries`` and one deadline (``until``, by default ``deadline`` seconds from the call); each attempt
gets ``min(timeout, time left)`` seconds, so a server that accepts connections and never answers cannot hold a
call past its deadline. 401 and 403 raise ``WandbAuthError`` at once. ``wait_ready`` waits for ``/ready`` with
one deadline (``_wait.wait_until``); its error says how long it waited and what the last probe saw.
TLS certificates are verified unless ``validate_certs=False``; ``ca_path`` names a CA bundle for private CAs, and
``ca_certificates`` (PEM texts, the server's ``wandb_server_ca_certificates``) are trusted in addition (``_custom_ca``).
"""
from __future__ import annotations

import base64
import json
import random
import socket
import time
from urllib.error import HTTPError, URLError

from ansible.module_utils.urls import Request

from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import (
    CAError,
    describe_tls_failure,
    ssl_context,
)
from ansible_collections.wandb_local.server.plugins.module_utils._wait import WaitTimeout, seconds, wait_until

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
    """WandbApi for the options of server_api_argument_spec(); raises WandbApiError for a bad base_url.

    The requests of one call (a query with its retries) end within timeout x (retries + 1) seconds."""
    return WandbApi(params["base_url"], api_key=api_key, validate_certs=params["validate_certs"],
                    ca_path=params["ca_path"], timeout=params["timeout"], retries=params["retries"],
                    deadline=params["timeout"] * (params["retries"] + 1),
                    ca_certificates=params.get("ca_certificates"))


class WandbApiError(Exception):
    """A request that failed for good (after retries, or not retryable)."""

    def __init__(self, msg, status=None, body=None, graphql_errors=False):
        super(WandbApiError, self).__init__(msg)
        self.status = status
        self.body = body
        self.graphql_errors = graphql_errors


class WandbAuthError(WandbApiError):
    """HTTP 401/403, or a key the server does not accept (viewer is null). Never retried."""


class WandbWaitTimeout(WandbApiError):
    """``wait_ready`` ran out of time: ``elapsed`` seconds (measured), ``attempts`` probes, ``last`` observation."""

    def __init__(self, msg, elapsed, attempts, last, status=None):
        super(WandbWaitTimeout, self).__init__(msg, status=status)
        self.elapsed = elapsed
        self.attempts = attempts
        self.last = last


def _retryable_status(status):
    return status is not None and (status >= 500 or status == 429)


def describe_failure(exc, timeout=None):
    """A short text of why a request failed: ``HTTP 503``, ``connection refused``, ``timed out after 10s``."""
    if isinstance(exc, HTTPError):
        return "HTTP %d" % exc.code
    reason = getattr(exc, "reason", exc)
    if isinstance(reason, (socket.timeout, TimeoutError)) or "timed out" in str(reason):
        return "timed out after %ss" % seconds(timeout) if timeout is not None else "timed out"
    if isinstance(reason, ConnectionRefusedError) or "Connection refused" in str(reason):
        return "connection refused"
    if isinstance(reason, ConnectionResetError) or "Connection reset" in str(reason):
        return "connection reset"
    return str(reason) or reason.__class__.__name__


class WandbApi(object):
    """Client for one W&B server at ``base_url`` (e.g. ``http://127.0.0.1:8080``)."""

    def __init__(self, base_url, api_key=None, validate_certs=True, ca_path=None, timeout=10.0,
                 retries=5, backoff=0.5, max_backoff=8.0, deadline=60.0, sleep=time.sleep, clock=time.monotonic,
                 ca_certificates=None, jitter=0.0, retry_transport=True):
        if not base_url or not (base_url.startswith("http://") or base_url.startswith("https://")):
            raise WandbApiError("base_url must be an http:// or https:// URL, got %r" % (base_url,))
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.validate_certs = validate_certs
        self.ca_path = ca_path
        try:
            # None without custom CAs: open_url's own context (system CAs, or only ca_path).
            self._context = ssl_context(ca_path, ca_certificates, validate_certs)
        except CAError as exc:
            raise WandbApiError(str(exc))
        self.timeout = float(timeout)
        self.retries = int(retries)
        self.backoff = float(backoff)
        self.max_backoff = float(max_backoff)
        self.deadline = float(deadline)
        self._sleep = sleep
        self._clock = clock
        # jitter: each backoff is multiplied by a random factor in [1 - jitter, 1] (0: none). retry_transport=False
        # retries HTTP 429/5xx only (a request that may have reached the server, e.g. a mutation that timed out,
        # is not sent twice).
        self.jitter = min(max(float(jitter), 0.0), 1.0)
        self.retry_transport = retry_transport
        self.attempts = 0
        self.last_wait = None

    # -- transport -------------------------------------------------------------------------------------
    def _headers(self, auth):
        headers = {"Accept": "application/json"}
        if auth:
            if not self.api_key:
                raise WandbApiError("an API key is needed for this request; set api_key")
            token = base64.b64encode(("api:%s" % self.api_key).encode("utf-8")).decode("ascii")
            headers["Authorization"] = "Basic %s" % token
        return headers

    def _once(self, method, path, body, auth, timeout=None):
        headers = self._headers(auth)
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        self.attempts += 1
        resp = Request().open(method, self.base_url + path, data=data, headers=headers,
                              validate_certs=self.validate_certs, ca_path=self.ca_path,
                              timeout=self.timeout if timeout is None else timeout,
                              follow_redirects="none", force_basic_auth=False, use_proxy=True, context=self._context)
        return resp.getcode(), resp.read()

    def _tls_error(self, exc):
        """WandbApiError for a TLS certificate that was not accepted (an unknown CA names
        wandb_server_ca_certificates), or None."""
        text = describe_tls_failure(exc, self.base_url)
        if text is None:
            return None
        return WandbApiError("%s; or give a CA bundle with ca_path or, only for tests, validate_certs: false" % text)

    def until(self, seconds_from_now=None):
        """The deadline (a value of the client's clock) ``seconds_from_now`` (default: ``deadline``) from now."""
        return self._clock() + (self.deadline if seconds_from_now is None else seconds_from_now)

    def request(self, method, path, body=None, auth=True, retry=True, until=None, timeout=None):
        """(status, raw body) of a request; retries transient failures within the bounds; raises on failure.

        Every attempt ends by ``until`` (default: ``deadline`` seconds from now): it gets ``min(timeout, time
        left)`` seconds (``timeout`` defaults to the client's), and no retry starts after ``until``. The first
        attempt is always made (with the full ``timeout`` when no time is left)."""
        start = self._clock()
        until = start + self.deadline if until is None else until
        timeout = self.timeout if timeout is None else float(timeout)
        delay = self.backoff
        attempt = 0
        while True:
            attempt += 1
            error = None
            status = None
            left = until - self._clock()
            budget = timeout if attempt == 1 and left <= 0 else max(min(timeout, left), 0.1)
            try:
                return self._once(method, path, body, auth, timeout=budget)
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
                tls_error = self._tls_error(exc)
                if tls_error:
                    raise tls_error
                error = describe_failure(exc, budget)
                if not self.retry_transport:
                    raise WandbApiError("%s %s%s failed: %s" % (method, self.base_url, path, error))
            if not retry or attempt > self.retries or self._clock() + delay >= until:
                raise WandbApiError("%s %s%s failed after %d attempt(s) in %.1fs: %s" % (
                    method, self.base_url, path, attempt, self._clock() - start, error), status=status)
            self._sleep(delay * (1.0 - self.jitter * random.random()) if self.jitter else delay)
            delay = min(delay * 2, self.max_backoff)

    # -- endpoints -------------------------------------------------------------------------------------
    def probe(self, path="/ready", timeout=None):
        """One ``GET path`` without a key and without retries, given ``timeout`` seconds (default: the client's):
        ``(ready, observation, status)``, ready when it answered 2xx; observation as ``describe_failure``."""
        timeout = self.timeout if timeout is None else timeout
        try:
            status, _body = self._once("GET", path, None, False, timeout=timeout)
        except HTTPError as exc:
            return False, describe_failure(exc, timeout), exc.code
        except (URLError, socket.timeout, socket.error, ConnectionError) as exc:
            tls_error = self._tls_error(exc)
            if tls_error:
                raise tls_error
            return False, describe_failure(exc, timeout), None
        return 200 <= status < 300, "HTTP %d" % status, status

    def ready(self):
        """True when ``GET /ready`` answers 2xx now (one attempt, no retries)."""
        try:
            return self.probe("/ready")[0]
        except WandbApiError:
            return False

    def wait_ready(self, timeout, interval=2.0, path="/ready"):
        """Poll ``GET path`` until it answers 2xx or ``timeout`` seconds pass; returns the seconds waited.

        One deadline: each probe gets ``min(timeout of the client, time left)``, so the wait ends by ``timeout``
        seconds (or after one probe when ``timeout`` is 0). ``self.last_wait`` is the ``_wait.Waited`` of a wait
        that succeeded. Raises ``WandbWaitTimeout``, whose message says how long it waited (measured), how often it
        asked and what it last saw (``HTTP 503``, ``connection refused``, ``timed out after 10s``)."""
        def probe(budget):
            ready, observation, status = self.probe(path, budget)
            return ready, observation, status

        try:
            waited = wait_until(probe, timeout, interval, self.timeout,
                                what="%s%s did not answer 200" % (self.base_url, path),
                                clock=self._clock, sleep=self._sleep)
        except WaitTimeout as exc:
            raise WandbWaitTimeout(str(exc), exc.elapsed, exc.attempts, exc.last, status=exc.value)
        self.last_wait = waited
        return waited.elapsed

    def graphql(self, query, variables=None, until=None, strict=False):
        """``data`` of a GraphQL query; raises on transport errors and on a response with only ``errors`` (with
        ``strict``: with any ``errors``; one that says permission denied raises ``WandbAuthError``)."""
        status, raw = self.request("POST", "/graphql", body={"query": query, "variables": variables or {}},
                                   until=until)
        try:
            doc = json.loads(raw.decode("utf-8"))
        except ValueError:
            raise WandbApiError("POST %s/graphql answered HTTP %d with a body that is not JSON" % (
                self.base_url, status), status=status, body=raw)
        if not isinstance(doc, dict):
            raise WandbApiError("POST %s/graphql answered an unexpected document" % self.base_url, status=status)
        errors = doc.get("errors") or []
        if errors and (strict or not doc.get("data")):
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            if strict and "permission denied" in messages.lower():
                raise WandbAuthError("GraphQL error from %s: %s: the API key has no admin rights (use the "
                                     "server's GLOBAL_ADMIN_API_KEY, with GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS"
                                     "=true)" % (self.base_url, messages), status=status)
            raise WandbApiError("GraphQL error from %s: %s" % (self.base_url, messages), status=status,
                                graphql_errors=True)
        return doc.get("data") or {}

    def viewer(self, until=None):
        """The ``viewer`` of the API key; raises ``WandbAuthError`` when the server does not accept the key.

        Both queries (the full one and, for an older schema, the smaller one) end by ``until`` (default:
        ``deadline`` seconds from now)."""
        until = self.until() if until is None else until
        try:
            data = self.graphql(VIEWER_QUERY, until=until)
        except WandbAuthError:
            raise
        except WandbApiError as exc:
            # A schema without some of the fields answers with GraphQL errors (HTTP 200 or 4xx): ask for less.
            if not (exc.graphql_errors or (exc.status is not None and 400 <= exc.status < 500)):
                raise
            data = self.graphql(VIEWER_QUERY_MIN, until=until)
        viewer = data.get("viewer")
        if not viewer:
            raise WandbAuthError("%s does not accept the API key: the GraphQL viewer is null "
                                 "(a wrong key, or a key of a deleted user)" % self.base_url)
        return viewer

    def server_info(self, until=None):
        """``serverInfo`` (may be absent on some servers, or not answered by ``until``: then ``{}``)."""
        try:
            return self.graphql(SERVER_INFO_QUERY, until=until).get("serverInfo") or {}
        except WandbAuthError:
            raise
        except WandbApiError as exc:
            if exc.status is not None and exc.status >= 500:
                raise
            return {}
