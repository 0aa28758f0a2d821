"""A real redis-server (Debian's redis-server 7) on 127.0.0.1 for the Redis tests.

One server per test session: a plain port and a TLS port (certificate signed by a CA made here with openssl,
subjectAltName IP:127.0.0.1), ``requirepass`` for the default user and an ACL user ``wandb``. Stopped by the
fixture's finalizer (each server under ``timeout`` in its own process group: tests/support/procs.py); every wait
is bounded.
"""
from __future__ import annotations

import shutil

import pytest

from support.procs import BackgroundProcess, free_ports
from support.tls import make_tls

DEFAULT_PASSWORD = "s3cr3t:p@ss/w0rd?#"
ACL_USER = "wandb"
ACL_PASSWORD = "acl-Pa55%word&x"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    directory = tmp_path_factory.mktemp("redis")
    tls = make_tls(directory, "wandb-local test CA", san="IP:127.0.0.1,DNS:localhost", other_ca=True)
    port, tls_port, open_port = free_ports(3)
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
    # a second server without any password, to prove the "password given but none configured" message
    open_conf = directory / "open.conf"
    open_conf.write_text('bind 127.0.0.1\nport %d\nsave ""\nappendonly no\ndir %s\n' % (open_port, directory))
    servers = [BackgroundProcess(["redis-server", conf], directory / "redis.log", seconds=1800,
                                 ready_ports=(port, tls_port)).start(),
               BackgroundProcess(["redis-server", open_conf], directory / "redis-open.log", seconds=1800,
                                 ready_ports=(open_port,)).start()]
    try:
        for server in servers:
            server.wait_ready(10)
        yield {"port": port, "tls_port": tls_port, "open_port": open_port, "password": DEFAULT_PASSWORD,
               "acl_user": ACL_USER, "acl_password": ACL_PASSWORD, **tls, "dir": directory}
    finally:
        for server in servers:
            server.stop()
