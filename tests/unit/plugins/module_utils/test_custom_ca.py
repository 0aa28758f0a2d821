"""module_utils/_custom_ca (custom CA certificates of the pre-flights) against a local HTTPS server whose certificate an
internal CA signed (openssl, tests/support/tls.py): the system CAs plus the custom ones are trusted, an unknown CA
fails naming wandb_server_ca_certificates, a wrong name or a bad PEM says what it is; the WandbApi client and the
admin_check module with ca_certificates; the lookup that turns controller files and PEM texts into PEM texts."""
from __future__ import annotations

import json
import os
import ssl
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from ansible.errors import AnsibleLookupError
from ansible.parsing.dataloader import DataLoader

from ansible_collections.wandb_local.server.plugins.lookup.ca_certificates import LookupModule
from ansible_collections.wandb_local.server.plugins.module_utils import _custom_ca
from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import (
    CAError,
    bundle_file,
    bundle_text,
    describe_tls_failure,
    is_unknown_ca,
    pem_problems,
    ssl_context,
)
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import WandbApi, WandbApiError
from ansible_collections.wandb_local.server.plugins.modules import admin_check

from support.tls import make_tls

KEY = "local-" + "c0ffee" * 6 + "abcd"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        self._answer(200 if self.path == "/ready" else 404, b"ok")

    def do_POST(self):  # noqa: N802 - http.server API
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        viewer = {"id": "1", "username": "admin", "email": "admin@example.com", "admin": True}
        self._answer(200, json.dumps({"data": {"viewer": viewer}}).encode())

    def _answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """An internal CA with a certificate for 127.0.0.1, another for a name this host never connects to, and an
    unrelated CA."""
    good = make_tls(tmp_path_factory.mktemp("good"), "unit internal CA", other_ca=True)
    wrong_name = make_tls(tmp_path_factory.mktemp("wrong"), "unit internal CA 2", san="DNS:elsewhere.example")
    return {"ca": good["ca"].read_text(), "other_ca": good["other_ca"].read_text(), "good": good,
            "wrong_name": wrong_name, "wrong_name_ca": wrong_name["ca"].read_text()}


def _serve(paths):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(paths["cert"]), str(paths["key"]))
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return httpd, thread, "https://127.0.0.1:%d" % httpd.server_address[1]


@pytest.fixture(scope="module")
def https_url(pki):
    httpd, thread, url = _serve(pki["good"])
    yield url
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


@pytest.fixture(scope="module")
def wrong_name_url(pki):
    httpd, thread, url = _serve(pki["wrong_name"])
    yield url
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def _get(url, context):
    return urllib.request.urlopen(url + "/ready", context=context, timeout=5).status  # noqa: S310 - https only


# -- pem_problems / ssl_context / bundle -----------------------------------------------------------------------------

def test_pem_problems(pki):
    assert pem_problems(pki["ca"]) == []
    assert "private key" in pem_problems(pki["ca"] + "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----")[0]
    assert "not a PEM certificate" in pem_problems("hello")[0]
    assert "not a PEM certificate" in pem_problems("")[0]


def test_no_custom_certificates_no_context():
    assert ssl_context() is None and ssl_context("/some/file.pem", []) is None


def test_context_trusts_the_system_cas_and_the_custom_ones(pki, https_url):
    context = ssl_context(None, [pki["ca"]])
    assert _get(https_url, context) == 200
    # the system CAs are still there (Debian's bundle has well over one CA)
    assert context.cert_store_stats()["x509_ca"] > 1


def test_unknown_ca_is_named_as_such(pki, https_url):
    with pytest.raises(Exception) as refused:
        _get(https_url, ssl_context(None, [pki["other_ca"]]))
    assert is_unknown_ca(refused.value)
    text = describe_tls_failure(refused.value, "the thing at " + https_url)
    assert text.startswith("the TLS certificate of the thing at %s could not be verified: it is signed by a CA this "
                           "host does not trust" % https_url)
    assert "wandb_server_ca_certificates" in text


def test_a_wrong_name_is_not_called_an_unknown_ca(pki, wrong_name_url):
    with pytest.raises(Exception) as refused:
        _get(wrong_name_url, ssl_context(None, [pki["wrong_name_ca"]]))
    assert not is_unknown_ca(refused.value)
    text = describe_tls_failure(refused.value, wrong_name_url)
    assert "could not be verified" in text and "issued for the name" in text
    assert "wandb_server_ca_certificates" not in text


