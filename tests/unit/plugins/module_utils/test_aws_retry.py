"""AWS retries are botocore's alone: the configured retry mode, at most max_attempts requests per call, none twice.

A local HTTP server stands in for S3 and counts the requests it gets; botocore's sleeps between attempts are recorded
instead of slept, so the test is fast and also sees the jittered backoff.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.endpoint
import pytest
from botocore.exceptions import ClientError

from ansible_collections.wandb_local.server.plugins.module_utils import _aws


class Module:
    """The little of AnsibleModule that AWSHelper uses."""

    def __init__(self, **params):
        self.params = dict(region="us-east-1", endpoint_url=None, profile=None, access_key="AKIDEXAMPLE",
                           secret_key="secret", session_token=None, timeout=5, max_attempts=4, retry_mode="standard")
        self.params.update(params)

    def fail_json(self, **kwargs):
        raise AssertionError(kwargs["msg"])


@pytest.fixture()
def s3(monkeypatch):
    """(endpoint URL, answer setter, request log) of a fake S3 that answers every request with one error."""
    state = {"status": 503, "code": "SlowDown", "requests": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            state["requests"].append(self.path)
            body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>%s</Code><Message>m</Message></Error>"
                    % state["code"]).encode()
            self.send_response(state["status"])
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    sleeps = []
    monkeypatch.setattr(botocore.endpoint.time, "sleep", sleeps.append)
    state["sleeps"] = sleeps
    yield "http://127.0.0.1:%d" % server.server_address[1], state
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("mode", ["standard", "adaptive"])
def test_client_uses_botocore_retry_mode(mode):
    helper = _aws.AWSHelper(Module(retry_mode=mode, max_attempts=3))
    assert helper.client("sqs").meta.config.retries == {"total_max_attempts": 3, "mode": mode}


def test_default_mode_is_standard():
    spec = _aws.aws_argument_spec()["retry_mode"]
    assert spec["default"] == "standard" and spec["choices"] == ["standard", "adaptive"]
    assert _aws.setting("retry_mode") == "storage_aws_retry_mode (module option retry_mode)"


def test_unknown_mode_fails_naming_the_variable():
    with pytest.raises(AssertionError, match="storage_aws_retry_mode"):
        _aws.AWSHelper(Module(retry_mode="legacy"))


def test_throttling_is_retried_by_botocore_only_max_attempts_requests(s3):
    url, state = s3
    helper = _aws.AWSHelper(Module(endpoint_url=url, max_attempts=3))
    with pytest.raises(ClientError) as err:
        helper.call("s3", "get_bucket_cors", Bucket="wandb-files")
    assert _aws.error_code(err.value) == "SlowDown"
    assert len(state["requests"]) == 3  # three attempts in all: not three times three
    # Full jitter: each pause is drawn from [0, 2^attempt) seconds.
    backoffs = [s for s in state["sleeps"] if s]
    assert len(state["sleeps"]) >= 2 and all(0 <= s < 2 ** (i + 1) for i, s in enumerate(state["sleeps"][:2]))
    assert all(s < 20 for s in backoffs)


def test_operation_aborted_is_not_retried(s3):
    url, state = s3
    state.update(status=409, code="OperationAborted")
    helper = _aws.AWSHelper(Module(endpoint_url=url, max_attempts=4))
    with pytest.raises(ClientError) as err:
        helper.call("s3", "get_bucket_cors", Bucket="wandb-files")
    assert len(state["requests"]) == 1
    assert "wait a minute and run again" in _aws.hint_for(err.value)
