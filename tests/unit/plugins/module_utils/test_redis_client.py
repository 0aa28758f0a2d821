"""Unit tests of the hand-written RESP client (_redis.RedisClient) over a socket pair: what it sends, how it reads
every RESP2 reply type, and the message of each failure (the real redis-server cases are in tests/integration/redis).
"""
from __future__ import annotations

import socket
import ssl
import threading

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _redis
from ansible_collections.wandb_local.server.plugins.module_utils._redis import (
    RedisClient,
    RedisError,
    RedisReplyError,
    _encode_command,
)


@pytest.fixture
def pair():
    """(client connected to one end of a socket pair, the other end as the "server"); 0.3 s reads."""
    ours, theirs = socket.socketpair()
    ours.settimeout(0.3)
    theirs.settimeout(2)
    client = RedisClient("redis.example", 6380, timeout=0.3)
    client._sock = ours  # pylint: disable=protected-access
    yield client, theirs
    client.close()
    theirs.close()


def answer(server, data):
    server.sendall(data)


def sent(server):
    return server.recv(65536)


def test_commands_are_resp_arrays_of_bulk_strings():
    assert _encode_command(["AUTH", "wandb", "p:ä s"]) == (
        b"*3\r\n$4\r\nAUTH\r\n$5\r\nwandb\r\n$6\r\np:\xc3\xa4 s\r\n")
    assert _encode_command(["SELECT", 2]) == b"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"


@pytest.mark.parametrize("data, value", [
    (b"+PONG\r\n", "PONG"),
    (b":42\r\n", 42),
    (b"$5\r\nab\r\nc\r\n", "ab\r\nc"),
    (b"$-1\r\n", None),
    (b"*-1\r\n", None),
    (b"*2\r\n$1\r\na\r\n:7\r\n", ["a", 7]),
])
def test_every_resp2_reply_type(pair, data, value):
    client, server = pair
    answer(server, data)
    assert client.command("X") == value


def test_a_reply_split_across_reads(pair):
    client, server = pair
    answer(server, b"$13\r\nredis_v")
    server.sendall(b"ersion\r\n")
    assert client.command("X") == "redis_version"


def test_error_reply_keeps_its_code(pair):
    client, server = pair
    answer(server, b"-NOPERM this user has no permissions\r\n")
    with pytest.raises(RedisReplyError) as caught:
        client.command("X")
    assert caught.value.code == "NOPERM"


def test_auth_sends_user_and_password_and_nothing_without_them(pair):
    client, server = pair
    answer(server, b"+OK\r\n")
    assert client.auth("wandb", "pw") == "OK"
    assert sent(server) == _encode_command(["AUTH", "wandb", "pw"])
    answer(server, b"+OK\r\n")
    client.auth(None, "pw")
    assert sent(server) == _encode_command(["AUTH", "pw"])
    assert client.auth(None, None) is None


@pytest.mark.parametrize("reply, user, message", [
    (b"-WRONGPASS invalid username-password pair or user is disabled.\r\n", "wandb",
     "refused the password for user 'wandb' (WRONGPASS): check the password"),
    (b"-ERR invalid password\r\n", None, "refused the password for the default user (WRONGPASS)"),
    (b"-ERR AUTH <password> called without any password configured for the default user.\r\n", None,
     "has no password configured but one was given"),
    (b"-ERR Client sent AUTH, but no password is set\r\n", None, "has no password configured"),
    (b"-ERR something else\r\n", "wandb", "refused AUTH for user 'wandb': ERR something else"),
])
def test_auth_failures_say_what_to_fix_without_the_password(pair, reply, user, message):
    client, server = pair
    answer(server, reply)
    with pytest.raises(RedisError) as caught:
        client.auth(user, "Secret-Pw-1")
    assert message in str(caught.value) and "Secret-Pw-1" not in str(caught.value)
    assert "redis.example:6380" in str(caught.value)


@pytest.mark.parametrize("reply, message", [
    (b"-NOAUTH Authentication required.\r\n", "requires authentication (NOAUTH): give its password"),
    (b"-NOPERM no permissions to run 'ping'\r\n", "has no permission for PING"),
    (b"-LOADING Redis is loading the dataset in memory\r\n", "PING to Redis at redis.example:6380 failed: LOADING"),
    (b"+NOTPONG\r\n", "answered 'NOTPONG' instead of PONG"),
])
def test_ping_failures(pair, reply, message):
    client, server = pair
    answer(server, reply)
    with pytest.raises(RedisError, match=message.replace("(", r"\(").replace(")", r"\)")):
        client.ping()


