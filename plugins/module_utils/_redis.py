# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redis connection strings for the W&B server, and a minimal RESP client for a pre-flight PING.

The W&B server reads its external Redis from one connection string (``REDIS``)::

    redis://[user:password@]host:port[?tls=true&caCertPath=/path/in/container&ttlInSeconds=N]

``build_redis_url`` builds it from parts, percent-escaping user and password so any character is safe.
``parse_redis_url`` reads one back (also ``rediss://``, which means TLS). ``RedisClient`` speaks just enough
RESP2 over a plain or TLS socket (standard library only) to ``AUTH [user] password``, ``SELECT``, ``PING`` and
read ``INFO server``, so the same settings the server will use are proven before the server is pointed at them.

Why not redis-py (PyPI ``redis``): this is a deliberate choice, measured against redis-py 8.1.0 and a real
redis-server 7 (README "Dependencies and why").

- Where it runs: ``redis_check`` runs on the Docker host (``redis_run_local`` checks the port published on that
  host's loopback; ``redis_check_host`` may be an address only that host reaches), where the collection needs
  only python3 and the Docker SDK. redis-py would be a new package on every Docker host, not just a pin on the
  controller; Debian 12 ships 4.3.4, PyPI's current release needs Python >= 3.10, and their defaults differ.
- Certificate name: redis-py's ``SSLConnection`` always verifies (and sends as SNI) the host it connects to
  (``wrap_socket(server_hostname=self.host)``); verifying the URL's host while connecting to another address
  (``server_name``) would mean overriding its private ``_wrap_socket_with_ssl``.
- Trust: redis-py always starts from the system CAs and adds ``ssl_ca_certs``/``ssl_ca_data``; it takes no
  ``SSLContext``. ``ca_file`` here means "only this CA" (as Ansible's ``ca_path``), and the custom CAs go through
  the same ``_custom_ca.ssl_context`` as every other pre-flight.
- Bounds: by default it retries 3 times with backoff and negotiates RESP3 (``HELLO``) plus ``CLIENT SETINFO``;
  a port that accepts and never answers took 25.7 s with a 2 s timeout, a wrong password 3 s. Four settings
  fix that, and these defaults moved between its majors (``CLIENT SETINFO`` in 5, RESP3 by default in 8). Its
  current release lists Redis 7.2+ as supported; Debian 12's redis-server, which the tests use, is 7.0.
- Errors: once tuned, its exceptions still tell the cases apart, but only by message text and ``__context__``;
  here each case raises one sentence that says what to fix (WRONGPASS, NOAUTH, no password configured, an
  unknown CA naming ``wandb_server_ca_certificates``, refused, timed out, TLS on a plain port and back).

The whole client is the four commands a pre-flight needs, bounded by one socket timeout per connect and read;
``tests/unit/plugins/module_utils/test_redis_client.py`` covers its parser and messages,
``tests/integration/redis`` the real server.
"""
from __future__ import annotations

import socket
import ssl

from urllib.parse import parse_qs, quote, unquote, urlsplit

from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import (
    CAError,
    describe_tls_failure,
    is_unknown_ca,
    ssl_context,
)

DEFAULT_PORT = 6379


class RedisError(Exception):
    """A failure with a message that says what to fix (never contains the password)."""


def _host_for_url(host):
    host = str(host)
    if ":" in host and not host.startswith("["):
        return "[%s]" % host  # IPv6 literal
    return host


def build_redis_url(host, port=DEFAULT_PORT, user=None, password=None, tls=False, ca_cert_path=None,
                    ttl_in_seconds=None, scheme="redis"):
    """The W&B server's ``REDIS`` connection string from its parts.

    ``user`` and ``password`` are percent-escaped (every reserved character), ``ca_cert_path`` is escaped
    as a query value (slashes kept). ``tls`` adds ``tls=true``; ``ca_cert_path`` and ``ttl_in_seconds``
    are added when given.
    """
    if not host or not str(host).strip():
        raise ValueError("a Redis host is required to build the connection string")
    if any(ch in str(host) for ch in "/?#@ "):
        raise ValueError("Redis host %r must be a bare host name or IP address (no scheme, path or user)" % (host,))
    try:
        port = int(port if port not in (None, "") else DEFAULT_PORT)
    except (TypeError, ValueError):
        raise ValueError("Redis port must be a number, got %r" % (port,))
    if not 0 < port < 65536:
        raise ValueError("Redis port must be between 1 and 65535, got %d" % port)
    if scheme not in ("redis", "rediss"):
        raise ValueError("Redis URL scheme must be redis or rediss, got %r" % (scheme,))
    userinfo = ""
    if user or password:
        userinfo = quote(str(user or ""), safe="")
        if password:
            userinfo += ":" + quote(str(password), safe="")
        userinfo += "@"
    query = []
    if tls:
        query.append("tls=true")
    if ca_cert_path:
        query.append("caCertPath=" + quote(str(ca_cert_path), safe="/"))
    if ttl_in_seconds not in (None, ""):
        try:
            ttl = int(ttl_in_seconds)
        except (TypeError, ValueError):
            raise ValueError("ttlInSeconds must be a whole number of seconds, got %r" % (ttl_in_seconds,))
        if ttl < 0:
            raise ValueError("ttlInSeconds must not be negative, got %d" % ttl)
        query.append("ttlInSeconds=%d" % ttl)
    url = "%s://%s%s:%d" % (scheme, userinfo, _host_for_url(host), port)
    if query:
        url += "?" + "&".join(query)
    return url


def _true(value):
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def parse_redis_url(url):
    """Parts of a Redis connection string: host, port, user, password, tls, ca_cert_path, ttl_in_seconds, db."""
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError as exc:
        raise ValueError("the Redis URL is not valid: %s" % exc)
    if parts.scheme not in ("redis", "rediss"):
        raise ValueError("the Redis URL must start with redis:// or rediss://, got scheme %r" % (parts.scheme,))
    if not parts.hostname:
        raise ValueError("the Redis URL has no host")
    query = parse_qs(parts.query, keep_blank_values=True)
    db = 0
    path = (parts.path or "").strip("/")
    if path:
        if not path.isdigit():
            raise ValueError("the Redis URL path must be a database number, got %r" % (path,))
        db = int(path)
    ttl = query.get("ttlInSeconds", [None])[0]
    return {
        "host": parts.hostname,
        "port": port or DEFAULT_PORT,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password is not None else None,
        "tls": parts.scheme == "rediss" or _true(query.get("tls", ["false"])[0]),
        "ca_cert_path": query.get("caCertPath", [None])[0],
        "ttl_in_seconds": int(ttl) if ttl not in (None, "") and str(ttl).isdigit() else None,
        "db": db,
    }


def redact_url(url):
    """The URL with its password replaced by a mask (for messages)."""
    try:
        parts = urlsplit(str(url))
    except ValueError:
        return "<unparsable Redis URL>"
    if parts.password is None:
        return str(url)
    netloc = parts.netloc
    userinfo, _sep, hostport = netloc.rpartition("@")
    user = userinfo.split(":", 1)[0]
    return parts._replace(netloc="%s:%s@%s" % (user, "********", hostport)).geturl()


def _encode_command(args):
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode("utf-8")
        out.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(out)


class RedisReplyError(RedisError):
    """An error reply (``-ERR ...``) from the server."""

    def __init__(self, message):
        super(RedisReplyError, self).__init__(message)
        self.code = message.split(" ", 1)[0] if message else ""


class RedisClient(object):
    """Just enough RESP2 for AUTH, PING, SELECT and INFO, over TCP or TLS (standard library only)."""

    def __init__(self, host, port=DEFAULT_PORT, tls=False, ca_file=None, validate_certs=True, timeout=5.0,
                 server_name=None, client_cert=None, client_key=None, ca_certificates=None):
        self.host = host
        self.port = int(port)
        self.tls = bool(tls)
        self.ca_file = ca_file
        # PEM texts trusted in addition to the system CAs (or to ca_file): the server's custom CAs (_custom_ca).
        self.ca_certificates = list(ca_certificates or [])
        self.validate_certs = validate_certs
        self.timeout = float(timeout)
        self.server_name = server_name or host
        self.client_cert = client_cert
        self.client_key = client_key
        self._sock = None
        self._buf = b""

    def _where(self):
        return "%s:%d" % (self.host, self.port)

    def connect(self):
        try:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except socket.timeout:
            raise RedisError("connecting to Redis at %s timed out after %ss: check host, port and firewalls"
                             % (self._where(), self.timeout))
        except (OSError, socket.error) as exc:
            raise RedisError("cannot connect to Redis at %s: %s; check the host and port and that Redis is running"
                             % (self._where(), exc))
        if self.tls:
            try:
                context = ssl_context(self.ca_file, self.ca_certificates, self.validate_certs)
                if context is None:
                    context = ssl.create_default_context(cafile=self.ca_file or None)
                if not self.validate_certs:
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                if self.client_cert:
                    context.load_cert_chain(self.client_cert, self.client_key)
                sock = context.wrap_socket(sock, server_hostname=self.server_name)
            except CAError as exc:
                sock.close()
                raise RedisError(str(exc))
            except ssl.SSLCertVerificationError as exc:
                sock.close()
                if is_unknown_ca(exc):
                    hint = "or give the CA that signed it to this check alone (ca_file)"
                else:
                    hint = ("when the certificate names Redis differently from the address connected to, set "
                            "server_name to the name in the certificate")
                raise RedisError("%s; %s, or, for a test server only, set validate_certs=false"
                                 % (describe_tls_failure(exc, "Redis at %s" % self._where()), hint))
            except (ssl.SSLError, OSError, IOError) as exc:
                sock.close()
                raise RedisError("TLS handshake with Redis at %s failed: %s; is TLS enabled on that port? "
                                 "(tls=true needs a TLS port, tls=false a plain one)" % (self._where(), exc))
        self._sock = sock
        self._buf = b""
        return self

    def close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def __enter__(self):
        return self.connect()

    def __exit__(self, *exc):
        self.close()

    def _fill(self):
        try:
            chunk = self._sock.recv(65536)
        except socket.timeout:
            raise RedisError("Redis at %s did not answer within %ss" % (self._where(), self.timeout))
        except (OSError, socket.error) as exc:
            hint = "" if self.tls else " (if the server only accepts TLS on this port, set tls=true)"
            raise RedisError("reading from Redis at %s failed: %s%s" % (self._where(), exc, hint))
        if not chunk:
            hint = "" if self.tls else " (if the server only accepts TLS on this port, set tls=true)"
            raise RedisError("Redis at %s closed the connection%s" % (self._where(), hint))
        self._buf += chunk

    def _line(self):
        while b"\r\n" not in self._buf:
            if len(self._buf) > 1024 * 1024:
                raise RedisError("Redis at %s sent an oversized reply line" % self._where())
            self._fill()
        line, self._buf = self._buf.split(b"\r\n", 1)
        return line

    def _exact(self, size):
        while len(self._buf) < size + 2:
            self._fill()
        data, self._buf = self._buf[:size], self._buf[size + 2:]
        return data

    def _reply(self):
        line = self._line()
        if not line:
            raise RedisError("empty reply from Redis at %s" % self._where())
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode("utf-8", "replace")
        if kind == b"-":
            raise RedisReplyError(rest.decode("utf-8", "replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            size = int(rest)
            return None if size < 0 else self._exact(size).decode("utf-8", "replace")
        if kind == b"*":
            count = int(rest)
            return None if count < 0 else [self._reply() for _i in range(count)]
        hint = "" if self.tls else "; if the port speaks TLS, set tls=true"
        raise RedisError("Redis at %s sent something that is not RESP%s" % (self._where(), hint))

    def command(self, *args):
        if self._sock is None:
            raise RedisError("not connected")
        try:
            self._sock.sendall(_encode_command(args))
        except (OSError, socket.error) as exc:
            raise RedisError("sending to Redis at %s failed: %s" % (self._where(), exc))
        return self._reply()

    def auth(self, user=None, password=None):
        """AUTH [user] password, with a message that says what to fix (never the password)."""
        if password is None and user is None:
            return None
        args = ["AUTH"]
        if user:
            args.append(user)
        args.append(password if password is not None else "")
        try:
            return self.command(*args)
        except RedisReplyError as exc:
            who = "user %r" % user if user else "the default user"
            if exc.code == "WRONGPASS" or "invalid password" in str(exc) or "invalid username-password" in str(exc):
                raise RedisError("Redis at %s refused the password for %s (WRONGPASS): check the password "
                                 "(and user) you gave" % (self._where(), who))
            if "without any password configured" in str(exc) or "no password is set" in str(exc):
                raise RedisError("Redis at %s has no password configured but one was given: remove the password "
                                 "or set requirepass on the server" % self._where())
            raise RedisError("Redis at %s refused AUTH for %s: %s" % (self._where(), who, exc))

    def ping(self):
        try:
            reply = self.command("PING")
        except RedisReplyError as exc:
            if exc.code == "NOAUTH":
                raise RedisError("Redis at %s requires authentication (NOAUTH): give its password (and user for "
                                 "an ACL user)" % self._where())
            if exc.code == "NOPERM":
                raise RedisError("the Redis user has no permission for PING at %s: %s" % (self._where(), exc))
            raise RedisError("PING to Redis at %s failed: %s" % (self._where(), exc))
        if reply != "PONG":
            raise RedisError("PING to Redis at %s answered %r instead of PONG" % (self._where(), reply))
        return reply

    def select(self, db):
        try:
            return self.command("SELECT", int(db))
        except RedisReplyError as exc:
            raise RedisError("SELECT %s on Redis at %s failed: %s" % (db, self._where(), exc))

    def info_server(self):
        """Fields of INFO server as a dict; {} when INFO is not allowed."""
        try:
            text = self.command("INFO", "server")
        except RedisReplyError:
            return {}
        fields = {}
        for line in (text or "").splitlines():
            if ":" in line and not line.startswith("#"):
                key, value = line.split(":", 1)
                fields[key.strip()] = value.strip()
        return fields
