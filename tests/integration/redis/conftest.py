"""A real redis-server (Debian's redis-server 7) on 127.0.0.1 for the Redis tests.

One server per test session: a plain port and a TLS port (certificate signed by a CA made here with openssl,
subjectAltName IP:127.0.0.1), ``requirepass`` for the default user and an ACL user ``wandb``. Stopped by the
fixture's finalizer; every wait is bounded.
"""
from __future__ import annotations

import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

DEFAULT_PASSWORD = "s3cr3t:p@ss/w0rd?#"
ACL_USER = "wandb"
ACL_PASSWORD = "acl-Pa55%word&x"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def make_tls(directory: Path) -> dict:
    """A CA and a server certificate for 127.0.0.1 signed by it (openssl, bounded)."""
    def run(*args):
        subprocess.run(args, cwd=directory, check=True, capture_output=True, timeout=60)

    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
        "-days", "2", "-subj", "/CN=wandb-local test CA")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1")
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "server.pem", "-days", "2", "-extfile", "san.ext")
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other-ca.pem",
        "-days", "2", "-subj", "/CN=some other CA")
    return {"ca": directory / "ca.pem", "cert": directory / "server.pem", "key": directory / "server.key",
            "other_ca": directory / "other-ca.pem"}


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("redis-server exited with %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("redis-server did not listen on %d within %ss" % (port, seconds))


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    directory = tmp_path_factory.mktemp("redis")
    tls = make_tls(directory)
    port, tls_port, open_port = free_port(), free_port(), free_port()
    conf = directory / "redis.conf"
    conf.write_text("\n".join([
        "bind 127.0.0.1",
        "port %d" % port,
        "tls-port %d" % tls_port,
        "tls-cert-file %s" % tls["cert"],
        "tls-key-file %s" % tls["key"],
        "tls-ca-cert-file %s" % tls["ca"],
        "tls-auth-clients no",
        "daemonize no",
        'save ""',
        "appendonly no",
        "dir %s" % directory,
        'requirepass "%s"' % DEFAULT_PASSWORD,
        "user %s on >%s ~* &* +@all" % (ACL_USER, ACL_PASSWORD),
        "",
    ]))
    conf.chmod(0o600)
    log = open(directory / "redis.log", "wb")
    proc = subprocess.Popen(["timeout", "1800", "redis-server", str(conf)], stdout=log, stderr=subprocess.STDOUT)
    # a second server without any password, to prove the "password given but none configured" message
    open_conf = directory / "open.conf"
    open_conf.write_text('bind 127.0.0.1\nport %d\nsave ""\nappendonly no\ndir %s\n' % (open_port, directory))
    open_proc = subprocess.Popen(["timeout", "1800", "redis-server", str(open_conf)], stdout=log,
                                 stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        wait_for_port(tls_port, proc)
        wait_for_port(open_port, open_proc)
        yield {"port": port, "tls_port": tls_port, "open_port": open_port, "password": DEFAULT_PASSWORD,
               "acl_user": ACL_USER, "acl_password": ACL_PASSWORD, **tls, "dir": directory}
    finally:
        for p in (proc, open_proc):
            p.terminate()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=10)
        log.close()
