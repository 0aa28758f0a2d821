"""gcp_* modules: bad input fails before any call, with a message that says what to fix."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _gcp
from ansible_collections.wandb_local.server.plugins.modules import (
    gcp_bucket,
    gcp_bucket_notification,
    gcp_iam_member,
    gcp_pubsub,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "fixtures" / "gcp_fake"))
from gcp_fake import GcpFake  # noqa: E402


@pytest.fixture
def sentinel():
    """A fake that records every request: these tests assert it received none."""
    fake = GcpFake().start()
    yield fake
    fake.stop()


def opts(fake, **kw):
    base = dict(project="wandb-test", storage_endpoint=fake.url + "/storage/v1", pubsub_endpoint=fake.url + "/v1",
                iam_endpoint=fake.url + "/v1")
    base.update(kw)
    return base


@pytest.mark.parametrize("name,expect", [
    ("ab", "3 to 63 characters"),
    ("a" * 64, "3 to 63 characters"),
    ("My-Bucket", "only lowercase letters"),
    ("-bucket", "begin and end with a letter or digit"),
    ("bucket-", "begin and end with a letter or digit"),
    ("bad bucket", "only lowercase letters"),
    ("192.168.5.4", "IP address"),
    ("goog-files", "must not start with 'goog'"),
    ("my-google-files", "google"),
    ("my-go0gle-files", "misspelling"),
    ("a..b", "empty dot-separated parts"),
])
def test_bucket_names_gcs_rejects(run_module, sentinel, name, expect):
    res = run_module(gcp_bucket, opts(sentinel, name=name))
    assert res.failed and expect in res["msg"] and "'%s'" % name in res["msg"]
    res = run_module(gcp_bucket_notification, opts(sentinel, bucket=name, topic="files"))
    assert res.failed and expect in res["msg"]
    assert sentinel.state.requests == []


@pytest.mark.parametrize("name", ["wandb-files", "wandb_files.example.com", "a1b", "x" * 63])
def test_bucket_names_gcs_accepts(name):
    assert _gcp.validate_bucket_name(name) is None


@pytest.mark.parametrize("module,args", [
    (gcp_bucket, dict(name="wandb-files")),
    (gcp_pubsub, dict(topic="files", subscription="files-server")),
    (gcp_bucket_notification, dict(bucket="wandb-files", topic="files")),
])
@pytest.mark.parametrize("project,expect", [
    ("", "project is required"),
    ("My_Project", "not a valid Google Cloud project ID"),
    ("abc", "not a valid Google Cloud project ID"),
])
def test_missing_or_bad_project(run_module, sentinel, module, args, project, expect):
    res = run_module(module, opts(sentinel, project=project, **args))
    assert res.failed and expect in res["msg"]
    assert sentinel.state.requests == []


def test_project_is_required_option(run_module, sentinel):
    args = opts(sentinel, topic="files", subscription="files-server")
    del args["project"]
    res = run_module(gcp_pubsub, args)
    assert res.failed and "project" in res["msg"]


@pytest.mark.parametrize("args,expect", [
    (dict(topic="files", subscription=""), "subscription is required"),
    (dict(topic="", subscription="files-server"), "topic is required"),
    (dict(topic="files", subscription="ab"), "not a valid Pub/Sub ID"),
    (dict(topic="goog-files", subscription="files-server"), "cannot start with 'goog'"),
    (dict(topic="projects/p/topics/t", subscription="files-server"), "not a valid Pub/Sub ID"),
    (dict(topic="files", subscription="files-server", ack_deadline_seconds=5), "between 10 and 600"),
])
def test_bad_pubsub_ids(run_module, sentinel, args, expect):
    res = run_module(gcp_pubsub, opts(sentinel, **args))
    assert res.failed and expect in res["msg"]
    assert sentinel.state.requests == []


def test_missing_subscription_option(run_module, sentinel):
    res = run_module(gcp_pubsub, opts(sentinel, topic="files"))
    assert res.failed and "subscription" in res["msg"]
    assert sentinel.state.requests == []


@pytest.mark.parametrize("args,expect", [
    (dict(cors_origins=["wandb.example.com"]), "must look like https://wandb.example.com"),
    (dict(kms_key_name="my-key"), "not a Cloud KMS key name"),
])
def test_bad_bucket_options(run_module, sentinel, args, expect):
    res = run_module(gcp_bucket, opts(sentinel, name="wandb-files", **args))
    assert res.failed and expect in res["msg"]
    assert sentinel.state.requests == []


@pytest.mark.parametrize("args,expect", [
    (dict(resource_type="service_account", resource="wandb-server", member="serviceAccount:a@b.iam.gserviceaccount.com",
          role="roles/iam.serviceAccountTokenCreator"), "not an e-mail address"),
    (dict(resource_type="service_account", resource="a@b.iam.gserviceaccount.com", member="a@b.iam.gserviceaccount.com",
          role="roles/iam.serviceAccountTokenCreator"), "not an IAM principal"),
    (dict(resource_type="service_account", resource="a@b.iam.gserviceaccount.com",
          member="serviceAccount:a@b.iam.gserviceaccount.com", role="iam.serviceAccountTokenCreator"),
     "not an IAM role name"),
    (dict(resource_type="bucket", resource="Bad", member="user:a@example.com", role="roles/storage.admin"),
     "Invalid Cloud Storage bucket name"),
])
def test_bad_iam_member_input(run_module, sentinel, args, expect):
    res = run_module(gcp_iam_member, opts(sentinel, **args))
    assert res.failed and expect in res["msg"]
    assert sentinel.state.requests == []


def test_unreadable_key_file_says_what_to_fix(run_module, sentinel, tmp_path):
    bad = tmp_path / "key.json"
    bad.write_text("{not json")
    res = run_module(gcp_pubsub, opts(sentinel, topic="files", subscription="files-server", credentials_file=str(bad)))
    assert res.failed and "credentials_file" in res["msg"]
    assert sentinel.state.requests == []


def test_key_file_private_key_never_in_output(run_module, sentinel, tmp_path):
    """A service-account key that cannot get a token: the error names the problem, never the key material."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()
    key = tmp_path / "key.json"
    key.write_text(json.dumps({
        "type": "service_account", "project_id": "wandb-test", "private_key_id": "k1", "private_key": pem,
        "client_email": "deployer@wandb-test.iam.gserviceaccount.com", "client_id": "1",
        "token_uri": sentinel.url + "/token"}))
    res = run_module(gcp_pubsub, opts(sentinel, topic="files", subscription="files-server", credentials_file=str(key)))
    assert res.failed and "access token" in res["msg"]
    text = json.dumps(res)
    assert "PRIVATE KEY" not in text and pem.splitlines()[1] not in text
    # The only request was the token exchange, which the fake rejects (404): no API call without a token.
    assert [r["path"] for r in sentinel.state.requests] == ["/token"]


