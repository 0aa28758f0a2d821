# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real components for the front door tests, each started by the test and stopped after it.

- `Proxy`: Caddy from Debian's `caddy` package as a process of the test (no systemd here). It starts with a bootstrap
  Caddyfile that only opens its admin endpoint on a free port; the role writes the real configuration and loads it with
  `caddy reload` (front_door_manage_service: false + front_door_reload_command, as documented for hosts without
  systemd). Its ports are free 127.0.0.1 ports; its data (ACME account and certificates) in the test's directory.
- `Pebble`: Debian's `pebble` ACME test server on 127.0.0.1 (PEBBLE_VA_ALWAYS_VALID=1: challenges are not checked,
  so the test names need no DNS), with External Account Binding required, and its own TLS certificate from a test CA.
- `ConnectProxy`: an HTTP CONNECT proxy in the test process that sends the test names to 127.0.0.1 and refuses every
  other destination - curl's --resolve for clients that cannot be given an address (the wandb SDK and its Go core:
  HTTPS_PROXY), so /etc/hosts is never touched. TLS stays end to end between the client and the front door.
- `request()`: HTTPS (or HTTP) to 127.0.0.1 with the test name as SNI and Host, trusting a given CA.
- `wandb_login()`: the real wandb SDK (`wandb login --host https://NAME:PORT KEY`) in an isolated home, through the
  CONNECT proxy, with the CA given as SSL_CERT_FILE and/or REQUESTS_CA_BUNDLE.
"""
from __future__ import annotations

import base64
import hashlib
import http.client
import json
import os
import secrets
import select
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import warnings
from pathlib import Path

from support.procs import LOCALHOST, BackgroundProcess, free_ports, wait_until
from support.tls import make_tls

DOMAIN = "front-door.test"
VENV_BIN = Path(sys.executable).parent
WANDB_CLI = VENV_BIN / "wandb"


def name(label: str) -> str:
    """A test name: <label>.front-door.test (never resolved: the clients here connect to 127.0.0.1)."""
    return "%s.%s" % (label, DOMAIN)


class Proxy:
    """Caddy run by the test; `inventory_vars()` are the front_door_* settings that point the role at it."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.https_port, self.http_port, self.admin_port = free_ports(3)
        self.config_file = self.root / "caddy" / "Caddyfile"
        self.sites_dir = self.root / "caddy" / "wandb.d"
        self.tls_dir = self.root / "caddy" / "tls"
        self.ca_dir = self.root / "ca"
        self.public_ca = self.root / "public" / "wandb-front-door-ca.crt"
        self.log = self.root / "caddy.log"
        boot = self.root / "boot.caddy"
        boot.write_text("{\n\tadmin 127.0.0.1:%d\n}\n" % self.admin_port)
        home = self.root / "home"
        env = {"HOME": str(home), "XDG_DATA_HOME": str(home / "data"), "XDG_CONFIG_HOME": str(home / "config")}
        self.process = BackgroundProcess(["caddy", "run", "--adapter", "caddyfile", "--config", boot], self.log,
                                         seconds=3600, env=env, ready_ports=[self.admin_port]).start()
        self.process.wait_ready(30)

    def inventory_vars(self) -> dict:
        return {
            "front_door_https_port": self.https_port,
            "front_door_http_port": self.http_port,
            "front_door_admin_address": "127.0.0.1:%d" % self.admin_port,
            "front_door_listen_addresses": [LOCALHOST],
            "front_door_config_file": str(self.config_file),
            "front_door_sites_dir": str(self.sites_dir),
            "front_door_tls_dir": str(self.tls_dir),
            "front_door_internal_ca_dir": str(self.ca_dir),
            "front_door_internal_ca_public_file": str(self.public_ca),
            "front_door_manage_service": False,
            "front_door_reload_command": ["caddy", "reload", "--config", str(self.config_file), "--force"],
        }

    def caddy_pid(self) -> int:
        """The caddy process (the child of `timeout`)."""
        children = Path("/proc/%d/task/%d/children" % (self.process.pid, self.process.pid)).read_text().split()
        return int(children[0])

    def peak_rss_kib(self) -> int:
        """The most memory the proxy has held (VmHWM), in KiB."""
        for line in Path("/proc/%d/status" % self.caddy_pid()).read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM for the proxy")

    def log_text(self) -> str:
        return self.process.log_text()

    def stop(self) -> None:
        self.process.stop()


