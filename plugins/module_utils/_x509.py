# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS certificates of the HTTPS front door (role front_door), with the Python ``cryptography`` package.

- ``certificate_report``: what is wrong with a certificate (chain) and its key for a name - unreadable, key of another
  certificate, name not covered, expired, chain out of order - and whether it expires soon. Used offline on the
  controller (filter ``tls_certificate_problems``) and on the docker host (modules ``tls_internal_ca``, ``https_probe``).
- ``new_ca`` / ``new_leaf`` / ``leaf_renewal_reason``: the internal CA the role creates and keeps, and the server
  certificates it issues.

Works with the ``cryptography`` of Debian 12 (38) and newer: no ``not_valid_after_utc``, no
``load_pem_x509_certificates``, no ``verify_directly_issued_by`` are needed.
Messages never contain key material.
"""
from __future__ import annotations

import datetime
import ipaddress
import re
import traceback

try:
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None
except ImportError:  # pragma: no cover - reported by the callers with missing_required_lib
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()

_PEM_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----\s.*?-----END \1-----", re.DOTALL)
_DNS_NAME = re.compile(r"^(?=.{1,253}$)(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*"
                       r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")


class TLSError(Exception):
    """A certificate or key that cannot be used, with a message that says why (never the key)."""


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def _utc(value):
    return value if value.tzinfo else value.replace(tzinfo=datetime.timezone.utc)


def not_after(cert):
    """The end of the certificate's validity, timezone-aware (UTC)."""
    return _utc(getattr(cert, "not_valid_after_utc", None) or cert.not_valid_after)


def not_before(cert):
    return _utc(getattr(cert, "not_valid_before_utc", None) or cert.not_valid_before)


def pem_blocks(text):
    """[(type, block text)] of the PEM blocks in ``text`` (e.g. ``('CERTIFICATE', '-----BEGIN...')``)."""
    return [(match.group(1), match.group(0)) for match in _PEM_BLOCK.finditer(str(text or ""))]


def is_pem(text):
    return bool(pem_blocks(text))


def load_certificates(text):
    """The certificates of a PEM text, in order (the server certificate first); TLSError when there is none or one
    cannot be read, or when the text also holds a private key."""
    blocks = pem_blocks(text)
    if any("PRIVATE KEY" in kind for kind, _block in blocks):
        raise TLSError("the certificate text holds a private key: give the certificate (and its chain) only, and the "
                       "key separately")
    certs = []
    for index, (kind, block) in enumerate(blocks):
        if kind not in ("CERTIFICATE", "TRUSTED CERTIFICATE"):
            continue
        try:
            certs.append(x509.load_pem_x509_certificate(block.encode("ascii")))
        except (ValueError, UnicodeEncodeError) as exc:
            raise TLSError("certificate %d of the chain cannot be read (%s)" % (index + 1, exc)) from None
    if not certs:
        raise TLSError("no PEM certificate (-----BEGIN CERTIFICATE-----) found")
    return certs


def load_private_key(text):
    """The private key of a PEM text; TLSError when there is none, it is encrypted or cannot be read."""
    blocks = [block for kind, block in pem_blocks(text) if "PRIVATE KEY" in kind]
    if len(blocks) != 1:
        raise TLSError("no PEM private key (-----BEGIN PRIVATE KEY-----) found" if not blocks else
                       "%d private keys found where one is expected" % len(blocks))
    if "ENCRYPTED" in blocks[0].split("\n", 1)[0] or "Proc-Type: 4,ENCRYPTED" in blocks[0]:
        raise TLSError("the private key is encrypted with a passphrase; the proxy needs it unencrypted (keep it in "
                       "Ansible Vault instead: openssl pkey -in key.pem -out plain.pem)")
    try:
        return serialization.load_pem_private_key(blocks[0].encode("ascii"), password=None)
    except TypeError:
        raise TLSError("the private key is encrypted with a passphrase; the proxy needs it unencrypted") from None
    except (ValueError, UnsupportedAlgorithm, UnicodeEncodeError):
        raise TLSError("the private key cannot be read (not a PEM RSA, EC or Ed25519 key)") from None


def _public_bytes(public_key):
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_matches(cert, key):
    return _public_bytes(cert.public_key()) == _public_bytes(key.public_key())


