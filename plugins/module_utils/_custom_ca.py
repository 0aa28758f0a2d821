# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Custom CA certificates for this collection's pre-flights (private).

The W&B server trusts its system CAs plus the PEM certificates of ``wandb_server_ca_certificates`` (mounted at
``/usr/local/share/ca-certificates/customCA<i>.crt``, as W&B's Helm chart mounts ``customCACerts``). The modules that
check an endpoint before the server is pointed at it (``oidc_check``, ``redis_check``, ``admin_check``, the ``aws_*``
modules) take the same certificates as their ``ca_certificates`` option, so a pre-flight trusts exactly what the
server will trust: the system CAs (or the module's own CA file option, when given) plus these.

- ``ca_certificates_argument_spec()``: the option (documented by the doc fragment ``_ca_certificates``).
- ``ssl_context(ca_file, ca_certificates, validate_certs)``: an ``ssl.SSLContext`` for urllib/sockets, or None when
  there is nothing custom (the caller's defaults apply unchanged).
- ``bundle_file(module, ca_file, ca_certificates)``: a temporary PEM file (system CAs + these) for libraries that
  take only a path (botocore's ``verify``), removed when the module exits.
- ``describe_tls_failure(exc, what)``: a sentence for a certificate that was not accepted; an unknown CA names
  ``wandb_server_ca_certificates``; None for anything that is not a certificate verification failure.
"""
from __future__ import annotations

import os
import re
import ssl
import tempfile

# The inventory variable a user sets (the roles pass it to every pre-flight).
CA_VARIABLE = "wandb_server_ca_certificates"

PEM_CERTIFICATE = re.compile(r"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+?-----END CERTIFICATE-----")

# OpenSSL verify codes meaning "no trusted CA signed this": unable to get issuer certificate (2), self-signed leaf
# (18), self-signed certificate in the chain (19), unable to get local issuer certificate (20), unable to verify the
# first certificate (21).
UNKNOWN_CA_CODES = frozenset([2, 18, 19, 20, 21])
UNKNOWN_CA_TEXTS = ("unable to get local issuer certificate", "self-signed certificate", "self signed certificate",
                    "unable to get issuer certificate", "unable to verify the first certificate")

# System CA bundles, in the order Go's crypto/x509 (the server's runtime) looks for them on Linux.
SYSTEM_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",                 # Debian, Ubuntu, Gentoo
    "/etc/pki/tls/certs/ca-bundle.crt",                   # Fedora, RHEL 6
    "/etc/ssl/ca-bundle.pem",                             # OpenSUSE
    "/etc/pki/tls/cacert.pem",                            # OpenELEC
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # CentOS, RHEL 7
    "/etc/ssl/cert.pem",                                  # Alpine, macOS
)


class CAError(ValueError):
    """A custom CA certificate that cannot be used; the message says which and why (never its content)."""


def ca_certificates_argument_spec():
    """The ``ca_certificates`` option, merged into a module's argument spec."""
    return dict(ca_certificates=dict(type="list", elements="str", default=[]))


def pem_problems(pem):
    """Why ``pem`` is not usable as a CA certificate ([] when it is)."""
    text = str(pem or "")
    if "PRIVATE KEY" in text:
        return ["it contains a private key; give only the CA's certificate (-----BEGIN CERTIFICATE-----)"]
    if not PEM_CERTIFICATE.search(text):
        return ["it is not a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)"]
    return []


def _load(context, ca_certificates):
    for index, pem in enumerate(ca_certificates or ()):
        problems = pem_problems(pem)
        if not problems:
            try:
                context.load_verify_locations(cadata=str(pem))
            except (ssl.SSLError, ValueError) as exc:
                problems = ["it cannot be loaded (%s)" % exc]
        if problems:
            raise CAError("ca_certificates item %d (%s item %d): %s" % (index, CA_VARIABLE, index, problems[0]))


def ssl_context(ca_file=None, ca_certificates=None, validate_certs=True):
    """An SSLContext trusting the system CAs (only ``ca_file`` when given, as Ansible's ``ca_path`` does) plus
    ``ca_certificates``; None when ``ca_certificates`` is empty, so callers keep their own defaults. Raises CAError."""
    if not ca_certificates:
        return None
    if not validate_certs:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    try:
        # Ansible's own context (the system CAs found the way open_url finds them), or only ca_file.
        from ansible.module_utils.urls import make_context  # pylint: disable=import-outside-toplevel
        context = make_context(cafile=ca_file or None)
    except ImportError:  # pragma: no cover - ansible-core without make_context
        context = ssl.create_default_context(cafile=ca_file or None)
    _load(context, ca_certificates)
    return context


def system_bundle():
    """The path of the system's CA bundle (PEM), or None."""
    paths = ssl.get_default_verify_paths()
    for path in (paths.cafile, paths.openssl_cafile) + SYSTEM_BUNDLES:
        if path and os.path.isfile(path):
            return path
    try:
        import certifi  # pylint: disable=import-outside-toplevel
        return certifi.where()
    except ImportError:
        return None


def bundle_text(ca_file=None, ca_certificates=None):
    """PEM text: the system CAs (or only ``ca_file``) followed by ``ca_certificates``. Raises CAError."""
    _load(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT), ca_certificates)  # the same checks as ssl_context
    base = ca_file or system_bundle()
    parts = []
    if base:
        try:
            with open(base, "r", encoding="utf-8", errors="replace") as handle:
                parts.append(handle.read().strip())
        except (IOError, OSError) as exc:
            raise CAError("cannot read the CA bundle %s: %s" % (base, exc))
    parts.extend(str(pem).strip() for pem in ca_certificates or ())
    return "\n".join(part for part in parts if part) + "\n"


def bundle_file(module, ca_file=None, ca_certificates=None):
    """A temporary PEM file (mode 0600) with bundle_text(), removed when ``module`` exits; None when
    ``ca_certificates`` is empty. Raises CAError."""
    if not ca_certificates:
        return None
    text = bundle_text(ca_file, ca_certificates)
    handle, path = tempfile.mkstemp(prefix="wandb-ca-", suffix=".pem", dir=getattr(module, "tmpdir", None))
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    module.add_cleanup_file(path)
    return path


def _chain(exc):
    """``exc`` and what it wraps (reason, cause, context, exception args, botocore's kwargs), without loops."""
    seen, todo = [], [exc]
    while todo:
        item = todo.pop(0)
        if item is None or any(item is known for known in seen) or len(seen) > 20:
            continue
        seen.append(item)
        if isinstance(item, BaseException):
            todo.extend([getattr(item, "reason", None), item.__cause__, item.__context__])
            todo.extend(arg for arg in getattr(item, "args", ()) if isinstance(arg, BaseException))
            kwargs = getattr(item, "kwargs", None)  # botocore exceptions keep their cause in kwargs["error"]
            if isinstance(kwargs, dict):
                todo.append(kwargs.get("error"))
    return seen


def verification_failure(exc):
    """(verify code or None, text) when ``exc`` is or wraps a certificate verification failure, else None."""
    chain = _chain(exc)
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            return item.verify_code, str(item.verify_message or item)
    for item in chain:
        text = str(item)
        if "CERTIFICATE_VERIFY_FAILED" in text or "certificate verify failed" in text:
            match = re.search(r"certificate verify failed: ([^()\]'\"]+)", text)
            return None, (match.group(1).strip() if match else text)
    return None


def is_unknown_ca(exc):
    """Whether ``exc`` is a certificate signed by no CA this host trusts (not an expired one, not a wrong name)."""
    failure = verification_failure(exc)
    if not failure:
        return False
    code, text = failure
    if code is not None:
        return code in UNKNOWN_CA_CODES
    return any(hint in text.lower() for hint in UNKNOWN_CA_TEXTS)


def describe_tls_failure(exc, what):
    """A sentence for a TLS certificate of ``what`` (e.g. "the identity provider at https://idp:8443") that was not
    accepted, saying what to fix; None when ``exc`` is not a certificate verification failure."""
    failure = verification_failure(exc)
    if not failure:
        return None
    _code, text = failure
    if is_unknown_ca(exc):
        return ("the TLS certificate of %s could not be verified: it is signed by a CA this host does not trust (%s). "
                "Add that CA's certificate (a PEM file on the controller, or the PEM text) to %s: the W&B server and "
                "this collection's pre-flights then trust it in addition to the system CAs (module option "
                "ca_certificates)" % (what, text, CA_VARIABLE))
    return ("the TLS certificate of %s could not be verified (%s): it must be valid now and issued for the name this "
            "host connects to" % (what, text))
