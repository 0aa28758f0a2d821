"""GcpClient's retry rule with a scripted fake transport: only idempotent requests are resent after a lost answer,
a resent create that meets its own resource (409/412) reads it back and succeeds when it holds what was sent, a
resent DELETE meeting 404 has succeeded, and every retry is bounded and jittered."""
from __future__ import annotations

import json

import pytest
import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError

from ansible_collections.wandb_local.server.plugins.module_utils import _gcp

STORAGE = "http://127.0.0.1:1/storage/v1"
PUBSUB = "http://127.0.0.1:1/v1"


class Module:
    params = {"project": "wandb-proj", "storage_endpoint": STORAGE, "pubsub_endpoint": PUBSUB,
              "iam_endpoint": "http://127.0.0.1:1/iam/v1"}

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs)


class Response:
    def __init__(self, status, payload=None):
        self.status_code = status
        self.content = json.dumps(payload).encode() if payload is not None else b""
        self.text = self.content.decode()

    def json(self):
        return json.loads(self.content)


class Transport:
    """Answers each request with the next scripted outcome: (status, payload) or an exception to raise."""

    def __init__(self, *script):
        self.script = list(script)
        self.sent = []

    def request(self, method, url, json=None, params=None, timeout=None):  # pylint: disable=redefined-outer-name
        self.sent.append((method, url.split("/v1/", 1)[1]))
        outcome = self.script.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return Response(*outcome)


LOST = requests.exceptions.ReadTimeout("read timed out")  # sent; the answer never came
REFUSED = requests.exceptions.ConnectionError(MaxRetryError(None, "/", reason=NewConnectionError(None, "refused")))
BUCKET = {"name": "wandb-files", "location": "US", "iamConfiguration": {"uniformBucketLevelAccess": {"enabled": True}}}


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    slept = []
    monkeypatch.setattr(_gcp.time, "sleep", slept.append)
    return slept


def client(*script):
    transport = Transport(*script)
    return _gcp.GcpClient(Module(), session=transport), transport


def test_get_is_retried_with_jittered_bounded_backoff(sleeps):
    gcp, transport = client((503, {}), (500, {}), (200, {"name": "b"}))
    assert gcp.call("GET", "storage", "b/b") == {"name": "b"}
    assert len(transport.sent) == 3
    assert 0 <= sleeps[0] <= 1.0 and 0 <= sleeps[1] <= 2.0


def test_attempts_are_bounded():
    gcp, transport = client(*[(503, {"error": {"message": "backend"}})] * _gcp.MAX_ATTEMPTS)
    with pytest.raises(_gcp.GcpError) as err:
        gcp.call("GET", "storage", "b/b")
    assert err.value.status == 503 and len(transport.sent) == _gcp.MAX_ATTEMPTS


def test_backoff_is_full_jitter_under_the_cap():
    for attempt in range(1, 8):
        for _sample in range(50):
            assert 0 <= _gcp.backoff(attempt) <= min(_gcp.BACKOFF_CAP, _gcp.BACKOFF_BASE * 2 ** attempt)


@pytest.mark.parametrize("outcome", [(503, {}), LOST])
def test_non_idempotent_post_is_sent_once_after_a_lost_answer(outcome):
    gcp, transport = client(outcome, (200, {"id": "2"}))
    with pytest.raises(_gcp.GcpError) as err:
        gcp.call("POST", "storage", "b/wandb-files/notificationConfigs", body={"topic": "t"})
    assert len(transport.sent) == 1  # a second POST would make a second notification config
    if outcome is LOST:
        assert "not sent twice" in str(err.value)


@pytest.mark.parametrize("method, path", [("PATCH", "b/wandb-files"),
                                          ("POST", "projects/p/topics/t:setIamPolicy"),
                                          ("POST", "projects/p/subscriptions/s:modifyPushConfig")])
def test_patch_and_other_posts_are_not_resent_after_a_server_error(method, path):
    gcp, transport = client((503, {}), (200, {}))
    service = "storage" if path.startswith("b/") else "pubsub"
    with pytest.raises(_gcp.GcpError):
        gcp.call(method, service, path, body={})
    assert len(transport.sent) == 1


@pytest.mark.parametrize("first", [(429, {}), REFUSED, requests.exceptions.ConnectTimeout("connect timed out")])
def test_any_request_is_resent_when_the_first_was_not_processed(first):
    gcp, transport = client(first, (200, {"id": "1"}))
    assert gcp.call("POST", "storage", "b/wandb-files/notificationConfigs", body={"topic": "t"}) == {"id": "1"}
    assert len(transport.sent) == 2


