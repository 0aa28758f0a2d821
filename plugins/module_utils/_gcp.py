# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared Google Cloud client for the collection's gcp_* modules (private).

Everything goes through the public JSON REST APIs (Cloud Storage JSON API v1, Pub/Sub v1, IAM v1) with
google-auth for credentials and requests for transport, so every endpoint can point at an emulator or a fake.

Credentials, in this order:
- ``credentials_file``: a service-account key file;
- endpoints that use plain ``http://`` (emulators, fakes): anonymous, no token is fetched;
- otherwise application default credentials (GOOGLE_APPLICATION_CREDENTIALS, gcloud ADC, metadata server).

Retries (``GcpClient.call``, the only retry loop here). A request is sent again only when that cannot do harm:
- a request that never reached the server (connection refused, connect timeout) or was refused with HTTP 429
  (rate limit: not processed) is resent whatever its method;
- after an answer that was lost (read timeout, connection reset) or a transient server error (500, 502, 503, 504),
  which the server may have acted on, only idempotent requests are resent: GET, HEAD, PUT, DELETE, the read-only
  ``:getIamPolicy``/``:testIamPermissions`` POSTs, and Cloud Storage's bucket insert (``POST b``: a bucket name
  is unique, so a second insert cannot make a second bucket). Other POSTs (notification configs, which would be
  created twice; ``:setIamPolicy``, whose etag the first attempt used up; ``:modifyPushConfig``) and PATCH are
  sent once: the task fails and the next run, which reads first, converges.
- A resent create whose first attempt did go through meets its own resource: HTTP 409 (already exists) or 412
  (etag used up). Then the resource is read back (GET); when it holds what was sent it is returned as the result,
  so the caller sees the create succeed, not a misleading conflict. A resent DELETE meeting 404 has succeeded.
