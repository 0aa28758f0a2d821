"""The W&B API client against a tiny local HTTP server: auth header, retries, bounded failures, TLS.

The local server answers the documented public interface only: ``GET /ready`` and ``POST /graphql`` with
``Authorization: Basic base64("api:<key>")`` and a JSON ``{"query", "variables"}`` body; every request is checked.
"""
from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import json
import socket
import ssl
import threading
import time

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import (
    WandbApi,
    WandbApiError,
    WandbAuthError,
)

KEY = "local-" + "ab" * 20


class Script(object):
    """Responses the server gives, in order (the last one repeats), and the requests it saw."""

    def __init__(self):
        self.responses = {}
        self.requests = []

    def next(self, path):
        queue = self.responses.get(path) or [(404, {"error": "not found"})]
        return queue.pop(0) if len(queue) > 1 else queue[0]


def make_handler(script):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def _answer(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.requests.append(dict(method=self.command, path=self.path,
                                        auth=self.headers.get("Authorization"), body=body,
                                        content_type=self.headers.get("Content-Type")))
            if self.path == "/graphql":
                assert self.command == "POST"
                assert self.headers.get("Content-Type") == "application/json"
                doc = json.loads(body)
                assert set(doc) == {"query", "variables"} and "query" in doc["query"].lower()
            status, payload = script.next(self.path)
            raw = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = _answer
        do_POST = _answer

    return Handler


@pytest.fixture
def server():
    script = Script()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.url = "http://127.0.0.1:%d" % httpd.server_address[1]
    script.httpd = httpd
    yield script
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def viewer_ok():
    return (200, {"data": {"viewer": {"id": "VXNlcjox", "username": "admin", "email": "a@example.com",
                                      "admin": True, "entity": "admin", "flags": "{}",
                                      "teams": {"edges": []}}}})


def client(url, **kw):
    sleeps = []
    kw.setdefault("retries", 3)
    kw.setdefault("backoff", 0.01)
    kw.setdefault("timeout", 2)
    api = WandbApi(url, api_key=KEY, sleep=lambda s: (sleeps.append(s), time.sleep(s)), **kw)
    return api, sleeps


def test_viewer_sends_basic_api_key(server):
    server.responses["/graphql"] = [viewer_ok()]
    api, sleeps = client(server.url)
    assert api.viewer()["username"] == "admin"
    req = server.requests[0]
    assert req["method"] == "POST" and req["path"] == "/graphql"
    assert base64.b64decode(req["auth"].split(" ", 1)[1]).decode() == "api:" + KEY
    assert req["auth"].startswith("Basic ")
    assert "viewer" in json.loads(req["body"])["query"]
    assert sleeps == []


def test_5xx_then_success_is_retried_with_backoff(server):
    server.responses["/graphql"] = [(503, {}), (502, {}), viewer_ok()]
    api, sleeps = client(server.url)
    assert api.viewer()["email"] == "a@example.com"
    assert api.attempts == 3
    assert sleeps == [0.01, 0.02]  # exponential


def test_persistent_5xx_gives_up_after_retries(server):
    server.responses["/graphql"] = [(500, {})]
    api, sleeps = client(server.url, retries=2)
    with pytest.raises(WandbApiError, match="after 3 attempt"):
        api.viewer()
    assert api.attempts == 3


@pytest.mark.parametrize("status", [401, 403])
def test_401_403_fail_at_once(server, status):
    server.responses["/graphql"] = [(status, {"errors": [{"message": "unauthorized"}]})]
    api, sleeps = client(server.url)
    with pytest.raises(WandbAuthError, match="HTTP %d" % status) as info:
        api.viewer()
    assert info.value.status == status
    assert api.attempts == 1 and sleeps == []
    assert KEY not in str(info.value)


def test_null_viewer_is_a_refused_key(server):
    server.responses["/graphql"] = [(200, {"data": {"viewer": None}})]
    api, _module = client(server.url)
    with pytest.raises(WandbAuthError, match="viewer is null"):
        api.viewer()


def test_graphql_errors_without_data_raise(server):
    server.responses["/graphql"] = [(200, {"errors": [{"message": "Cannot query field"}]})]
    api, _module = client(server.url)
    with pytest.raises(WandbApiError, match="Cannot query field"):
        api.graphql("query { nope }")


def test_4xx_other_than_auth_is_not_retried(server):
    server.responses["/graphql"] = [(400, {"errors": [{"message": "bad"}]})]
    api, sleeps = client(server.url)
    with pytest.raises(WandbApiError, match="HTTP 400"):
        api.graphql("query { x }")
    assert api.attempts == 1 and sleeps == []


def test_connection_refused_fails_in_bounded_time():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    api, sleeps = client("http://127.0.0.1:%d" % port, retries=4, backoff=0.05, deadline=5)
    start = time.monotonic()
    with pytest.raises(WandbApiError, match="after 5 attempt"):
        api.viewer()
    assert time.monotonic() - start < 5
    assert sleeps == [0.05, 0.1, 0.2, 0.4]


def test_deadline_bounds_retries():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    api, sleeps = client("http://127.0.0.1:%d" % port, retries=100, backoff=0.2, max_backoff=0.2, deadline=1)
    start = time.monotonic()
    with pytest.raises(WandbApiError):
        api.viewer()
    assert time.monotonic() - start < 2
    assert len(sleeps) < 10


def test_wait_ready_polls_until_200(server):
    server.responses["/ready"] = [(503, {}), (503, {}), (200, {"ok": True})]
    api, _module = client(server.url)
    waited = api.wait_ready(timeout=10, interval=0.05)
    assert waited < 5
    assert [r["path"] for r in server.requests] == ["/ready"] * 3
    assert all(r["auth"] is None for r in server.requests)  # /ready is public: no key sent


def test_wait_ready_times_out(server):
    server.responses["/ready"] = [(503, {})]
    api, _module = client(server.url)
    with pytest.raises(WandbApiError, match="did not answer 200 within"):
        api.wait_ready(timeout=0.3, interval=0.05)


def test_base_url_must_be_http():
    with pytest.raises(WandbApiError, match="http"):
        WandbApi("ftp://x")


# -- TLS -------------------------------------------------------------------------------------------------

def _self_signed(tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_server(tmp_path):
    cert, key = _self_signed(tmp_path)
    script = Script()
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(script))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    script.url = "https://127.0.0.1:%d" % httpd.server_address[1]
    script.cert = cert
    script.responses["/graphql"] = [viewer_ok()]
    yield script
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def test_tls_verified_by_default(tls_server):
    api, sleeps = client(tls_server.url)
    with pytest.raises(WandbApiError, match="could not be verified"):
        api.viewer()
    assert sleeps == []  # a certificate problem is not transient


def test_tls_with_ca_path(tls_server):
    api, _module = client(tls_server.url, ca_path=tls_server.cert)
    assert api.viewer()["username"] == "admin"


def test_tls_validate_certs_false(tls_server):
    api, _module = client(tls_server.url, validate_certs=False)
    assert api.viewer()["username"] == "admin"


def test_viewer_falls_back_to_smaller_query_on_schema_errors(server):
    server.responses["/graphql"] = [(422, {"errors": [{"message": 'Cannot query field "admin" on type "User".'}]}),
                                    (200, {"data": {"viewer": {"id": "1", "username": "u", "email": "e"}}})]
    api, sleeps = client(server.url)
    assert api.viewer() == {"id": "1", "username": "u", "email": "e"}
    assert len(server.requests) == 2 and "admin" not in json.loads(server.requests[1]["body"])["query"]
    assert sleeps == []