def fingerprint(cert):
    """SHA-256 fingerprint as colon-separated upper-case hex (as browsers and openssl show it)."""
    return ":".join("%02X" % byte for byte in cert.fingerprint(hashes.SHA256()))


def _extension(cert, kind):
    try:
        return cert.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def subject_names(cert):
    """The DNS names and IP addresses of the subjectAltName (the common name is not used by browsers or Go)."""
    san = _extension(cert, x509.SubjectAlternativeName)
    if san is None:
        return []
    return ([str(name) for name in san.get_values_for_type(x509.DNSName)]
            + [str(address) for address in san.get_values_for_type(x509.IPAddress)])


def name_matches(pattern, name):
    """RFC 6125 matching: case-insensitive, a wildcard only as the whole left-most label (``*.example.com`` covers
    ``a.example.com``, neither ``example.com`` nor ``a.b.example.com``); IP addresses compare as addresses."""
    pattern, name = str(pattern).lower().rstrip("."), str(name).lower().rstrip(".")
    try:
        return ipaddress.ip_address(pattern) == ipaddress.ip_address(name)
    except ValueError:
        pass
    if pattern.startswith("*."):
        head, _sep, rest = name.partition(".")
        return bool(head) and head != "*" and rest == pattern[2:]
    return pattern == name


def covers(cert, name):
    return any(name_matches(pattern, name) for pattern in subject_names(cert))


def describe(cert):
    return cert.subject.rfc4514_string() or "(empty subject)"


def signed_by(cert, issuer):
    """Whether ``issuer``'s key signed ``cert`` (RSA PKCS#1 v1.5 / PSS or ECDSA)."""
    public_key = issuer.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            try:
                public_key.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                                  cert.signature_hash_algorithm)
            except InvalidSignature:
                public_key.verify(cert.signature, cert.tbs_certificate_bytes,
                                  padding.PSS(mgf=padding.MGF1(cert.signature_hash_algorithm),
                                              salt_length=padding.PSS.AUTO), cert.signature_hash_algorithm)
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
        else:
            public_key.verify(cert.signature, cert.tbs_certificate_bytes)
    except (InvalidSignature, TypeError, ValueError, UnsupportedAlgorithm):
        return False
    return True


def is_ca(cert):
    constraints = _extension(cert, x509.BasicConstraints)
    return bool(constraints and constraints.ca)


def valid_name(name):
    """Whether ``name`` is a host name the front door can serve (a DNS name, no scheme, port or path)."""
    return bool(_DNS_NAME.match(str(name or ""))) and not str(name).replace(".", "").isdigit()


