"""Pre-flight validators and the planning of environment changes (plugins/module_utils/_wandb_settings.py)."""
from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_settings as ws


def b64(doc):
    return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")


GOOD_LICENSE = "%s.%s.%s" % (b64({"alg": "RS256", "typ": "JWT"}), b64({"maxUsers": 5}), "c2lnbmF0dXJl")


def test_good_license_passes():
    assert ws.check_license(GOOD_LICENSE) is None


@pytest.mark.parametrize("value", ["not-a-license", "a.b", "a.b.c.d", GOOD_LICENSE + ".x"])
def test_license_needs_three_parts(value):
    assert "compact JWS format must have three parts" in ws.check_license(value)


@pytest.mark.parametrize("value, words", [
    ("a..c", "payload part is empty"),
    ("a+b.c.d", "header part is empty or not base64url"),
    ("%s.%s.sig" % (base64.urlsafe_b64encode(b"nojson").decode().rstrip("="), b64({})), "does not decode"),
    ("%s.%s.sig" % (b64({"typ": "JWT"}), b64({})), "no 'alg'"),
])
def test_license_parts_checked(value, words):
    assert words in ws.check_license(value)


@pytest.mark.parametrize("value", ["https://wandb.example.com", "http://127.0.0.1:8080", "https://[::1]:8443"])
def test_host_origins_pass(value):
    assert ws.check_host(value) is None


@pytest.mark.parametrize("value, words", [
    ("wandb.example.com", "absolute http"),
    ("ftp://wandb.example.com", "absolute http"),
    ("https://wandb.example.com/", "has a path"),
    ("https://wandb.example.com/wandb", "host_subpath_allowed"),
    ("https://user:pw@wandb.example.com", "credentials"),
    ("https://wandb.example.com?x=1", "query"),
    ("https://wandb.example.com:99999", "not a valid URL"),
])
def test_host_refused(value, words):
    assert words in ws.check_host(value)


def test_host_subpath_when_allowed():
    assert ws.check_host("https://example.com/wandb", subpath_allowed=True) is None
    assert "trailing slash" in ws.check_host("https://example.com/wandb/", subpath_allowed=True)


def test_oidc_completeness():
    assert ws.check_oidc("https://idp.example.com", "client", "pkce", None) == []
    assert ws.check_oidc(None, None, None, None) == []
    assert "go together" in ws.check_oidc("https://idp.example.com", None, None, None)[0]
    assert "go together" in ws.check_oidc(None, "client", None, None)[0]
    assert any("need oidc_issuer" in e for e in ws.check_oidc(None, None, "pkce", None))
    assert any("must be one of" in e for e in ws.check_oidc("https://i", "c", "code", None))
    assert any("absolute https" in e for e in ws.check_oidc("idp.example.com", "c", None, None))


@pytest.mark.parametrize("bucket, region, queue", [
    ("s3:///bucket", "eu-west-1", "sqs://queue"),
    ("s3://KEY:SECRET@minio:9000/bucket?tls=true", "us-east-1", None),
    ("gs://bucket", None, "pubsub:/project/topic/sub"),
    ("az://account/container", None, "az://account/queue"),
    (None, None, None),
])
def test_storage_consistent(bucket, region, queue):
    assert ws.check_storage(bucket, region, queue) == []


@pytest.mark.parametrize("bucket, region, queue, words", [
    ("s3:///bucket", None, "sqs://q", "needs aws_region"),
    ("s3:///bucket", "eu-west-1", "pubsub:/p/t/s", "takes an sqs://"),
    ("gs://bucket", "eu-west-1", "pubsub:/p/t/s", "takes no aws_region"),
    ("gs://bucket", None, "sqs://q", "needs a pubsub:/"),
    ("az://acct/c", None, "sqs://q", "needs an az://"),
    ("az://acct/c", "eu-west-1", "az://acct/q", "takes no aws_region"),
    ("bucket-without-scheme", None, None, "must start with"),
    (None, None, "sqs://q", "without a bucket"),
])
def test_storage_inconsistent(bucket, region, queue, words):
    assert any(words in e for e in ws.check_storage(bucket, region, queue))


def test_preflight_checks_only_touched_groups():
    after = {"license": "bad", "bucket": "gs://b", "aws_region": "x"}
    assert ws.preflight(after, ["host"]) == []
    errors = ws.preflight(after, ["license", "aws_region"])
    assert len(errors) == 3  # license, region with gs, gs without pubsub queue


def test_preflight_other_values():
    assert ws.preflight({"session_length": "720h"}, ["session_length"]) == []
    assert ws.preflight({"session_length": "1 week"}, ["session_length"])
    assert ws.preflight({"redis": "localhost:6379"}, ["redis"])
    assert ws.preflight({"mysql": "user@host"}, ["mysql"])


def test_env_changes_writes_one_spelling_and_removes_the_other():
    set_vars, unset = ws.env_changes({"license": "a.b.c", "host": "https://h", "bucket": "s3:///b"}, "gorilla")
    assert set_vars == {"GORILLA_LICENSE": "a.b.c", "GORILLA_FRONTEND_HOST": "https://h", "BUCKET": "s3:///b"}
    assert unset == ["HOST", "LICENSE"]
    set_vars, unset = ws.env_changes({"host": "https://h"}, "classic")
    assert set_vars == {"HOST": "https://h"} and unset == ["GORILLA_FRONTEND_HOST"]


def test_env_changes_remove_and_leave_alone():
    set_vars, unset = ws.env_changes({"slack_secret": "", "local_restore": False, "host": None}, "classic")
    assert set_vars == {}
    assert unset == ["GORILLA_SLACK_SECRET", "LOCAL_RESTORE", "SLACK_SECRET"]
    assert ws.env_changes({"local_restore": True}) == ({"LOCAL_RESTORE": "true"}, [])


def test_env_changes_refuses_unknown_and_line_breaks():
    with pytest.raises(ValueError, match="unknown"):
        ws.env_changes({"nope": "x"})
    with pytest.raises(ValueError, match="line break"):
        ws.env_changes({"host": "a\nb"})


def test_settings_from_env_prefers_gorilla_and_reports_conflicts():
    values, names, conflicts = ws.settings_from_env(
        {"HOST": "http://a", "GORILLA_FRONTEND_HOST": "http://b", "LICENSE": "x", "PATH": "/bin"})
    assert values == {"host": "http://b", "license": "x"}
    assert names == {"host": "GORILLA_FRONTEND_HOST", "license": "LICENSE"}
    assert conflicts == ["host"]