def test_read_only_rpc_post_is_retried():
    gcp, transport = client((503, {}), (200, {"bindings": []}))
    assert gcp.call("POST", "iam", "projects/-/serviceAccounts/a@p.iam.gserviceaccount.com:getIamPolicy") == {
        "bindings": []}
    assert len(transport.sent) == 2


@pytest.mark.parametrize("lost", [LOST, (503, {})])
def test_bucket_insert_resent_after_lost_answer_meets_409_and_reads_back(lost):
    """The first insert made the bucket but its answer was lost: the resent insert gets 409, the bucket read back
    holds what was sent, so the create succeeds with the bucket (no misleading 'name is taken')."""
    stored = dict(BUCKET, id="wandb-files", metageneration="1", storageClass="STANDARD")
    gcp, transport = client(lost, (409, {"error": {"message": "You already own this bucket."}}), (200, stored))
    assert gcp.call("POST", "storage", "b", body=BUCKET, params={"project": "wandb-proj"}) == stored
    assert transport.sent == [("POST", "b"), ("POST", "b"), ("GET", "b/wandb-files")]


def test_bucket_insert_409_for_someone_elses_bucket_stays_an_error():
    other = dict(BUCKET, location="EU")  # not what was sent: the name is taken by another bucket
    gcp, transport = client(LOST, (409, {"error": {"message": "taken"}}), (200, other))
    with pytest.raises(_gcp.GcpError) as err:
        gcp.call("POST", "storage", "b", body=BUCKET)
    assert err.value.status == 409 and "name is taken" in str(err.value)
    assert transport.sent[-1] == ("GET", "b/wandb-files")


def test_409_without_a_lost_answer_is_not_second_guessed():
    gcp, transport = client((409, {"error": {"message": "taken"}}))
    with pytest.raises(_gcp.GcpError) as err:
        gcp.call("POST", "storage", "b", body=BUCKET)
    assert err.value.status == 409 and transport.sent == [("POST", "b")]


def test_pubsub_put_create_resent_meets_409_and_reads_back():
    sub = {"topic": "projects/wandb-proj/topics/t", "ackDeadlineSeconds": 60}
    stored = dict(sub, name="projects/wandb-proj/subscriptions/s", pushConfig={}, messageRetentionDuration="604800s")
    gcp, transport = client((502, {}), (409, {"error": {"message": "Resource already exists"}}), (200, stored))
    assert gcp.call("PUT", "pubsub", "projects/wandb-proj/subscriptions/s", body=sub) == stored
    assert [m for m, _p in transport.sent] == ["PUT", "PUT", "GET"]


def test_bucket_iam_put_resent_meets_412_and_reads_back_the_policy():
    sent = {"bindings": [{"role": "roles/a", "members": ["user:x", "user:y"]}], "etag": "CAE=", "version": 3}
    stored = {"bindings": [{"members": ["user:y", "user:x"], "role": "roles/a"}], "etag": "CAI=", "version": 3,
              "kind": "storage#policy"}
    gcp, transport = client(LOST, (412, {"error": {"message": "Precondition Failed"}}), (200, stored))
    assert gcp.call("PUT", "storage", "b/wandb-files/iam", body=sent) == stored
    assert transport.sent[-1] == ("GET", "b/wandb-files/iam")


@pytest.mark.parametrize("allow_404, wanted", [(False, {}), (True, None)])
def test_delete_resent_meeting_404_has_succeeded(allow_404, wanted):
    gcp, transport = client(LOST, (404, {"error": {"message": "Not Found"}}))
    assert gcp.call("DELETE", "storage", "b/wandb-files/notificationConfigs/3", allow_404=allow_404) == wanted
    assert len(transport.sent) == 2


def test_delete_404_without_a_lost_answer_is_an_error():
    gcp, dummy = client((404, {"error": {"message": "Not Found"}}))
    with pytest.raises(_gcp.GcpError) as err:
        gcp.call("DELETE", "storage", "b/wandb-files/notificationConfigs/3")
    assert err.value.status == 404


def test_holds_compares_sent_members_order_insensitively():
    assert _gcp.holds({"a": [2, 1], "b": {"c": 1, "d": 2}, "e": 3}, {"a": [1, 2], "b": {"c": 1}})
    assert not _gcp.holds({"a": [1]}, {"a": [1, 2]})
    assert _gcp.holds({"etag": "new", "x": 1}, {"etag": "old", "x": 1})
    assert _gcp.holds({"name": "t"}, {})
