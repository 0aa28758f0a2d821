# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The LDAP pre-flight of the W&B server's LDAP login (private; the ldap_check module).

The server reads ``LOCAL_LDAP_ADDRESS`` (``ldap://`` or ``ldaps://`` host), ``LOCAL_LDAP_BASE_DN``,
``LOCAL_LDAP_BIND_DN`` and ``LOCAL_LDAP_BIND_PW`` (empty: an anonymous bind) and ``LOCAL_LDAP_TLS_ENABLE`` (W&B's
documentation "SSO using LDAP"; the Helm chart's ``ldap.*``). :class:`LdapClient` proves what it will need, over a
plain socket with the standard library only: TLS from the start (``ldaps://``) or the StartTLS extended operation
(RFC 4511 4.14) with the system CAs plus the custom CAs the server trusts, a simple bind (RFC 4511 4.2) with the DN
and password, and a search of the base DN itself (scope base, filter ``(objectClass=*)``, no attributes asked).

Only that subset of LDAPv3 is spoken, in BER (X.690) with definite lengths: the messages are built with
:func:`_tlv` and read back with :func:`_read_tlv`. No new dependency is needed (python-ldap needs a C library,
ldap3 is a package of its own); the module stays as small as redis_check.
"""
from __future__ import annotations

import socket
import ssl
from urllib.parse import unquote, urlsplit

from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import (
    CA_VARIABLE,
    CAError,
    describe_tls_failure,
    ssl_context,
)

STARTTLS_OID = b"1.3.6.1.4.1.1466.20037"
# LDAP result codes (RFC 4511 appendix A) the messages explain.
RESULT_NAMES = {0: "success", 1: "operationsError", 2: "protocolError", 7: "authMethodNotSupported",
                8: "strongerAuthRequired", 13: "confidentialityRequired", 32: "noSuchObject", 34: "invalidDNSyntax",
                48: "inappropriateAuthentication", 49: "invalidCredentials", 50: "insufficientAccessRights",
                52: "unavailable", 53: "unwillingToPerform"}

# BER tags (RFC 4511 section 4; [APPLICATION n] constructed = 0x60 | n, primitive = 0x40 | n)
_SEQUENCE, _INTEGER, _OCTETS, _ENUMERATED, _BOOLEAN = 0x30, 0x02, 0x04, 0x0A, 0x01
_BIND_REQUEST, _BIND_RESPONSE = 0x60, 0x61
_UNBIND_REQUEST = 0x42
_SEARCH_REQUEST, _SEARCH_ENTRY, _SEARCH_DONE, _SEARCH_REFERENCE = 0x63, 0x64, 0x65, 0x73
_EXTENDED_REQUEST, _EXTENDED_RESPONSE = 0x77, 0x78
_SIMPLE_AUTH = 0x80        # [0] OCTET STRING, in BindRequest.authentication
_EXTENDED_NAME = 0x80      # [0] LDAPOID, in ExtendedRequest
_FILTER_PRESENT = 0x87     # [7] AttributeDescription, in Filter
_MAX_MESSAGE = 1 << 20     # a reply to these requests is small; anything larger is not an LDAP server


class LdapCheckError(Exception):
    """A check that failed; ``variable`` is the inventory variable to fix. The message never holds the password."""

    def __init__(self, message, variable=None):
        super().__init__(message)
        self.variable = variable


# ---- BER ------------------------------------------------------------------------------------------------------
def _length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag, value):
    return bytes([tag]) + _length(len(value)) + value


def _integer(tag, n):
    # two's complement, minimal; only non-negative numbers are sent here
    body = n.to_bytes(max(1, (n.bit_length() + 8) // 8), "big")
    return _tlv(tag, body)


def _message(message_id, operation):
    return _tlv(_SEQUENCE, _integer(_INTEGER, message_id) + operation)


def _read_tlv(data, offset):
    """(tag, value, next offset) of the element at ``offset``; ValueError when ``data`` is cut short or malformed."""
    if offset + 2 > len(data):
        raise ValueError("truncated element")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tags are not used by LDAP")
    first = data[offset + 1]
    offset += 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ValueError("bad length")
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    if offset + length > len(data):
        raise ValueError("truncated element")
    return tag, data[offset:offset + length], offset + length


def _elements(data):
    items, offset = [], 0
    while offset < len(data):
        tag, value, offset = _read_tlv(data, offset)
        items.append((tag, value))
    return items


def _to_int(value):
    return int.from_bytes(value, "big", signed=True) if value else 0


def bind_request(message_id, dn, password):
    op = _integer(_INTEGER, 3) + _tlv(_OCTETS, dn.encode("utf-8")) + _tlv(_SIMPLE_AUTH, password.encode("utf-8"))
    return _message(message_id, _tlv(_BIND_REQUEST, op))


def search_base_request(message_id, base_dn, time_limit=10):
    op = (_tlv(_OCTETS, base_dn.encode("utf-8")) + _integer(_ENUMERATED, 0)  # scope baseObject
          + _integer(_ENUMERATED, 0) + _integer(_INTEGER, 1) + _integer(_INTEGER, time_limit)  # neverDerefAliases
          + _tlv(_BOOLEAN, b"\x00") + _tlv(_FILTER_PRESENT, b"objectClass")
          + _tlv(_SEQUENCE, _tlv(_OCTETS, b"1.1")))  # 1.1: no attributes (RFC 4511 4.5.1.8)
    return _message(message_id, _tlv(_SEARCH_REQUEST, op))


def starttls_request(message_id):
    return _message(message_id, _tlv(_EXTENDED_REQUEST, _tlv(_EXTENDED_NAME, STARTTLS_OID)))


def unbind_request(message_id):
    return _message(message_id, _tlv(_UNBIND_REQUEST, b""))


def parse_message(data):
    """(message id, protocol op tag, op value) of one LDAPMessage."""
    tag, body, end = _read_tlv(data, 0)
    if tag != _SEQUENCE or end != len(data):
        raise ValueError("not an LDAPMessage")
    items = _elements(body)
    if len(items) < 2 or items[0][0] != _INTEGER:
        raise ValueError("not an LDAPMessage")
    return _to_int(items[0][1]), items[1][0], items[1][1]


def parse_result(value):
    """(resultCode, matchedDN, diagnosticMessage) of an LDAPResult's components."""
    items = _elements(value)
    if len(items) < 3 or items[0][0] != _ENUMERATED:
        raise ValueError("not an LDAPResult")
    return _to_int(items[0][1]), items[1][1].decode("utf-8", "replace"), items[2][1].decode("utf-8", "replace")


# ---- the client -----------------------------------------------------------------------------------------------
def parse_address(address, variable="address"):
    """(scheme, host, port) of ``ldap[s]://host[:port]`` (389 / 636 by default)."""
    try:
        parts = urlsplit(str(address).strip())
        port = parts.port
    except ValueError:
        raise LdapCheckError("%s is not an LDAP URL such as ldaps://ldap.example.com:636 (the port must be a number "
                             "between 1 and 65535)" % variable, variable)
    scheme = parts.scheme.lower()
    if scheme not in ("ldap", "ldaps") or not parts.hostname:
        raise LdapCheckError("%s must be ldap://HOST[:PORT] or ldaps://HOST[:PORT]" % variable, variable)
    return scheme, unquote(parts.hostname), port or (636 if scheme == "ldaps" else 389)


def _result_text(code, diagnostic):
    name = RESULT_NAMES.get(code, "result code")
    return "%s %d%s" % (name, code, ": %s" % diagnostic if diagnostic else "")


class LdapClient:
    """One LDAP connection for the checks; ``variables`` maps address, base_dn, bind_dn, bind_password and
    ca_certificates to the inventory variables the messages name."""

    def __init__(self, host, port, timeout=10.0, variables=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.where = "the LDAP server at %s:%s" % (host, port)
        self.variables = dict(address="address", base_dn="base_dn", bind_dn="bind_dn",
                              bind_password="bind_password", ca_certificates=CA_VARIABLE, tls="tls")
        self.variables.update(variables or {})
        self.sock = None
        self._next_id = 0
        self._buffer = b""

    def _var(self, key):
        return self.variables[key]

    def connect(self):
        try:
            self.sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
        except (socket.timeout, OSError) as exc:
            raise LdapCheckError("could not connect to %s (%s): check the host and port in %s and that the Docker "
                                 "host can reach it (firewall)" % (self.where, exc, self._var("address")),
                                 self._var("address"))

    def close(self):
        if self.sock is not None:
            try:
                self.sock.sendall(unbind_request(self._id()))
            except OSError:
                pass
            try:
                self.sock.close()
            except OSError:
                pass
            self.sock = None

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc):
        self.close()

    def _id(self):
        self._next_id += 1
        return self._next_id

    def _tls_error(self, exc, step):
        described = describe_tls_failure(exc, self.where)
        if described:
            return LdapCheckError(described, self._var("ca_certificates"))
        return LdapCheckError("TLS with %s failed during %s (%s): an ldaps:// address needs the server's TLS port (636), "
                              "an ldap:// one its plain port (389) with %s for StartTLS"
                              % (self.where, step, exc, self._var("tls")), self._var("address"))

    def wrap_tls(self, context, step="the TLS handshake"):
        try:
            self.sock = context.wrap_socket(self.sock, server_hostname=self.host)
        except (ssl.SSLError, ssl.CertificateError, socket.timeout, OSError) as exc:
            self.sock = None
            raise self._tls_error(exc, step)

    def _receive(self):
        """The next LDAPMessage as (message id, op tag, op value)."""
        while True:
            if len(self._buffer) >= 2:
                try:
                    _tag, _value, end = _read_tlv(self._buffer, 0)
                except ValueError:
                    end = None
                if end is not None:
                    data, self._buffer = self._buffer[:end], self._buffer[end:]
                    try:
                        return parse_message(data)
                    except ValueError as exc:
                        raise LdapCheckError("%s sent something that is not LDAP (%s): check the port in %s (an "
                                             "ldaps:// port speaks TLS first)" % (self.where, exc,
                                                                                  self._var("address")),
                                             self._var("address"))
            if len(self._buffer) > _MAX_MESSAGE:
                raise LdapCheckError("%s sent an answer too large for an LDAP reply: check the port in %s"
                                     % (self.where, self._var("address")), self._var("address"))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise LdapCheckError("%s did not answer within %s s: check the host, port and scheme in %s (ldaps:// "
                                     "for a TLS port)" % (self.where, self.timeout, self._var("address")),
                                     self._var("address"))
            except ssl.SSLError as exc:
                raise self._tls_error(exc, "a reply")
            except OSError as exc:
                raise LdapCheckError("%s closed the connection (%s): check the scheme and port in %s"
                                     % (self.where, exc, self._var("address")), self._var("address"))
            if not chunk:
                raise LdapCheckError("%s closed the connection without an answer: check the scheme and port in %s "
                                     "(ldaps:// for a TLS port, ldap:// for a plain one)"
                                     % (self.where, self._var("address")), self._var("address"))
            self._buffer += chunk

    def _request(self, data, message_id, expected):
        try:
            self.sock.sendall(data)
        except OSError as exc:
            raise LdapCheckError("%s closed the connection (%s): check the scheme and port in %s"
                                 % (self.where, exc, self._var("address")), self._var("address"))
        while True:
            got_id, tag, value = self._receive()
            if got_id == 0 and tag == _EXTENDED_RESPONSE:  # Notice of Disconnection (RFC 4511 4.4.1)
                code, _matched, diagnostic = parse_result(value)
                raise LdapCheckError("%s ended the session (%s)" % (self.where, _result_text(code, diagnostic)),
                                     self._var("address"))
            if got_id != message_id:
                continue
            if tag in expected:
                return tag, value
            raise LdapCheckError("%s answered an unexpected operation (tag 0x%02x)" % (self.where, tag),
                                 self._var("address"))

    def start_tls(self, context):
        message_id = self._id()
        _tag, value = self._request(starttls_request(message_id), message_id, (_EXTENDED_RESPONSE,))
        code, _matched, diagnostic = parse_result(value)
        if code != 0:
            raise LdapCheckError("%s refused StartTLS (%s): turn TLS on at the server, or use its ldaps:// address in "
                                 "%s" % (self.where, _result_text(code, diagnostic), self._var("address")),
                                 self._var("tls"))
        self.wrap_tls(context, "StartTLS")

    def bind(self, dn, password):
        message_id = self._id()
        _tag, value = self._request(bind_request(message_id, dn, password), message_id, (_BIND_RESPONSE,))
        code, _matched, diagnostic = parse_result(value)
        if code == 0:
            return
        if code == 49:
            raise LdapCheckError("%s refused the bind as %r (%s): the DN in %s or its password in %s is wrong"
                                 % (self.where, dn, _result_text(code, ""), self._var("bind_dn"),
                                    self._var("bind_password")), self._var("bind_password"))
        if code == 34:
            raise LdapCheckError("%s says %r in %s is not a valid DN (%s)"
                                 % (self.where, dn, self._var("bind_dn"), _result_text(code, diagnostic)),
                                 self._var("bind_dn"))
        if code in (8, 13):
            raise LdapCheckError("%s requires TLS for a bind (%s): use ldaps:// in %s or turn on %s (StartTLS)"
                                 % (self.where, _result_text(code, diagnostic), self._var("address"),
                                    self._var("tls")), self._var("tls"))
        if not dn:
            raise LdapCheckError("%s refused an anonymous bind (%s): set %s and %s"
                                 % (self.where, _result_text(code, diagnostic), self._var("bind_dn"),
                                    self._var("bind_password")), self._var("bind_dn"))
        raise LdapCheckError("%s refused the bind as %r (%s): check %s and %s"
                             % (self.where, dn, _result_text(code, diagnostic), self._var("bind_dn"),
                                self._var("bind_password")), self._var("bind_dn"))

    def search_base(self, base_dn):
        """Search the base DN itself; returns the number of entries (1 when it exists and may be read)."""
        message_id = self._id()
        entries = 0
        data = search_base_request(message_id, base_dn, max(1, int(self.timeout)))
        tag, value = self._request(data, message_id, (_SEARCH_ENTRY, _SEARCH_REFERENCE, _SEARCH_DONE))
        while tag != _SEARCH_DONE:
            if tag == _SEARCH_ENTRY:
                entries += 1
            tag, value = self._next(message_id)
        code, matched, diagnostic = parse_result(value)
        if code == 32:
            raise LdapCheckError("%s has no entry %r (%s%s): fix %s"
                                 % (self.where, base_dn, _result_text(code, diagnostic),
                                    "; the nearest existing entry is %r" % matched if matched else "",
                                    self._var("base_dn")), self._var("base_dn"))
        if code == 34:
            raise LdapCheckError("%s says %r in %s is not a valid DN (%s)"
                                 % (self.where, base_dn, self._var("base_dn"), _result_text(code, diagnostic)),
                                 self._var("base_dn"))
        if code != 0:
            raise LdapCheckError("%s refused a search of %r (%s): check %s and what %s may read"
                                 % (self.where, base_dn, _result_text(code, diagnostic), self._var("base_dn"),
                                    self._var("bind_dn")), self._var("base_dn"))
        if entries == 0:
            raise LdapCheckError("%s returned no entry for %r: the bind DN in %s may not read it; check %s"
                                 % (self.where, base_dn, self._var("bind_dn"), self._var("base_dn")),
                                 self._var("base_dn"))
        return entries

    def _next(self, message_id):
        while True:
            got_id, tag, value = self._receive()
            if got_id == message_id and tag in (_SEARCH_ENTRY, _SEARCH_REFERENCE, _SEARCH_DONE):
                return tag, value


def check(address, base_dn, bind_dn="", bind_password="", starttls=False, ca_certificates=None,
          validate_certs=True, timeout=10.0, variables=None):
    """Connect (TLS first for ldaps://), StartTLS when asked, bind (anonymous when no DN), search the base DN.
    Returns {scheme, host, port, tls, anonymous, entries}; raises LdapCheckError naming the variable to fix."""
    names = dict(address="address", ca_certificates=CA_VARIABLE)
    names.update(variables or {})
    scheme, host, port = parse_address(address, names["address"])
    if scheme == "ldaps" or starttls:
        try:
            context = ssl_context(None, ca_certificates, validate_certs)
        except CAError as exc:
            raise LdapCheckError(str(exc), names["ca_certificates"])
        if context is None:
            context = ssl.create_default_context()
            if not validate_certs:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
    tls = "none"
    with LdapClient(host, port, timeout, variables) as client:
        if scheme == "ldaps":
            client.wrap_tls(context)
            tls = "ldaps"
        elif starttls:
            client.start_tls(context)
            tls = "starttls"
        client.bind(bind_dn or "", bind_password or "")
        entries = client.search_base(base_dn)
    return dict(scheme=scheme, host=host, port=port, tls=tls, anonymous=not bind_dn, entries=entries)
