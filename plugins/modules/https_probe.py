#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: https_probe
short_description: See the front door the way a client does - TLS certificate, HTTP answer, HTTP redirect
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Connects to O(address):O(port) with TLS, sending O(server_name) as SNI and C(Host) (so no DNS is needed), and asks
    for O(path). Waits, at most O(wait) seconds in all, until the proxy serves a certificate that covers the name (and
    is the one expected - signed by O(ca_file), or with the fingerprint O(fingerprint_sha256)) and the answer has one
    of the O(status) codes; then returns what it saw, else fails saying what it saw last.
  - With O(http_port), also asks C(http://server_name:http_port/) and requires a redirect to C(https://server_name).
  - Each attempt is bounded by O(timeout) seconds and never by more than the time left.
  - The role C(front_door) uses it after a change, so a run ends with proof that the proxy serves the instance.
  - Needs the Python package C(cryptography) to read the certificate.
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
options:
  address:
    description: Where the proxy listens (an address of the host running the module).
    type: str
    default: 127.0.0.1
  port:
    description: The proxy's HTTPS port.
    type: int
    default: 443
  server_name:
    description: The name the front door serves (SNI and C(Host)).
    type: str
    required: true
  path:
    description: The path asked for.
    type: str
    default: /ready
  status:
    description: The HTTP status codes that count as success.
    type: list
    elements: int
    default: [200]
  ca_file:
    description: A PEM file of the CA(s) the certificate must chain to; omit to check only names and dates.
    type: path
  fingerprint_sha256:
    description: The SHA-256 fingerprint the certificate must have (as C(openssl x509 -fingerprint -sha256) prints it).
    type: str
  http_port:
    description: The proxy's HTTP port, whose answer must be a redirect to C(https://server_name); omit to skip.
    type: int
  wait:
    description: Seconds all attempts may take together.
    type: float
    default: 60
  timeout:
    description: Seconds one attempt may take.
    type: float
    default: 10
"""

EXAMPLES = r"""
- name: Prove the front door serves the instance
  wandb_local.server.https_probe:
    port: 443
    server_name: wandb.example.com
    ca_file: /etc/wandb-front-door/wandb-front-door-ca.crt
    http_port: 80
"""

RETURN = r"""
status:
  description: The HTTP status of O(path) through the front door.
  returned: always
  type: int
certificate:
  description: The certificate served (C(names), C(issuer), C(not_after), C(fingerprint_sha256)).
  returned: always
  type: dict
tls_version:
  description: The TLS version negotiated.
  returned: always
  type: str
redirect:
  description: The C(Location) of the answer on O(http_port) (empty when it is not probed).
  returned: always
  type: str
waited:
  description: Seconds spent.
  returned: always
  type: float
"""

import http.client
import socket
import ssl
import time

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.wandb_local.server.plugins.module_utils import _x509


class _Connection(http.client.HTTPSConnection):
    """HTTPS to a fixed address, with the server name as SNI and Host (curl's --resolve)."""

    def __init__(self, address, port, server_name, context, timeout):
        super().__init__(server_name, port, timeout=timeout, context=context)
        self._address, self._context, self._server_name = address, context, server_name

    def connect(self):
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self._server_name)


def attempt(p, timeout):
    """(problem or '', observation dict) of one try."""
    seen = dict(status=0, certificate={}, tls_version="", redirect="")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if p["ca_file"]:
        context.load_verify_locations(cafile=p["ca_file"])
    else:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    host = p["server_name"] if p["port"] == 443 else "%s:%d" % (p["server_name"], p["port"])
    conn = _Connection(p["address"], p["port"], p["server_name"], context, timeout)
    try:
        conn.request("GET", p["path"], headers={"Host": host, "User-Agent": "wandb_local.server https_probe"})
        response = conn.getresponse()
        response.read(65536)
        seen["status"] = response.status
        seen["tls_version"] = conn.sock.version() or ""
        der = conn.sock.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as exc:
        return "the certificate is not accepted (%s)" % (exc.verify_message or exc), seen
    except (OSError, http.client.HTTPException) as exc:
        return "no HTTPS answer from %s:%d for %s (%s)" % (p["address"], p["port"], p["server_name"], exc), seen
    finally:
        conn.close()
    cert = _x509.x509.load_der_x509_certificate(der)
    seen["certificate"] = dict(names=_x509.subject_names(cert), issuer=cert.issuer.rfc4514_string(),
                               not_after=_x509.not_after(cert).strftime("%Y-%m-%dT%H:%M:%SZ"),
                               fingerprint_sha256=_x509.fingerprint(cert))
    if not _x509.covers(cert, p["server_name"]):
        return "the certificate served does not cover %s (it lists %s)" % (
            p["server_name"], ", ".join(seen["certificate"]["names"]) or "no names"), seen
    if _x509.not_after(cert) <= _x509.utcnow():
        return "the certificate served expired on %s" % seen["certificate"]["not_after"], seen
    wanted = (p["fingerprint_sha256"] or "").replace(":", "").upper()
    if wanted and seen["certificate"]["fingerprint_sha256"].replace(":", "") != wanted:
        return ("the certificate served (fingerprint %s) is not the one given (%s)"
                % (seen["certificate"]["fingerprint_sha256"], p["fingerprint_sha256"])), seen
    if seen["status"] not in p["status"]:
        return "the front door answered %s with HTTP %d, not %s" % (
            p["path"], seen["status"], " or ".join(str(code) for code in p["status"])), seen
    if p["http_port"]:
        plain = http.client.HTTPConnection(p["address"], p["http_port"], timeout=timeout)
        try:
            plain.request("GET", "/", headers={"Host": "%s:%d" % (p["server_name"], p["http_port"])})
            answer = plain.getresponse()
            answer.read(65536)
            seen["redirect"] = answer.getheader("Location") or ""
        except (OSError, http.client.HTTPException) as exc:
            return "no HTTP answer on port %d (%s)" % (p["http_port"], exc), seen
        finally:
            plain.close()
        if answer.status not in (301, 302, 307, 308) or not seen["redirect"].startswith(
                "https://%s" % p["server_name"]):
            return "http://%s:%d/ answered HTTP %d (Location: %s), not a redirect to https://%s" % (
                p["server_name"], p["http_port"], answer.status, seen["redirect"] or "none", p["server_name"]), seen
    return "", seen


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type="str", default="127.0.0.1"),
            port=dict(type="int", default=443),
            server_name=dict(type="str", required=True),
            path=dict(type="str", default="/ready"),
            status=dict(type="list", elements="int", default=[200]),
            ca_file=dict(type="path"),
            fingerprint_sha256=dict(type="str"),
            http_port=dict(type="int"),
            wait=dict(type="float", default=60),
            timeout=dict(type="float", default=10),
        ),
        supports_check_mode=True,
    )
    if not _x509.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography (Debian/Ubuntu: python3-cryptography)"),
                         exception=_x509.CRYPTOGRAPHY_IMPORT_ERROR)
    p = module.params
    started = time.monotonic()
    deadline = started + max(0.0, p["wait"])
    while True:
        left = max(0.5, deadline - time.monotonic())
        problem, seen = attempt(p, min(p["timeout"], left))
        waited = round(time.monotonic() - started, 1)
        if not problem:
            module.exit_json(changed=False, waited=waited, **seen)
        if time.monotonic() + 1 >= deadline:
            module.fail_json(msg="after %s s: %s" % (waited, problem), waited=waited, **seen)
        time.sleep(1)


if __name__ == "__main__":
    main()