def test_other_errors_are_not_tls_failures():
    assert describe_tls_failure(ConnectionRefusedError("refused"), "x") is None
    assert not is_unknown_ca(ValueError("nope"))


def test_a_bad_certificate_names_the_item(pki):
    with pytest.raises(CAError, match=r"ca_certificates item 1 \(wandb_server_ca_certificates item 1\): it is not"):
        ssl_context(None, [pki["ca"], "junk"])
    bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
    with pytest.raises(CAError, match="item 0.*cannot be loaded"):
        ssl_context(None, [bad])


def test_validate_certs_false_verifies_nothing(pki, https_url):
    assert _get(https_url, ssl_context(None, [pki["other_ca"]], validate_certs=False)) == 200


def test_bundle_has_the_system_cas_then_the_custom_ones(pki, tmp_path):
    system = _custom_ca.system_bundle()
    assert system and os.path.isfile(system)
    text = bundle_text(None, [pki["ca"]])
    assert text.endswith(pki["ca"].strip() + "\n")
    assert text.count("BEGIN CERTIFICATE") > 2
    only_file = tmp_path / "only.pem"
    only_file.write_text(pki["other_ca"])
    assert bundle_text(str(only_file), [pki["ca"]]).count("BEGIN CERTIFICATE") == 2


def test_bundle_file_is_private_and_cleaned_up(pki, tmp_path):
    class Module:
        tmpdir = str(tmp_path)
        cleanup = []

        def add_cleanup_file(self, path):
            self.cleanup.append(path)

    module = Module()
    assert bundle_file(module, None, []) is None
    path = bundle_file(module, None, [pki["ca"]])
    assert module.cleanup == [path] and os.stat(path).st_mode & 0o777 == 0o600
    context = ssl.create_default_context(cafile=path)
    assert context.cert_store_stats()["x509_ca"] > 1


# -- the W&B API client and admin_check -----------------------------------------------------------------------------

def test_wandb_api_trusts_the_custom_ca(pki, https_url):
    api = WandbApi(https_url, api_key=KEY, ca_certificates=[pki["ca"]], retries=0, timeout=5)
    assert api.viewer()["username"] == "admin"


def test_wandb_api_unknown_ca_names_the_variable(https_url):
    api = WandbApi(https_url, api_key=KEY, retries=0, timeout=5)
    with pytest.raises(WandbApiError, match="wandb_server_ca_certificates"):
        api.viewer()


def test_admin_check_with_and_without_the_ca(run_module, pki, https_url):
    args = {"base_url": https_url, "api_key": KEY, "retries": 0, "timeout": 5}
    refused = run_module(admin_check, args)
    assert refused.failed and "could not be verified" in refused["msg"], refused
    assert "wandb_server_ca_certificates" in refused["msg"]
    accepted = run_module(admin_check, dict(args, ca_certificates=[pki["ca"]]))
    assert not accepted.failed and accepted["viewer"]["username"] == "admin", accepted
    bad = run_module(admin_check, dict(args, ca_certificates=["junk"]))
    assert bad.failed and "ca_certificates item 0" in bad["msg"]


# -- the lookup ------------------------------------------------------------------------------------------------------

def _lookup(terms):
    return LookupModule(loader=DataLoader()).run(terms, variables={})


def test_lookup_reads_files_and_keeps_texts_in_order(pki, tmp_path):
    path = tmp_path / "internal-ca.pem"
    path.write_text("\n\n" + pki["ca"] + "\n\n")
    assert _lookup([str(path), pki["other_ca"]]) == [pki["ca"].strip() + "\n", pki["other_ca"].strip() + "\n"]
    assert _lookup([]) == []


@pytest.mark.parametrize("term, says", [
    ("/nonexistent/ca.pem", "no such file on the controller"),
    ("", "an empty string"),
    ("-----BEGIN RSA PRIVATE KEY-----\nSECRETKEYDATA\n-----END RSA PRIVATE KEY-----", "contains a private key"),
])
def test_lookup_refuses_what_is_no_certificate(pki, term, says):
    with pytest.raises(AnsibleLookupError) as refused:
        _lookup([pki["ca"], term])
    assert "wandb_server_ca_certificates item 1" in str(refused.value) and says in str(refused.value)
    assert "SECRETKEYDATA" not in str(refused.value)


def test_lookup_refuses_a_file_that_holds_no_certificate(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("just text\n")
    with pytest.raises(AnsibleLookupError, match=r"item 0 \(.*notes.txt\): it is not a PEM certificate"):
        _lookup([str(path)])