def test_select_and_info(pair):
    client, server = pair
    answer(server, b"-ERR DB index is out of range\r\n")
    with pytest.raises(RedisError, match="SELECT 99 on Redis at redis.example:6380 failed"):
        client.select(99)
    text = b"# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\n"
    answer(server, b"$%d\r\n%s\r\n" % (len(text), text))
    assert client.info_server() == {"redis_version": "7.0.15", "redis_mode": "standalone"}
    answer(server, b"-NOPERM no permissions to run 'info'\r\n")
    assert not client.info_server()


def test_no_answer_is_a_timeout_naming_the_bound(pair):
    client, _server = pair
    with pytest.raises(RedisError, match=r"Redis at redis.example:6380 did not answer within 0.3s"):
        client.ping()


def test_closed_connection_hints_at_tls(pair):
    client, server = pair
    server.shutdown(socket.SHUT_WR)
    with pytest.raises(RedisError, match="closed the connection.*set tls=true"):
        client.ping()


def test_not_resp_hints_at_tls(pair):
    client, server = pair
    answer(server, b"\x15\x03\x01\x00\x02\x02\x16\r\n")  # a TLS alert where a reply should be
    with pytest.raises(RedisError, match="not RESP; if the port speaks TLS, set tls=true"):
        client.ping()


def test_oversized_reply_line_is_refused(pair):
    client, server = pair
    client.timeout = 5
    client._sock.settimeout(5)  # pylint: disable=protected-access
    feeder = threading.Thread(target=lambda: _send_quietly(server, b"+" + b"x" * (1024 * 1024 + 65536)))
    feeder.start()
    try:
        with pytest.raises(RedisError, match="oversized reply line"):
            client.ping()
    finally:
        client.close()
        feeder.join(10)


def _send_quietly(sock, data):
    try:
        sock.sendall(data)
    except OSError:
        pass  # the client gave up reading, as it should


def test_connection_refused_names_the_address():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(RedisError, match="cannot connect to Redis at 127.0.0.1:%d: .*that Redis is running" % port):
        RedisClient("127.0.0.1", port, timeout=1).connect()


def _tls_failure(monkeypatch, exc):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)

        def refuse(*_args, **_kwargs):
            raise exc

        monkeypatch.setattr(ssl.SSLContext, "wrap_socket", refuse)
        with pytest.raises(RedisError) as caught:
            RedisClient("127.0.0.1", listener.getsockname()[1], tls=True, timeout=1).connect()
    return str(caught.value)


def _verification_error(code, text):
    exc = ssl.SSLCertVerificationError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: %s" % text)
    exc.verify_code = code
    exc.verify_message = text
    return exc


def test_unknown_ca_names_the_inventory_variable_and_ca_file(monkeypatch):
    message = _tls_failure(monkeypatch, _verification_error(19, "self-signed certificate in certificate chain"))
    assert "wandb_server_ca_certificates" in message and "ca_file" in message
    assert "validate_certs=false" in message


def test_name_mismatch_points_at_server_name_not_the_ca(monkeypatch):
    message = _tls_failure(monkeypatch, _verification_error(
        62, "Hostname mismatch, certificate is not valid for '127.0.0.1'."))
    assert "issued for the name" in message and "server_name" in message
    assert "ca_file" not in message and "wandb_server_ca_certificates" not in message


def test_other_handshake_failure_asks_whether_the_port_speaks_tls(monkeypatch):
    message = _tls_failure(monkeypatch, ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"))
    assert "TLS handshake with Redis at 127.0.0.1" in message and "tls=true needs a TLS port" in message


def test_a_bad_custom_ca_is_named_by_its_index():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = RedisClient("127.0.0.1", listener.getsockname()[1], tls=True, timeout=1,
                             ca_certificates=["not a certificate"])
        with pytest.raises(RedisError, match=r"ca_certificates item 0 \(wandb_server_ca_certificates item 0\)"):
            client.connect()


def test_the_module_needs_only_the_standard_library():
    """The reason the client is hand-written (see the module docstring): nothing to install on the Docker host."""
    source = open(_redis.__file__, encoding="utf-8").read()
    assert "import redis" not in source and "from redis" not in source