def test_error_messages_carry_a_hint():
    class Resp:
        status_code = 403
        text = '{"error": {"message": "Permission denied on resource"}}'

        def json(self):
            return json.loads(self.text)

    msg = _gcp.GcpClient._message("creating bucket b", Resp())
    assert "HTTP 403" in msg and "Permission denied on resource" in msg and "roles/storage.admin" in msg


def test_policy_helpers_keep_conditions_and_other_members():
    policy = {"etag": "e", "version": 3, "bindings": [
        {"role": "roles/x", "members": ["user:a@example.com"]},
        {"role": "roles/x", "members": ["user:c@example.com"], "condition": {"expression": "true", "title": "t"}}]}
    added = _gcp.policy_with_member(policy, "roles/x", "user:b@example.com")
    assert added["etag"] == "e" and added["version"] == 3
    assert added["bindings"][0]["members"] == ["user:a@example.com", "user:b@example.com"]
    assert added["bindings"][1] == policy["bindings"][1]
    removed = _gcp.policy_without_member(added, "roles/x", "user:a@example.com")
    assert removed["bindings"][0]["members"] == ["user:b@example.com"]
    assert _gcp.policy_without_member(policy, "roles/x", "user:a@example.com")["bindings"] == [policy["bindings"][1]]


# --- gcp_bucket reads the bucket back after a write (the emulators keep too little to show every mismatch) ------
class ScriptedStorage(object):
    """Stands in for GcpClient.call (`method()`): answers bucket GET/POST/PATCH from a dict; `spoil` changes what a
    GET returns, as a service that accepted a write without applying it would."""

    def __init__(self, existing=None, spoil=None):
        self.bucket = existing
        self.spoil = spoil or (lambda bucket: bucket)
        self.calls = []

    def method(self):
        """A function to patch in as GcpClient.call (an instance attribute of a class is not bound)."""
        def call(client, *args, **kwargs):
            return self.answer(client, *args, **kwargs)
        return call

    def answer(self, client, method, service, path, body=None, params=None, allow_404=False, what=None):
        self.calls.append((method, path))
        if method == "GET":
            if self.bucket is None:
                return None
            return self.spoil(json.loads(json.dumps(self.bucket)))
        if method == "POST":
            self.bucket = dict(body)
        elif method == "PATCH":
            self.bucket.update(body)
        return json.loads(json.dumps(self.bucket))


def bucket_resource(**changes):
    resource = gcp_bucket.wanted_resource(dict(name="wandb-files", location="US", cors_origins=["https://w.example"],
                                               cors_max_age=3600, kms_key_name=None))
    resource.update(changes)
    return resource