def certificate_report(cert_text, key_text=None, name="", warn_days=30, now=None):
    """What is wrong with a certificate (chain) and its key for ``name``.

    Returns a dict: ``problems`` (sentences; empty = usable), ``warnings`` (usable, but e.g. it expires within
    ``warn_days``), and, when the certificate could be read, ``names``, ``subject``, ``issuer``, ``not_after`` (ISO
    8601 UTC), ``days_left``, ``chain_length``, ``fingerprint_sha256``. No key material is ever part of it."""
    now = now or utcnow()
    report = {"problems": [], "warnings": [], "names": [], "subject": "", "issuer": "", "not_after": "",
              "days_left": None, "chain_length": 0, "fingerprint_sha256": ""}
    problems, warnings = report["problems"], report["warnings"]
    try:
        chain = load_certificates(cert_text)
    except TLSError as exc:
        problems.append("certificate: %s" % exc)
        chain = []
    key = None
    if key_text is not None:
        try:
            key = load_private_key(key_text)
        except TLSError as exc:
            problems.append("key: %s" % exc)
    if not chain:
        return report
    leaf = chain[0]
    expires = not_after(leaf)
    days_left = int((expires - now).total_seconds() // 86400)
    report.update(names=subject_names(leaf), subject=describe(leaf), issuer=leaf.issuer.rfc4514_string(),
                  not_after=expires.strftime("%Y-%m-%dT%H:%M:%SZ"), days_left=days_left, chain_length=len(chain),
                  fingerprint_sha256=fingerprint(leaf))
    if key is not None and not key_matches(leaf, key):
        problems.append("the key does not belong to the certificate (their public keys differ): give the key the "
                        "certificate was issued for")
    if name and not covers(leaf, name):
        problems.append("the certificate does not cover %s (its subjectAltName lists: %s)"
                        % (name, ", ".join(report["names"]) or "no names"))
    if expires <= now:
        problems.append("the certificate expired on %s" % report["not_after"])
    elif days_left < int(warn_days):
        warnings.append("the certificate expires in %d days (%s); renew it" % (days_left, report["not_after"]))
    if not_before(leaf) > now:
        problems.append("the certificate is not valid before %s" % not_before(leaf).strftime("%Y-%m-%dT%H:%M:%SZ"))
    usage = _extension(leaf, x509.ExtendedKeyUsage)
    if usage is not None and ExtendedKeyUsageOID.SERVER_AUTH not in usage:
        problems.append("the certificate is not for TLS servers (its extendedKeyUsage lacks serverAuth)")
    if is_ca(leaf):
        warnings.append("the first certificate is a CA certificate; put the server certificate first")
    for index in range(len(chain) - 1):
        child, parent = chain[index], chain[index + 1]
        if child.issuer != parent.subject or not signed_by(child, parent):
            problems.append("the chain is out of order: certificate %d (%s) did not issue certificate %d (%s); put the "
                            "server certificate first, then each issuer" % (index + 2, describe(parent), index + 1,
                                                                            describe(child)))
            break
    for index, cert in enumerate(chain[1:], start=2):
        if not_after(cert) <= now:
            problems.append("certificate %d of the chain (%s) expired on %s"
                            % (index, describe(cert), not_after(cert).strftime("%Y-%m-%dT%H:%M:%SZ")))
    return report


# ---- The internal CA -----------------------------------------------------------------------------------------
def new_key():
    """An ECDSA P-256 key (what browsers, Go and OpenSSL clients all accept; fast to make)."""
    return ec.generate_private_key(ec.SECP256R1())


def key_pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode("ascii")


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")


def new_ca(common_name, days, permitted_domains=(), now=None):
    """(key, certificate) of a self-signed CA that may sign no intermediate CA (path length 0); with
    ``permitted_domains``, only for names under them (X.509 name constraints, enforced by browsers, Go and OpenSSL)."""
    now = now or utcnow()
    key = new_key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "W&B front door (wandb_local.server)")])
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False, key_cert_sign=True,
                                            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
    if permitted_domains:
        builder = builder.add_extension(
            x509.NameConstraints(permitted_subtrees=[x509.DNSName(domain) for domain in permitted_domains],
                                 excluded_subtrees=None), critical=True)
    return key, builder.sign(key, hashes.SHA256())


def new_leaf(ca_key, ca_cert, names, days, now=None):
    """(key, certificate) for the DNS names ``names`` (the first also the common name), signed by the CA."""
    now = now or utcnow()
    key = new_key()
    alt_names = []
    for name in names:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    ca_ski = _extension(ca_cert, x509.SubjectKeyIdentifier)
    authority = (x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski) if ca_ski is not None else
                 x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()))
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(min(now + datetime.timedelta(days=days), not_after(ca_cert)))
            .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                         crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(authority, critical=False)
            .sign(ca_key, hashes.SHA256()))
    return key, cert


def leaf_renewal_reason(cert_text, key_text, ca_cert, names, renew_days, now=None):
    """Why the server certificate must be issued (again), or '' when it is fine: missing, unreadable, its key
    missing or another, not issued by this CA, not covering every name, or expiring within ``renew_days``."""
    now = now or utcnow()
    if not cert_text:
        return "no certificate yet"
    if not key_text:
        return "its key is missing"
    try:
        cert = load_certificates(cert_text)[0]
        key = load_private_key(key_text)
    except TLSError as exc:
        return str(exc)
    if not key_matches(cert, key):
        return "the key does not belong to the certificate"
    if cert.issuer != ca_cert.subject or not signed_by(cert, ca_cert):
        return "it was not issued by this CA"
    missing = [name for name in names if not covers(cert, name)]
    if missing:
        return "it does not cover %s" % ", ".join(missing)
    if sorted(name.lower() for name in subject_names(cert)) != sorted(name.lower() for name in names):
        return "its names (%s) are not exactly %s" % (", ".join(subject_names(cert)), ", ".join(names))
    if not_after(cert) - now < datetime.timedelta(days=int(renew_days)):
        return "it expires on %s, within %s days" % (not_after(cert).strftime("%Y-%m-%d"), renew_days)
    return ""
