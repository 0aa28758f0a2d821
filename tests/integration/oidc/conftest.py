"""A real OpenID Connect provider (npm oidc-provider 9.13, tests/fixtures/oidc_provider) on 127.0.0.1.

``start_provider(**env)`` starts ``node server.mjs`` with the given settings (see server.mjs) on a free port
(under ``timeout``, own process group: tests/support/procs.py), waits (bounded) for its "listening" line and stops
it at the end of the session. ``npm ci`` runs once in the fixture directory when node_modules is missing. Also a
tiny local HTTP server that serves a Cognito-style discovery document (real AWS is not reachable here) and records
every request it gets.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from support.procs import BackgroundProcess, free_port
from support.tls import make_tls

FIXTURE_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "oidc_provider"
REDIRECT = "http://127.0.0.1:8080/oidc/callback"


def _npm_ci():
    if (FIXTURE_DIR / "node_modules" / "oidc-provider").is_dir():
        return
    if not shutil.which("npm"):
        pytest.fail("node/npm are needed for the OIDC tests (Node 20+)")
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=FIXTURE_DIR, check=True, timeout=300,
                   capture_output=True)


@pytest.fixture(scope="session")
def start_provider(tmp_path_factory):
    _npm_ci()
    procs = []

    def start(**settings):
        port = free_port()
        env = dict(OIDC_PORT=str(port), OIDC_REDIRECT=REDIRECT)
        env.update({"OIDC_" + k.upper(): str(v) for k, v in settings.items()})
        proc = BackgroundProcess(["node", "server.mjs"], tmp_path_factory.mktemp("oidc") / "provider.log",
                                 seconds=1800, env=env, cwd=FIXTURE_DIR, capture_stdout=True).start()
        procs.append(proc)
        line = proc.read_line(30)
        if not line.startswith("listening "):
            raise RuntimeError("oidc-provider did not start: %r; log: %s" % (line, proc.log_text()[-2000:]))
        return {"issuer": line.split(" ", 1)[1].strip(), "port": port}

    yield start
    for proc in procs:
        proc.stop()


@pytest.fixture(scope="session")
def provider(start_provider):
    """Implicit (form_post) and PKCE clients, scopes openid profile email."""
    return start_provider()


@pytest.fixture(scope="session")
def provider_without_pkce(start_provider):
    """Only the implicit grant: no response type code, no code_challenge_methods_supported."""
    return start_provider(no_pkce=1)


@pytest.fixture(scope="session")
def provider_without_email_scope(start_provider):
    return start_provider(scopes="openid profile")


@pytest.fixture(scope="session")
def tls_material(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("oidc-tls"), "wandb-local test IdP CA")


@pytest.fixture(scope="session")
def tls_provider(start_provider, tls_material):
    return start_provider(tls_cert=tls_material["cert"], tls_key=tls_material["key"])


COGNITO_ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_uiIFNdacd"


@pytest.fixture()
def cognito_fake():
    """Serves a discovery document shaped like Cognito's (issuer on cognito-idp, response types code and token,
    no code_challenge_methods_supported) at the discovery path; records every request."""
    requests = []
    document = {
        "issuer": COGNITO_ISSUER,
        "authorization_endpoint": "https://example.auth.us-east-1.amazoncognito.com/oauth2/authorize",
        "token_endpoint": "https://example.auth.us-east-1.amazoncognito.com/oauth2/token",
        "jwks_uri": COGNITO_ISSUER + "/.well-known/jwks.json",
        "userinfo_endpoint": "https://example.auth.us-east-1.amazoncognito.com/oauth2/userInfo",
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    }

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server API
            requests.append(("GET", self.path))
            if self.path != "/us-east-1_uiIFNdacd/.well-known/openid-configuration":
                self.send_error(404)
                return
            body = json.dumps(document).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    yield {"issuer": COGNITO_ISSUER, "requests": requests,
           "discovery_url": "http://127.0.0.1:%d/us-east-1_uiIFNdacd/.well-known/openid-configuration" % port}
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
