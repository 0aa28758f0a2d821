"""The admin API client (_wandb_org): its GraphQL documents are exactly the wandb SDK's; retries with jitter on
HTTP 429/5xx only; 401/403 and a GraphQL permission error fail at once; views never carry a key."""
from __future__ import annotations

import io
import json
from urllib.error import HTTPError, URLError

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_org as org
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import (
    WandbApi,
    WandbApiError,
    WandbAuthError,
)

SDK_NAMES = ["SEARCH_USERS_GQL", "CREATE_USER_FROM_ADMIN_GQL", "GET_TEAM_ENTITY_GQL", "CREATE_TEAM_GQL",
             "CREATE_INVITE_GQL", "DELETE_INVITE_GQL", "CREATE_SERVICE_ACCOUNT_GQL"]


@pytest.mark.parametrize("name", SDK_NAMES)
def test_documents_are_the_sdks(name):
    operations = pytest.importorskip("wandb.apis._generated.operations")
    assert getattr(org, name).strip() == getattr(operations, name).strip()


class Fake(object):
    """Replaces WandbApi._once: answers from a list (the last repeats); records the sleeps."""

    def __init__(self, monkeypatch, answers):
        self.answers, self.calls, self.sleeps = list(answers), [], []
        monkeypatch.setattr(WandbApi, "_once", self.once)

    def once(self, method, path, body, auth, timeout=None):
        self.calls.append((method, path, body))
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        status, payload = answer
        if status >= 400:
            raise HTTPError("http://x" + path, status, "err", {}, io.BytesIO(json.dumps(payload).encode()))
        return status, json.dumps(payload).encode()

    def client(self, **kwargs):
        api = WandbApi("http://127.0.0.1:1", api_key="k", retries=4, deadline=60, jitter=0.5, retry_transport=False,
                       sleep=self.sleeps.append, **kwargs)
        return org.WandbOrg(api)


def test_retries_429_and_5xx_with_jitter(monkeypatch):
    fake = Fake(monkeypatch, [(429, {}), (503, {}), (502, {}), (200, {"data": {"users": {"edges": []}}})])
    assert fake.client().search_users("a") == []
    assert len(fake.calls) == 4 and len(fake.sleeps) == 3
    for sleep, base in zip(fake.sleeps, (0.5, 1.0, 2.0)):
        assert base * 0.5 <= sleep <= base


@pytest.mark.parametrize("answer", [(401, {}), (403, {}), (400, {"errors": []}),
                                    URLError(ConnectionRefusedError(111, "Connection refused")),
                                    URLError(TimeoutError("timed out"))])
def test_no_retry_otherwise(monkeypatch, answer):
    fake = Fake(monkeypatch, [answer, (200, {"data": {}})])
    with pytest.raises(WandbApiError) as err:
        fake.client().create_user("a@example.com", False)
    assert len(fake.calls) == 1 and fake.sleeps == []
    if isinstance(answer, tuple) and answer[0] in (401, 403):
        assert isinstance(err.value, WandbAuthError) and "GLOBAL_ADMIN_API_KEY" in str(err.value)


def test_graphql_permission_error_is_an_auth_error(monkeypatch):
    fake = Fake(monkeypatch, [(200, {"errors": [{"message": "permission denied"}], "data": {"result": None}})])
    with pytest.raises(WandbAuthError) as err:
        fake.client().create_team("t")
    assert "GLOBAL_ADMIN_API_KEY" in str(err.value) and len(fake.calls) == 1


def test_partial_errors_raise(monkeypatch):
    fake = Fake(monkeypatch, [(200, {"errors": [{"message": "entity t already exists"}], "data": {"result": None}})])
    with pytest.raises(WandbApiError, match="already exists"):
        fake.client().create_team("t")


def test_scim_404_means_no_scim(monkeypatch):
    fake = Fake(monkeypatch, [(404, {})])
    with pytest.raises(WandbApiError, match="no SCIM API"):
        fake.client().scim_user("a@example.com")
    method, path, _body = fake.calls[0]
    assert method == "GET" and path == "/scim/Users?filter=emails.value%20eq%20%22a%40example.com%22"


def test_scim_email_forms():
    assert org._scim_email({"emails": {"Value": "a@x", "Primary": True}}) == "a@x"  # the docs' form
    assert org._scim_email({"emails": [{"value": "b@x", "primary": True}]}) == "b@x"  # RFC 7643
    assert org._scim_email({}) is None


def test_team_view_has_no_key():
    entity = {"name": "t", "members": [
        {"id": "1", "admin": True, "pending": False, "email": "a@x", "username": "a", "name": "a",
         "accountType": "USER", "apiKey": None},
        {"id": "2", "admin": False, "pending": False, "email": None, "username": "t-sa", "name": "ci",
         "accountType": "SERVICE", "apiKey": "local-secret"}]}
    view = org.team_view(entity)
    assert view == {"name": "t", "members": [{"username": "a", "email": "a@x", "role": "admin",
                                              "account_type": "USER", "pending": False}],
                    "service_accounts": [{"id": "2", "name": "ci", "username": "t-sa"}]}
    assert "local-secret" not in json.dumps(view)
