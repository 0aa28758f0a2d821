#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: tls_internal_ca
short_description: Keep an internal CA on the docker host and a server certificate from it for the front door
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Creates, once, a CA (ECDSA P-256 key, mode 0600, and a self-signed certificate valid O(ca_days) days that may
    sign no intermediate CA - path length 0) in O(ca_dir) (mode 0700), and keeps it - a later run reuses it, so the
    clients that trust it keep trusting the front door.
  - Issues a server certificate for O(names) signed by it into O(cert_file) and O(key_file) (the key 0600), and issues
    it again only when it is missing, unreadable, not from this CA, its key is another, its names differ, or it
    expires within O(renew_days) days. Otherwise nothing is written and the module reports no change.
  - Writes a copy of the CA certificate to O(public_ca_file) (mode 0644), where users fetch it to trust the front
    door (for example as C(SSL_CERT_FILE) and C(REQUESTS_CA_BUNDLE) of the wandb SDK).
  - Several instances on one docker host may run it at once with the same O(ca_dir) - the runs take turns on a lock
    file in it, so only one CA is created.
  - The CA is never replaced; it only warns when it expires within a year (remove O(ca_dir) and run again to make a
    new one, which every client must then trust anew).
  - Needs the Python package C(cryptography) on the docker host (Debian, Ubuntu - C(python3-cryptography)).
  - Returns no key material.
attributes:
  check_mode:
    support: full
    description: Reports whether the CA would be created or the certificate issued, writes nothing.
  diff_mode:
    support: none
    description: Returns no diff (the files are keys and certificates).
