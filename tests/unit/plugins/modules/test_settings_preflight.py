"""Pre-flight validators and the planning of environment changes (plugins/module_utils/_wandb_settings.py)."""
from __future__ import annotations

import base64
import json
from pathlib import Path

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
    assert any("must be empty (the server's default, implicit), implicit or pkce" in e
               for e in ws.check_oidc("https://i", "c", "code", None))
    assert any("not an absolute http(s) URL" in e for e in ws.check_oidc("idp.example.com", "c", None, None))


COGNITO = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"


@pytest.mark.parametrize("method", ["implicit", "", None])
def test_oidc_cognito_issuer_needs_pkce_the_server_default_is_implicit(method):
    errors = ws.check_oidc(COGNITO, "client", method, None)
    assert len(errors) == 1 and errors[0].startswith("oidc: oidc_auth_method:") and '"pkce"' in errors[0]
    assert ws.check_oidc(COGNITO, "client", "pkce", None) == []


def test_oidc_cognito_domain_is_not_an_issuer():
    errors = ws.check_oidc("https://wandb.auth.eu-west-1.amazoncognito.com", "client", "pkce", None)
    assert len(errors) == 1 and errors[0].startswith("oidc: oidc_issuer:")
    assert "https://cognito-idp.eu-west-1.amazonaws.com/" in errors[0]


def test_oidc_method_message_has_no_empty_choice_shown_as_a_comma():
    errors = ws.check_oidc("https://idp.example.com", "c", "magic", None)
    assert errors and not any(": ," in e or ", ," in e or "one of: ," in e for e in errors)


def test_oidc_rules_are_the_oidc_modules_rules():
    """check_oidc (settings module, wandb_server role) and the oidc_check module use the same functions."""
    from ansible_collections.wandb_local.server.plugins.module_utils import _oidc
    for issuer, method in [(COGNITO, "implicit"), ("https://x.auth.us-east-1.amazoncognito.com", "pkce"),
                           ("idp.example.com", "pkce"), ("https://idp.example.com?x=1", "pkce")]:
        module_problems = _oidc.issuer_problems(issuer, method)
        settings_problems = ws.check_oidc(issuer, "client", method, None)
        assert [p.split(": ", 2)[2] for p in settings_problems] == module_problems


def test_license_message_says_paste_once():
    error = ws.check_license("only.two")
    assert error.count("Paste the whole license") == 1
    role = (Path(__file__).resolve().parents[4] / "roles" / "wandb_server" / "tasks" / "preflight.yml").read_text()
    assert "Paste the whole license" not in role


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


@pytest.mark.parametrize("bucket, region, queue, setting, words", [
    ("s3://", "eu-west-1", None, "bucket", "S3 bucket name (s3://BUCKET) is empty"),
    ("s3://WB_Files", "eu-west-1", None, "bucket", "only lowercase letters"),
    ("s3://KEY:SECRET@minio:9000/", "us-east-1", None, "bucket", "is empty"),
    ("s3://KEY:SECRET@minio:9000/WB_Files", "us-east-1", None, "bucket", "path after the store's host"),
    ("gs://goog-files", None, "pubsub:/acme-ml-123/files/files-server", "bucket", "must not start with 'goog'"),
    ("az://", None, "az://wandbfiles/events", "bucket", "storage account name (az://ACCOUNT/CONTAINER) is empty"),
    ("az://wandbfiles", None, "az://wandbfiles/events", "bucket", "blob container name (az://ACCOUNT/CONTAINER) is empty"),
    ("az://Wandb-Files/files", None, "az://wandbfiles/events", "bucket", "3-24 lowercase letters and digits"),
    ("s3://acme-files", "eu-west-1", "sqs://", "bucket_queue", "SQS queue name (sqs://NAME) is empty"),
    ("s3://acme-files", "eu-west-1", "sqs://acc events!", "bucket_queue", "1-80 letters, digits"),
    ("gs://acme-files", None, "pubsub:/", "bucket_queue", "pubsub:/PROJECT/TOPIC/SUBSCRIPTION (three"),
    ("gs://acme-files", None, "pubsub:/My Project/files/server", "bucket_queue", "Google Cloud project"),
    ("gs://acme-files", None, "pubsub:/acme-ml-123/goog-files/server", "bucket_queue", "must not start with 'goog'"),
    ("az://wandbfiles/files", None, "az://wandbfiles/Events_Q", "bucket_queue", "storage queue name"),
])
def test_storage_names_inside_the_urls(bucket, region, queue, setting, words):
    errors = ws.check_storage(bucket, region, queue)
    assert any(e.startswith("storage: %s: " % setting) and words in e for e in errors), errors


@pytest.mark.parametrize("bucket, queue", [
    ("s3://acme-files/prefix", "sqs://acme-events"),
    ("s3://AKIAEXAMPLE:wJalr/XUtnF+EMI@minio.internal:9000/acme-files", None),
    ("s3://acme-files", "sqs://sqs.eu-west-1.amazonaws.com/123456789012/acme-events"),
    ("s3://acme-files", "internal://"),
])
def test_storage_valid_s3_forms(bucket, queue):
    assert ws.check_storage(bucket, "eu-west-1", queue) == []


def test_storage_messages_never_repeat_the_bucket():
    """BUCKET may carry credentials (s3://KEY:SECRET@host:port/bucket): no message repeats it or its parts."""
    for bucket in ["s3://AKIAKEY42:Very-Secret-42@minio:9000/Bad_Bucket", "s3://AKIAKEY42:Very-Secret-42@minio:9000/",
                   "s3://AKIAKEY42:Very-Secret-42@/x", "s3://Very-Secret-42@minio:9000/b", "ftp://Very-Secret-42@h/b"]:
        errors = ws.check_storage(bucket, None, "pubsub:/x")
        assert errors
        assert not any("Very-Secret-42" in e or "AKIAKEY42" in e or "minio" in e for e in errors), errors


def test_preflight_checks_only_touched_groups():
    after = {"license": "bad", "bucket": "gs://acme-files", "aws_region": "x"}
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