class Pebble:
    """Debian's pebble: ACME directory on 127.0.0.1, EAB required, challenges always valid."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        tls = make_tls(self.root, "pebble test TLS CA", san="IP:127.0.0.1")
        self.tls_ca = tls["ca"]  # signed pebble's own HTTPS certificate (the role's front_door_acme_ca_root)
        listen, management, http_port, tls_port = free_ports(4)
        self.eab_key_id = "kid-" + secrets.token_hex(4)
        self.eab_hmac_key = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        config = self.root / "pebble.json"
        config.write_text(json.dumps({"pebble": {
            "listenAddress": "127.0.0.1:%d" % listen, "managementListenAddress": "127.0.0.1:%d" % management,
            "certificate": str(tls["cert"]), "privateKey": str(tls["key"]),
            "httpPort": http_port, "tlsPort": tls_port, "ocspResponderURL": "",
            "externalAccountBindingRequired": True,
            "externalAccountMACKeys": {self.eab_key_id: self.eab_hmac_key}}}))
        self.directory = "https://127.0.0.1:%d/dir" % listen
        self.management = "https://127.0.0.1:%d" % management
        env = {"PEBBLE_VA_ALWAYS_VALID": "1", "PEBBLE_VA_NOSLEEP": "1", "PEBBLE_WFE_NONCEREJECT": "0"}
        self.process = BackgroundProcess(["pebble", "-config", config], self.root / "pebble.log", seconds=3600,
                                         env=env, ready_ports=[listen, management]).start()
        self.process.wait_ready(30)

    def root_pem(self) -> str:
        """The root of the chains pebble issues (generated at its start): what clients must trust."""
        context = ssl.create_default_context(cafile=str(self.tls_ca))
        conn = http.client.HTTPSConnection("127.0.0.1", int(self.management.rsplit(":", 1)[1]), context=context,
                                           timeout=10)
        try:
            conn.request("GET", "/roots/0")
            response = conn.getresponse()
            assert response.status == 200, response.status
            return response.read().decode()
        finally:
            conn.close()

    def stop(self) -> None:
        self.process.stop()


class _ConnectHandler(socketserver.StreamRequestHandler):
    def handle(self):
        request_line = self.rfile.readline(8192).decode("latin-1").split()
        while self.rfile.readline(8192) not in (b"\r\n", b"\n", b""):
            pass
        if len(request_line) < 2 or request_line[0] != "CONNECT":
            self.wfile.write(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        host, _sep, port = request_line[1].rpartition(":")
        self.server.seen.append(request_line[1])
        if host not in self.server.names:
            self.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return
        try:
            upstream = socket.create_connection((LOCALHOST, int(port)), timeout=10)
        except OSError:
            self.wfile.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            return
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        sockets = [self.connection, upstream]
        try:
            while True:
                readable, _w, _x = select.select(sockets, [], [], 120)
                if not readable:
                    return
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    (upstream if sock is self.connection else self.connection).sendall(data)
        finally:
            upstream.close()


class ConnectProxy(socketserver.ThreadingTCPServer):
    """CONNECT to one of `names` goes to 127.0.0.1 (same port); anything else is refused (403). `seen` lists every
    CONNECT target asked for."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, names):
        super().__init__((LOCALHOST, 0), _ConnectHandler)
        self.names = set(names)
        self.seen = []
        self.url = "http://%s:%d" % (LOCALHOST, self.server_address[1])
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class _Connection(http.client.HTTPSConnection):
    """HTTPS to 127.0.0.1 with `server_name` as SNI (and, by the caller, Host)."""

    def __init__(self, server_name, port, context, timeout):
        super().__init__(server_name, port, timeout=timeout, context=context)
        self._sni, self._ctx = server_name, context

    def connect(self):
        self.sock = self._ctx.wrap_socket(socket.create_connection((LOCALHOST, self.port), self.timeout),
                                          server_hostname=self._sni)


