# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Custom CA certificates a pre-flight trusts, as the W&B server will; the argument spec is
``ca_certificates_argument_spec()`` in module_utils/_custom_ca.py."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  ca_certificates:
    description:
      - PEM texts of CA certificates to trust in addition to the system CAs (or to the module's own CA file, when
        given), so the check trusts exactly what the W&B server will trust.
      - The roles of this collection pass the certificates of the inventory variable C(wandb_server_ca_certificates)
        here, which the C(wandb_server) role also mounts into the server at
        C(/usr/local/share/ca-certificates/customCA<i>.crt).
      - A certificate signed by a CA that is neither a system CA nor one of these fails the module with a message
        naming C(wandb_server_ca_certificates).
    type: list
    elements: str
    default: []
"""