options:
  ca_dir:
    description: Directory of the CA, C(ca.key) and C(ca.crt); created with mode 0700.
    type: path
    required: true
  ca_common_name:
    description: Common name of the CA when it is created (the name users see in their trust store).
    type: str
    default: W&B front door CA
  ca_days:
    description: Validity of the CA when it is created, in days.
    type: int
    default: 3650
  name_constraints:
    description:
      - DNS domains the CA may issue for (X.509 name constraints, enforced by browsers, Go and OpenSSL), set when it
        is created, e.g. C([wandb.internal]). Empty - any name. A CA that exists keeps its constraints (the module
        warns when they differ).
    type: list
    elements: str
    default: []
  public_ca_file:
    description: Where a copy of the CA certificate is written for users to fetch (mode 0644); omit for none.
    type: path
  names:
    description: The host names (the first also the common name) of the server certificate.
    type: list
    elements: str
    required: true
  cert_file:
    description: The server certificate (PEM).
    type: path
    required: true
  key_file:
    description: Its private key (PEM, unencrypted, mode 0600).
    type: path
    required: true
  days:
    description: Validity of a server certificate it issues, in days (never beyond the CA's).
    type: int
    default: 365
  renew_days:
    description: Issue the server certificate again when it expires within this many days.
    type: int
    default: 30
  owner:
    description: Owner of O(cert_file) and O(key_file) (the user the proxy runs as); omit to keep the current user.
    type: str
  group:
    description: Group of O(cert_file) and O(key_file).
    type: str
"""

EXAMPLES = r"""
- name: Keep the internal CA and a certificate for wandb.lab.internal
  wandb_local.server.tls_internal_ca:
    ca_dir: /etc/wandb-front-door/ca
    public_ca_file: /etc/wandb-front-door/wandb-front-door-ca.crt
    names: [wandb.lab.internal]
    cert_file: /etc/caddy/wandb-tls/wandb.lab.internal/cert.pem
    key_file: /etc/caddy/wandb-tls/wandb.lab.internal/key.pem
    owner: caddy
    group: caddy
  register: internal_ca
"""

RETURN = r"""
ca_cert_file:
  description: The CA certificate in O(ca_dir).
  returned: always
  type: str
public_ca_file:
  description: The copy for users (empty when O(public_ca_file) is not given).
  returned: always
  type: str
ca_created:
  description: Whether the CA was created by this run.
  returned: always
  type: bool
ca_not_after:
  description: End of the CA's validity (ISO 8601 UTC); empty in check mode before it exists.
  returned: always
  type: str
ca_fingerprint_sha256:
  description: SHA-256 fingerprint of the CA certificate, for users to compare before they trust it.
  returned: always
  type: str
issued:
  description: Whether the server certificate was issued by this run.
  returned: always
  type: bool
reason:
  description: Why it was issued; empty when it was kept.
  returned: always
  type: str
not_after:
  description: End of the server certificate's validity (ISO 8601 UTC); empty in check mode before it exists.
  returned: always
  type: str
"""

import datetime
import fcntl
import grp
import os
import pwd
import tempfile

from ansible.module_utils.basic import AnsibleModule, missing_required_lib
from ansible_collections.wandb_local.server.plugins.module_utils import _x509


def read_text(path):
    try:
        with open(path) as handle:
            return handle.read()
    except (IOError, OSError):
        return ""


def write_file(path, text, mode, uid=-1, gid=-1):
    """Write ``text`` to ``path`` atomically, the temporary file created with ``mode`` from its first byte."""
    directory = os.path.dirname(path) or "."
    fd, temp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    try:
        os.fchmod(fd, mode)
        if uid != -1 or gid != -1:
            os.fchown(fd, uid, gid)
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def attributes_differ(path, mode, uid, gid):
    try:
        info = os.stat(path)
    except OSError:
        return True
    return ((info.st_mode & 0o7777) != mode or (uid != -1 and info.st_uid != uid)
            or (gid != -1 and info.st_gid != gid))


def set_attributes(path, mode, uid, gid):
    os.chmod(path, mode)
    if uid != -1 or gid != -1:
        os.chown(path, uid, gid)


def ensure_file(module, path, text, mode, uid=-1, gid=-1):
    """Make ``path`` hold ``text`` with ``mode`` and owner; True when something changed."""
    if read_text(path) == text:
        if not attributes_differ(path, mode, uid, gid):
            return False
        if not module.check_mode:
            set_attributes(path, mode, uid, gid)
        return True
    if not module.check_mode:
        write_file(path, text, mode, uid, gid)
    return True


def ids(module):
    uid = gid = -1
    try:
        if module.params["owner"]:
            uid = pwd.getpwnam(module.params["owner"]).pw_uid
        if module.params["group"]:
            gid = grp.getgrnam(module.params["group"]).gr_gid
    except KeyError as exc:
        module.fail_json(msg="owner/group of the certificate does not exist on this host: %s" % exc)
    return uid, gid


def constraint_domains(cert):
    try:
        constraints = cert.extensions.get_extension_for_class(_x509.x509.NameConstraints).value
    except _x509.x509.ExtensionNotFound:
        return []
    return sorted(str(name.value) for name in constraints.permitted_subtrees or [])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            ca_dir=dict(type="path", required=True),
            ca_common_name=dict(type="str", default="W&B front door CA"),
            ca_days=dict(type="int", default=3650),
            name_constraints=dict(type="list", elements="str", default=[]),
            public_ca_file=dict(type="path"),
            names=dict(type="list", elements="str", required=True),
            cert_file=dict(type="path", required=True),
            key_file=dict(type="path", required=True),
            days=dict(type="int", default=365),
            renew_days=dict(type="int", default=30),
            owner=dict(type="str"),
            group=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    if not _x509.HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography (Debian/Ubuntu: python3-cryptography)"),
                         exception=_x509.CRYPTOGRAPHY_IMPORT_ERROR)
    p = module.params
    names = [name.strip() for name in p["names"] if name.strip()]
    bad = [name for name in names if not _x509.valid_name(name)]
    if not names or bad:
        module.fail_json(msg="names must be host names (no scheme, port or path); got %s" % (bad or names))
    if p["days"] < 1 or p["renew_days"] < 0 or p["ca_days"] <= p["days"]:
        module.fail_json(msg="days must be positive, renew_days not negative, and ca_days more than days")
    ca_dir = p["ca_dir"]
    ca_key_file, ca_cert_file = os.path.join(ca_dir, "ca.key"), os.path.join(ca_dir, "ca.crt")
    result = dict(changed=False, ca_cert_file=ca_cert_file, public_ca_file=p["public_ca_file"] or "",
                  ca_created=False, ca_not_after="", ca_fingerprint_sha256="", issued=False, reason="", not_after="")
    uid, gid = ids(module)
    now = _x509.utcnow()

    if not os.path.isdir(ca_dir):
        if module.check_mode:
            result.update(changed=True, ca_created=True, issued=True, reason="no CA yet")
            module.exit_json(**result)
        os.makedirs(ca_dir, 0o700, exist_ok=True)  # another instance of this docker host may make it first
    if (os.stat(ca_dir).st_mode & 0o7777) != 0o700 and not module.check_mode:
        os.chmod(ca_dir, 0o700)
        result["changed"] = True

    lock_fd = None
    if not module.check_mode:
        lock_fd = os.open(os.path.join(ca_dir, ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(lock_fd, fcntl.LOCK_EX)  # other instances of this docker host wait here
    try:
        ca_key_text, ca_cert_text = read_text(ca_key_file), read_text(ca_cert_file)
        if ca_key_text or ca_cert_text:
            try:
                ca_key = _x509.load_private_key(ca_key_text)
                ca_cert = _x509.load_certificates(ca_cert_text)[0]
            except _x509.TLSError as exc:
                module.fail_json(msg="the internal CA in %s cannot be used (%s): restore ca.key and ca.crt, or remove "
                                     "the directory to create a new CA (every client must then trust it anew)"
                                     % (ca_dir, exc), **result)
            if not _x509.key_matches(ca_cert, ca_key) or not _x509.is_ca(ca_cert):
                module.fail_json(msg="%s and %s are not a CA certificate and its key: restore them, or remove %s to "
                                     "create a new CA" % (ca_cert_file, ca_key_file, ca_dir), **result)
            wanted = sorted(p["name_constraints"])
            if wanted != constraint_domains(ca_cert):
                module.warn("the internal CA in %s was created with name constraints %s, not %s; it is kept (remove "
                            "the directory to create a new CA, which every client must then trust anew)"
                            % (ca_dir, constraint_domains(ca_cert) or "none", wanted or "none"))
        elif module.check_mode:
            result.update(changed=True, ca_created=True, issued=True, reason="no CA yet")
            module.exit_json(**result)
        else:
            ca_key, ca_cert = _x509.new_ca(p["ca_common_name"], p["ca_days"], p["name_constraints"], now=now)
            write_file(ca_key_file, _x509.key_pem(ca_key), 0o600)
            write_file(ca_cert_file, _x509.cert_pem(ca_cert), 0o644)
            result.update(changed=True, ca_created=True)
        ca_expires = _x509.not_after(ca_cert)
        result.update(ca_not_after=ca_expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      ca_fingerprint_sha256=_x509.fingerprint(ca_cert))
        if ca_expires - now < datetime.timedelta(days=365):
            module.warn("the internal CA in %s expires on %s: make a new one (remove the directory and run again) and "
                        "have every client trust it before then" % (ca_dir, result["ca_not_after"]))
        if p["public_ca_file"]:
            parent = os.path.dirname(p["public_ca_file"])
            if parent and not os.path.isdir(parent) and not module.check_mode:
                os.makedirs(parent, 0o755, exist_ok=True)
            result["changed"] |= ensure_file(module, p["public_ca_file"], _x509.cert_pem(ca_cert), 0o644)

        reason = _x509.leaf_renewal_reason(read_text(p["cert_file"]), read_text(p["key_file"]), ca_cert, names,
                                           p["renew_days"], now=now)
        if reason:
            result.update(changed=True, issued=True, reason=reason)
            if not module.check_mode:
                key, cert = _x509.new_leaf(ca_key, ca_cert, names, p["days"], now=now)
                write_file(p["key_file"], _x509.key_pem(key), 0o600, uid, gid)
                write_file(p["cert_file"], _x509.cert_pem(cert), 0o644, uid, gid)
                result["not_after"] = _x509.not_after(cert).strftime("%Y-%m-%dT%H:%M:%SZ")
        else:
            cert = _x509.load_certificates(read_text(p["cert_file"]))[0]
            result["not_after"] = _x509.not_after(cert).strftime("%Y-%m-%dT%H:%M:%SZ")
            for path, mode in ((p["key_file"], 0o600), (p["cert_file"], 0o644)):
                if attributes_differ(path, mode, uid, gid):
                    result["changed"] = True
                    if not module.check_mode:
                        set_attributes(path, mode, uid, gid)
    finally:
        if lock_fd is not None:
            os.close(lock_fd)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