Bounded: at most MAX_ATTEMPTS attempts of REQUEST_TIMEOUT seconds each, with "full jitter" pauses between them
(uniform in [0, min(BACKOFF_CAP, BACKOFF_BASE * 2^n)] seconds), so a failing call ends within about
MAX_ATTEMPTS * REQUEST_TIMEOUT + 7 seconds, and runs that fail together do not retry in step.
"""
from __future__ import annotations

import json
import random
import re
import time

REQUESTS_IMP_ERR = None
try:
    import requests
    HAS_REQUESTS = True
except ImportError:  # pragma: no cover - exercised only without requests
    import traceback
    REQUESTS_IMP_ERR = traceback.format_exc()
    HAS_REQUESTS = False

GOOGLE_AUTH_IMP_ERR = None
try:
    import google.auth
    import google.auth.exceptions
    from google.auth.credentials import AnonymousCredentials
    from google.auth.transport.requests import AuthorizedSession
    from google.oauth2 import service_account
    HAS_GOOGLE_AUTH = True
except ImportError:  # pragma: no cover - exercised only without google-auth
    import traceback
    GOOGLE_AUTH_IMP_ERR = traceback.format_exc()
    HAS_GOOGLE_AUTH = False

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    bucket_name_error,
    gcp_project_problems,
    gcs_bucket_name_problems,
    pubsub_id_problems,
    service_account_email_problems,
)

DEFAULT_STORAGE_ENDPOINT = "https://storage.googleapis.com/storage/v1"
DEFAULT_PUBSUB_ENDPOINT = "https://pubsub.googleapis.com/v1"
DEFAULT_IAM_ENDPOINT = "https://iam.googleapis.com/v1"
SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]

# Retries: see the module docstring. Statuses worth another try: 429 (not processed), and the transient server
# errors after which the server may have acted (resent only when idempotent).
NOT_PROCESSED_STATUSES = (429,)
TRANSIENT_STATUSES = (500, 502, 503, 504)
RETRY_STATUSES = NOT_PROCESSED_STATUSES + TRANSIENT_STATUSES
IDEMPOTENT_METHODS = ("GET", "HEAD", "PUT", "DELETE")
READ_ONLY_RPCS = (":getIamPolicy", ":testIamPermissions")
MAX_ATTEMPTS = 4
BACKOFF_BASE = 0.5
BACKOFF_CAP = 4.0
REQUEST_TIMEOUT = 30

# Common options of every gcp_* module; merged into each module's argument_spec.
GCP_COMMON_ARGS = dict(
    project=dict(type="str", required=True),
    credentials_file=dict(type="path"),
    storage_endpoint=dict(type="str", default=DEFAULT_STORAGE_ENDPOINT),
    pubsub_endpoint=dict(type="str", default=DEFAULT_PUBSUB_ENDPOINT),
    iam_endpoint=dict(type="str", default=DEFAULT_IAM_ENDPOINT),
)

# --- name validation (done before any call) -----------------------------------------------------------------------
# The rules live in _storage (NAME_RULES), shared with the roles' preflight (storage_name_problems filter).


def validate_project(project):
    """Return an error message for a project ID Google would reject, or None."""
    if not project:
        return "project is required: set the Google Cloud project ID (e.g. my-project-123)"
    if gcp_project_problems(project):
        return ("project %r is not a valid Google Cloud project ID: 6-30 characters, lowercase letters, digits "
                "and hyphens, starting with a letter and not ending with a hyphen" % project)
    return None


def validate_bucket_name(name, option="name"):
    """Return an error message (naming the module's `option`) for a bucket name Cloud Storage would reject, or None.

    The shared rules (``_storage.gcs_bucket_name_problems``, from https://cloud.google.com/storage/docs/buckets#naming)
    plus two that Cloud Storage also enforces: no empty dot-separated part, no close misspelling of "google".
    """
    problems = list(gcs_bucket_name_problems(name))
    if name and isinstance(name, str):
        if any(not part for part in name.split(".")):
            problems.append("it must not contain empty dot-separated parts ('..')")
        if re.search(r"g[o0]{2}g(?:l|1)e", name) and not any("google" in p for p in problems):
            problems.append("it must not contain 'google' or a close misspelling of it")
    if problems:
        return bucket_name_error("Cloud Storage bucket", name, problems, option)
    return None


def validate_pubsub_id(kind, value):
    """Return an error message for a topic/subscription ID Pub/Sub would reject, or None."""
    if not value:
        return "%s is required: set the Pub/Sub %s ID" % (kind, kind)
    if pubsub_id_problems(value):
        return ("%s %r is not a valid Pub/Sub ID: 3-255 characters, start with a letter, then letters, digits, "
                "'-', '_', '.', '~', '+' or '%%'; it cannot start with 'goog'" % (kind, value))
    return None


def validate_service_account_email(email):
    if not email or service_account_email_problems(email):
        return ("service account %r is not an e-mail address: use the form NAME@PROJECT.iam.gserviceaccount.com"
                % (email,))
    return None


def topic_path(project, topic):
    return "projects/%s/topics/%s" % (project, topic)


def subscription_path(project, subscription):
    return "projects/%s/subscriptions/%s" % (project, subscription)


class GcpError(Exception):
    """An API call failed; ``status`` is the HTTP status (None when the call never got an answer)."""

    def __init__(self, message, status=None, body=None):
        super(GcpError, self).__init__(message)
        self.status = status
        self.body = body


def _hint(status):
    if status == 401:
        return ("authentication failed: check storage_gcp_credentials_file (team buckets: "
                "team_storage_gcp_credentials_file; module option credentials_file) or the application default "
                "credentials (gcloud auth application-default login / GOOGLE_APPLICATION_CREDENTIALS)")
    if status == 403:
        return ("permission denied: the caller's account needs the IAM permission named above on this project "
                "(e.g. roles/storage.admin, roles/pubsub.admin, roles/iam.serviceAccountAdmin)")
    if status == 404:
        return ("not found: check the project, names and the endpoint (storage_gcp_project and "
                "storage_gcp_*_endpoint; team buckets: team_storage_gcp_project and team_storage_gcp_*_endpoint; "
                "module options project and storage_endpoint/pubsub_endpoint/iam_endpoint)")
    if status == 409:
        return ("conflict: the name is taken (bucket names are global) or the resource changed concurrently; "
                "choose another name or re-run")
    if status == 400:
        return "the request was rejected as invalid: check the option values"
    return None


class GcpClient(object):
    """Authorized JSON REST client with bounded retries. ``module`` is an AnsibleModule with GCP_COMMON_ARGS."""

    def __init__(self, module, session=None):
        self.module = module
        params = module.params
        self.project = params["project"]
        self.endpoints = dict(
            storage=params["storage_endpoint"].rstrip("/"),
            pubsub=params["pubsub_endpoint"].rstrip("/"),
            iam=params["iam_endpoint"].rstrip("/"),
        )
        self.session = session if session is not None else self._session(params)

    def _session(self, params):
        if not HAS_REQUESTS:
            self.module.fail_json(msg=missing_required_lib("requests"), exception=REQUESTS_IMP_ERR)
        if not HAS_GOOGLE_AUTH:
            self.module.fail_json(msg=missing_required_lib("google-auth"), exception=GOOGLE_AUTH_IMP_ERR)
        creds = None
        keyfile = params.get("credentials_file")
        try:
            if keyfile:
                creds = service_account.Credentials.from_service_account_file(keyfile, scopes=SCOPES)
            elif all(url.startswith("http://") for url in self.endpoints.values()):
                creds = AnonymousCredentials()
            else:
                creds, dummy = google.auth.default(scopes=SCOPES)
        except (IOError, OSError, ValueError) as exc:
            self.module.fail_json(msg="cannot read the service-account key file %s: %s; set credentials_file to a "
                                      "JSON key of a service account" % (keyfile, exc))
        except google.auth.exceptions.DefaultCredentialsError as exc:
            self.module.fail_json(msg="no Google Cloud credentials found (%s): set credentials_file to a "
                                      "service-account key file, or configure application default credentials"
                                  % exc)
        return AuthorizedSession(creds)

    def url(self, service, path):
        return "%s/%s" % (self.endpoints[service], path.lstrip("/"))

    def call(self, method, service, path, body=None, params=None, allow_404=False, what=None):
        """Send one JSON request; return the decoded body ({} when empty), or None on 404 with allow_404.

        Retried as the module docstring says (bounded, jittered, idempotent requests only after a lost answer)."""
        url = self.url(service, path)
        what = what or "%s %s" % (method, url)
        idempotent = is_idempotent(method, service, path)
        maybe_done = False  # an earlier attempt may have been acted on although its answer was lost
        last_exc = None
        for attempt in range(MAX_ATTEMPTS):
            if attempt:
                time.sleep(backoff(attempt))
            try:
                resp = self.session.request(method, url, json=body, params=params, timeout=REQUEST_TIMEOUT)
            except requests.exceptions.RequestException as exc:
                last_exc = GcpError("%s failed: cannot reach %s (%s); check the %s endpoint"
                                    % (what, url, exc, service))
                if not_sent(exc):
                    continue
                maybe_done = True
                if idempotent:
                    continue
                raise GcpError("%s failed: no answer from %s (%s); it may or may not have been done, and it is not "
                               "sent twice: run again (the next run reads first)" % (what, url, exc))
            except google.auth.exceptions.GoogleAuthError as exc:
                raise GcpError("%s failed: cannot get an access token (%s); check credentials_file or the "
                               "application default credentials" % (what, exc))
            status = resp.status_code
            last_exc = None
            if attempt < MAX_ATTEMPTS - 1 and (status in NOT_PROCESSED_STATUSES
                                               or (status in TRANSIENT_STATUSES and idempotent)):
                maybe_done = maybe_done or status in TRANSIENT_STATUSES
                continue
            if maybe_done:
                done = self._done_after_lost_answer(method, service, path, body, status)
                if done is not None:
                    return None if method == "DELETE" and allow_404 else done
            if status == 404 and allow_404:
                return None
            if status >= 400:
                raise GcpError(self._message(what, resp), status, resp.text)
            if not resp.content:
                return {}
            try:
                return resp.json()
            except ValueError:
                return {}
        if last_exc is not None:
            raise last_exc
        raise GcpError("%s failed: still failing after %d attempts" % (what, MAX_ATTEMPTS))

    def _done_after_lost_answer(self, method, service, path, body, status):
        """When an earlier attempt may have been done: the result it had, if ``status`` is what the repeat of a done
        request gets (DELETE: 404; a create: 409, or 412 for a used-up etag, and the resource read back holds what
        was sent); else None."""
        if method == "DELETE" and status == 404:
            return {}
        if status not in (409, 412):
            return None
        resource = created_resource_path(method, service, path, body)
        if resource is None:
            return None
        current = self.call("GET", service, resource, allow_404=True, what="reading back %s" % resource)
        if current is not None and holds(current, body or {}):
            return current
        return None

    @staticmethod
    def _message(what, resp):
        detail = resp.text[:500]
        try:
            err = resp.json().get("error", {})
            if isinstance(err, dict) and err.get("message"):
                detail = err["message"]
        except (ValueError, AttributeError):
            pass
        msg = "%s failed with HTTP %s: %s" % (what, resp.status_code, detail)
        hint = _hint(resp.status_code)
        return "%s (%s)" % (msg, hint) if hint else msg

    # --- IAM policies (read-modify-write with etag) ----------------------------------------------------------------
    def iam_policy_paths(self, kind, resource):
        """(service, get method, get path, set method, set path) for an IAM-enabled resource."""
        if kind == "service_account":
            name = "projects/-/serviceAccounts/%s" % resource
            return ("iam", "POST", "%s:getIamPolicy" % name, "POST", "%s:setIamPolicy" % name)
        if kind == "topic":
            name = topic_path(self.project, resource)
            return ("pubsub", "GET", "%s:getIamPolicy" % name, "POST", "%s:setIamPolicy" % name)
        if kind == "subscription":
            name = subscription_path(self.project, resource)
            return ("pubsub", "GET", "%s:getIamPolicy" % name, "POST", "%s:setIamPolicy" % name)
        if kind == "bucket":
            return ("storage", "GET", "b/%s/iam" % resource, "PUT", "b/%s/iam" % resource)
        raise ValueError(kind)

    def get_iam_policy(self, kind, resource, allow_404=False):
        """The resource's IAM policy; None for a missing resource with allow_404."""
        service, gmethod, gpath, dummy, dummy2 = self.iam_policy_paths(kind, resource)
        # Ask for policy version 3 so conditional bindings are returned (and kept on write).
        body, params = None, None
        if kind == "service_account":
            body = {"options": {"requestedPolicyVersion": 3}}
        elif kind == "bucket":
            params = {"optionsRequestedPolicyVersion": 3}
        else:
            params = {"options.requestedPolicyVersion": 3}
        return self.call(gmethod, service, gpath, body=body, params=params, allow_404=allow_404,
                         what="reading the IAM policy of %s %s" % (kind, resource))

    def set_iam_policy(self, kind, resource, policy):
        service, dummy, dummy2, smethod, spath = self.iam_policy_paths(kind, resource)
        body = policy if kind == "bucket" else {"policy": policy}
        return self.call(smethod, service, spath, body=body,
                         what="writing the IAM policy of %s %s" % (kind, resource))


def is_idempotent(method, service, path):
    """True when sending the request twice leaves the same state as once (the retry rule, module docstring)."""
    if method in IDEMPOTENT_METHODS:
        return True
    return method == "POST" and (path.endswith(READ_ONLY_RPCS) or is_bucket_insert(service, path))


def is_bucket_insert(service, path):
    """Cloud Storage's buckets.insert (``POST b``), idempotent because a bucket name is unique."""
    return service == "storage" and path.strip("/") == "b"


def created_resource_path(method, service, path, body):
    """Path of the resource a create request makes (PUT: its own path; the bucket insert: ``b/<name>``), or None."""
    if method == "PUT":
        return path
    if method == "POST" and is_bucket_insert(service, path) and (body or {}).get("name"):
        return "b/%s" % body["name"]
    return None


def not_sent(exc):
    """True when a requests exception happened before the request reached the server (refused, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return type(reason).__name__ in ("NewConnectionError", "ConnectTimeoutError", "NameResolutionError")


def backoff(attempt):
    """Seconds to wait before attempt number ``attempt`` (1, 2, ...): full jitter, uniform in
    [0, min(BACKOFF_CAP, BACKOFF_BASE * 2^attempt)]."""
    return random.uniform(0, min(BACKOFF_CAP, BACKOFF_BASE * (2 ** attempt)))


def _normal(value):
    """Order-insensitive form of JSON values (lists sorted), for comparing a request body with what was read."""
    if isinstance(value, dict):
        return dict((k, _normal(v)) for k, v in value.items())
    if isinstance(value, list):
        return sorted((_normal(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def holds(current, sent):
    """True when the resource read back (``current``) holds every member of the request body ``sent`` (nested
    objects alike, lists order-insensitive), the etag aside: the write it answers to was done."""
    def sub(got, want):
        if isinstance(want, dict):
            return isinstance(got, dict) and all(k == "etag" or sub(got.get(k), v) for k, v in want.items())
        return _normal(got) == _normal(want)
    return sub(current, sent)


def gcp_argument_spec(**specific):
    spec = dict((k, dict(v)) for k, v in GCP_COMMON_ARGS.items())
    spec.update(specific)
    return spec


def check_project(module):
    """Fail before any call when the project ID is missing or malformed."""
    error = validate_project(module.params.get("project"))
    if error:
        module.fail_json(msg=error)


def policy_has_member(policy, role, member):
    for binding in policy.get("bindings") or []:
        if binding.get("role") == role and not binding.get("condition") and member in (binding.get("members") or []):
            return True
    return False


def policy_with_member(policy, role, member):
    """Return a copy of ``policy`` with ``member`` in the unconditional binding of ``role`` (etag kept)."""
    new = json.loads(json.dumps(policy or {}))
    bindings = new.setdefault("bindings", [])
    for binding in bindings:
        if binding.get("role") == role and not binding.get("condition"):
            members = binding.setdefault("members", [])
            if member not in members:
                members.append(member)
            return new
    bindings.append({"role": role, "members": [member]})
    return new


def policy_without_member(policy, role, member):
    new = json.loads(json.dumps(policy or {}))
    bindings = []
    for binding in new.get("bindings") or []:
        if binding.get("role") == role and not binding.get("condition"):
            binding["members"] = [m for m in binding.get("members") or [] if m != member]
            if not binding["members"]:
                continue
        bindings.append(binding)
    new["bindings"] = bindings
    return new


def ensure_policy_member(client, kind, resource, role, member, state="present", check_mode=False):
    """Grant (or revoke) ``role`` to ``member`` on a resource; return (changed, before_members, after_members).

    In check mode a missing resource counts as one with an empty policy: an earlier task of the same check run
    would have created it (a real run still fails on a missing resource)."""
    policy = client.get_iam_policy(kind, resource, allow_404=check_mode) or {}
    present = policy_has_member(policy, role, member)
    before = sorted(_role_members(policy, role))
    if (state == "present") == present:
        return False, before, before
    new = policy_with_member(policy, role, member) if state == "present" else policy_without_member(policy, role, member)
    after = sorted(_role_members(new, role))
    if not check_mode:
        client.set_iam_policy(kind, resource, new)
    return True, before, after


def _role_members(policy, role):
    members = []
    for binding in policy.get("bindings") or []:
        if binding.get("role") == role and not binding.get("condition"):
            members.extend(binding.get("members") or [])
    return members
