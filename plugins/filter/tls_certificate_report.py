# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The certificate check of the HTTPS front door (role front_door), run on the controller by its preflight, so
playbooks/validate.yml refuses a certificate that does not fit its key or name without contacting any host."""
from __future__ import annotations

DOCUMENTATION = r"""
name: tls_certificate_report
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: What is wrong with a TLS certificate and its key for a host name
description:
  - Reads a PEM certificate (the server certificate first, then its chain) and, optionally, its PEM private key with
    the Python C(cryptography) package, and says what would make the front door serve it wrongly - unreadable, an
    encrypted key, a key of another certificate, the name not in the subjectAltName (wildcards as browsers match them),
    expired or not yet valid, not for TLS servers, a chain out of order - and warns when it expires within
    O(warn_days) days.
  - The result never contains key material, so it may be shown; the task that reads the key should still be
    C(no_log).
options:
  _input:
    description: The PEM certificate (chain).
    type: str
    required: true
  key:
    description: The PEM private key; omitted or null to check the certificate alone.
    type: str
  name:
    description: The host name the certificate must cover; empty to skip that check.
    type: str
    default: ""
  warn_days:
    description: Warn when the certificate expires within this many days.
    type: int
    default: 30
"""

EXAMPLES = r"""
- name: Check the certificate before anything changes
  ansible.builtin.set_fact:
    tls_report: "{{ lookup('file', '/srv/tls/wandb.pem') | wandb_local.server.tls_certificate_report(
                    lookup('file', '/srv/tls/wandb.key'), 'wandb.example.com', 30) }}"
  no_log: true
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    problems:
      description: What makes the certificate unusable, as sentences; empty when it is usable.
      type: list
      elements: str
    warnings:
      description: Usable, but for example expiring soon.
      type: list
      elements: str
    names:
      description: DNS names and IP addresses of the subjectAltName.
      type: list
      elements: str
    not_after:
      description: End of validity, ISO 8601 UTC.
      type: str
    days_left:
      description: Whole days until then.
      type: int
    fingerprint_sha256:
      description: SHA-256 fingerprint of the server certificate.
      type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.module_utils import _x509


def tls_certificate_report(cert_pem, key=None, name="", warn_days=30):
    """The problems and warnings of a certificate (chain) and its key for ``name`` (module_utils/_x509.py)."""
    if not _x509.HAS_CRYPTOGRAPHY:
        raise AnsibleFilterError("tls_certificate_report needs the Python package cryptography on the controller "
                                 "(pip install cryptography; ansible-core depends on it)")
    return _x509.certificate_report(cert_pem, key, name or "", int(warn_days))


class FilterModule:
    """TLS certificate filters."""

    def filters(self):
        return {"tls_certificate_report": tls_certificate_report}