def run_scripted(run_module, monkeypatch, storage, **args):
    monkeypatch.setattr(_gcp.GcpClient, "call", storage.method())
    base = dict(project="wandb-test", storage_endpoint="http://127.0.0.1:9/storage/v1",
                pubsub_endpoint="http://127.0.0.1:9/v1", iam_endpoint="http://127.0.0.1:9/v1",
                name="wandb-files", cors_origins=["https://w.example"])
    base.update(args)
    return run_module(gcp_bucket, base)


def _without_pap(bucket):
    bucket["iamConfiguration"] = {"uniformBucketLevelAccess": {"enabled": True}}
    return bucket


def _without_ubla(bucket):
    bucket["iamConfiguration"] = {"uniformBucketLevelAccess": {"enabled": False}, "publicAccessPrevention": "enforced"}
    return bucket


def _without_cors(bucket):
    bucket.pop("cors", None)
    return bucket


def _elsewhere(bucket):
    bucket["location"] = "US-CENTRAL1"
    return bucket


@pytest.mark.parametrize("spoil, expect", [
    (_without_pap, 'public access prevention: expected "enforced", got "inherited"'),
    (_without_ubla, "uniform bucket-level access: expected true, got false"),
    (_without_cors, 'CORS: expected [{"maxAgeSeconds": 3600, "method": ["GET", "PUT"], "origin": ["https://w.example"], '
                    '"responseHeader": ["*"]}], got []'),
    (_elsewhere, 'location: expected "US", got "US-CENTRAL1"'),
])
def test_bucket_create_fails_when_the_read_back_differs(run_module, monkeypatch, spoil, expect):
    storage = ScriptedStorage(spoil=spoil)
    res = run_scripted(run_module, monkeypatch, storage)
    assert res.failed and res.changed, res
    assert expect in res["msg"], res["msg"]
    assert "did not apply" in res["msg"] and "gcloud storage buckets describe gs://wandb-files" in res["msg"]
    assert res["mismatches"] == [expect]
    # The read-back is a GET after the writes, not the write's answer.
    assert storage.calls[0] == ("GET", "b/wandb-files") and storage.calls[-1] == ("GET", "b/wandb-files")
    assert ("POST", "b") in storage.calls


def test_bucket_update_fails_when_the_service_ignores_the_patch(run_module, monkeypatch):
    """An existing bucket whose CORS and access settings a server accepts (200) but does not store."""
    stale = bucket_resource(cors=[], iamConfiguration={"uniformBucketLevelAccess": {"enabled": False}})
    storage = ScriptedStorage(existing=json.loads(json.dumps(stale)))
    storage.spoil = lambda bucket: dict(bucket, cors=[], iamConfiguration=stale["iamConfiguration"])
    res = run_scripted(run_module, monkeypatch, storage)
    assert res.failed and res.changed
    assert [m.split(":")[0] for m in res["mismatches"]] == [
        "uniform bucket-level access", "public access prevention", "CORS"]
    assert ("PATCH", "b/wandb-files") in storage.calls and storage.calls[-1] == ("GET", "b/wandb-files")


def test_bucket_read_back_that_matches_is_reported(run_module, monkeypatch):
    storage = ScriptedStorage()
    res = run_scripted(run_module, monkeypatch, storage, cors_origins=["https://W.example:443/"])
    assert res.changed and not res.failed, res
    assert res["bucket"]["cors"][0]["origin"] == ["https://w.example"]
    assert res["bucket"]["publicAccessPrevention"] == "enforced" and res["bucket"]["uniformBucketLevelAccess"]
    # No change, no write and no read-back.
    storage.calls = []
    res = run_scripted(run_module, monkeypatch, storage, cors_origins=["https://w.example"])
    assert not res.changed and storage.calls == [("GET", "b/wandb-files")]


def test_bucket_check_mode_does_not_read_back(run_module, monkeypatch):
    storage = ScriptedStorage(spoil=_without_pap)
    monkeypatch.setattr(_gcp.GcpClient, "call", storage.method())
    res = run_module(gcp_bucket, dict(project="wandb-test", storage_endpoint="http://127.0.0.1:9/storage/v1",
                                      pubsub_endpoint="http://127.0.0.1:9/v1", iam_endpoint="http://127.0.0.1:9/v1",
                                      name="wandb-files"), check_mode=True)
    assert res.changed and not res.failed and storage.calls == [("GET", "b/wandb-files")]


def test_bad_origins_fail_before_any_call(run_module, sentinel):
    for origin, expect in (("https://x.example:70000", "not a URL"), ("https://u:p@x.example", "user:password@")):
        res = run_module(gcp_bucket, opts(sentinel, name="wandb-files", cors_origins=[origin]))
        assert res.failed and expect in res["msg"] and "option cors_origins" in res["msg"]
    assert sentinel.state.requests == []