def client_context(ca_file=None, maximum=None, minimum=None) -> ssl.SSLContext:
    """A client context trusting only `ca_file` (or nothing: no verification), within the TLS versions given."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if ca_file:
        context.load_verify_locations(cafile=str(ca_file))
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if minimum is not None or maximum is not None:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS < 1.2 at its default security level
    with warnings.catch_warnings():  # TLS 1.1 is deprecated: that is what the test is about
        warnings.simplefilter("ignore", DeprecationWarning)
        if minimum is not None:
            context.minimum_version = minimum
        if maximum is not None:
            context.maximum_version = maximum
    return context


class Answer:
    def __init__(self, status, headers, body, cert_der, tls_version):
        self.status, self.headers, self.body, self.cert_der, self.tls_version = (status, headers, body, cert_der,
                                                                                 tls_version)

    def json(self):
        return json.loads(self.body)


def request(server_name, port, path="/", ca_file=None, method="GET", body=None, headers=None, scheme="https",
            timeout=60) -> Answer:
    """One request to 127.0.0.1:port as https://server_name:port (or http://), following no redirect."""
    headers = dict({"Host": "%s:%d" % (server_name, port)}, **(headers or {}))
    if scheme == "https":
        conn = _Connection(server_name, port, client_context(ca_file), timeout)
    else:
        conn = http.client.HTTPConnection(LOCALHOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        cert = conn.sock.getpeercert(binary_form=True) if scheme == "https" else None
        version = conn.sock.version() if scheme == "https" else ""
        return Answer(response.status, {key.lower(): value for key, value in response.getheaders()}, data, cert,
                      version)
    finally:
        conn.close()


def handshake(server_name, port, context, timeout=10) -> str:
    """The TLS version a handshake with 127.0.0.1:port under `context` agrees on (ssl.SSLError if refused)."""
    with socket.create_connection((LOCALHOST, port), timeout=timeout) as sock:
        with context.wrap_socket(sock, server_hostname=server_name) as tls:
            return tls.version()


class LegacyTLSServer:
    """A TLS server that accepts TLS 1.1 (and only up to it), so a test can prove its client really offers TLS 1.1."""

    def __init__(self, cert, key):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1_1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.load_cert_chain(str(cert), str(key))
        self._context = context
        self._sock = socket.socket()
        self._sock.bind((LOCALHOST, 0))
        self._sock.listen(4)
        self._sock.settimeout(10)
        self.port = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        try:
            conn, _addr = self._sock.accept()
            with self._context.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)
        except (OSError, ssl.SSLError):
            pass

    def stop(self):
        self._sock.close()
        self._thread.join(10)


def random_body(size: int, chunk: int = 1 << 20):
    """(iterable of `size` random-looking bytes made on the fly, its sha256 hex): a large body never held in memory."""
    seed = secrets.token_bytes(32)

    def blocks():
        produced, counter = 0, 0
        while produced < size:
            block = hashlib.sha256(seed + counter.to_bytes(8, "big")).digest() * (chunk // 32)
            block = block[:size - produced]
            produced += len(block)
            counter += 1
            yield block

    digest = hashlib.sha256()
    for block in blocks():
        digest.update(block)
    return blocks, digest.hexdigest()


def sdk_env(home: Path, connect_proxy: ConnectProxy, ca: dict) -> dict:
    """The environment of an isolated wandb SDK run: its own HOME/config/netrc, no WANDB_* inherited, every HTTPS
    connection through the CONNECT proxy (which reaches only the test names), `ca` added (SSL_CERT_FILE and/or
    REQUESTS_CA_BUNDLE)."""
    (home / "tmp").mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.upper().startswith(("WANDB_", "HTTP", "NO_PROXY", "SSL_CERT", "REQUESTS_CA", "CURL_CA"))}
    env.update({
        "PATH": "%s:%s" % (VENV_BIN, os.environ.get("PATH", "/usr/bin:/bin")),
        "HOME": str(home), "WANDB_CONFIG_DIR": str(home / ".config" / "wandb"), "WANDB_DIR": str(home),
        "WANDB_CACHE_DIR": str(home / ".cache"), "WANDB_DATA_DIR": str(home / ".data"),
        "NETRC": str(home / ".netrc"), "TMPDIR": str(home / "tmp"), "WANDB_ERROR_REPORTING": "false",
        "https_proxy": connect_proxy.url, "HTTPS_PROXY": connect_proxy.url,
        "http_proxy": connect_proxy.url, "HTTP_PROXY": connect_proxy.url,
        "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost",
    })
    env.update({key: str(value) for key, value in ca.items()})
    return env


def wandb_login(url: str, key: str, env: dict, timeout: int = 120) -> subprocess.CompletedProcess:
    """`wandb login --host URL KEY` (the real SDK from the test venv)."""
    return subprocess.run([str(WANDB_CLI), "login", "--host", url, key], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def wait_for(check, what, seconds=60):
    wait_until(check, what, seconds, interval=0.5)
