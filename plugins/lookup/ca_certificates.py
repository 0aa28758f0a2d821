# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
name: ca_certificates
short_description: The PEM texts of custom CA certificates given as controller files or PEM texts
version_added: 0.3.0
author:
  - wandb_local.server maintainers (!UNKNOWN)
description:
  - Turns the items of C(wandb_server_ca_certificates) into PEM texts, in order, for the C(ca_certificates) option of
    this collection's pre-flight modules and for the certificate files the C(wandb_server) role mounts into the
    server.
  - An item containing C(-----BEGIN) is taken as the PEM text itself; any other item is the path of a file on the
    controller, found like the C(ansible.builtin.file) lookup finds one (absolute, or in the role's or playbook's
    C(files/)); an Ansible Vault encrypted file is decrypted.
  - Every item must hold at least one certificate (C(-----BEGIN CERTIFICATE-----)) and no private key; the error
    names the item by its position and never shows its content.
options:
  _terms:
    description: Paths of PEM files on the controller, or PEM texts.
    type: list
    elements: str
    required: true
notes:
  - Use C(query) (or C(wantlist=true)) to get a list.
"""

EXAMPLES = r"""
- name: The PEM texts of the custom CAs
  ansible.builtin.debug:
    msg: "{{ query('wandb_local.server.ca_certificates', *wandb_server_ca_certificates) }}"
"""

RETURN = r"""
_raw:
  description: One PEM text per item, stripped and ending with a newline.
  type: list
  elements: str
"""

from ansible.errors import AnsibleError, AnsibleLookupError
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.lookup import LookupBase

from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import CA_VARIABLE, pem_problems


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        pems = []
        for index, term in enumerate(terms):
            where = "%s item %d" % (CA_VARIABLE, index)
            if not isinstance(term, str) or not term.strip():
                raise AnsibleLookupError("%s must be the path of a PEM file on the controller or a PEM text, got %s"
                                         % (where, "an empty string" if isinstance(term, str) else type(term).__name__))
            if "-----BEGIN" in term:
                text = term
            else:
                where = "%s item %d (%s)" % (CA_VARIABLE, index, term)
                try:
                    path = self.find_file_in_search_path(variables, "files", term)
                except AnsibleError:
                    path = None
                if not path:
                    raise AnsibleLookupError("%s: no such file on the controller; give an absolute path, a file in the "
                                             "playbook's files/ directory, or the PEM text itself" % where)
                try:
                    real = self._loader.get_real_file(path, decrypt=True)
                    with open(real, "rb") as handle:
                        text = to_text(handle.read(), errors="surrogate_or_replace")
                except (AnsibleError, IOError, OSError) as exc:
                    raise AnsibleLookupError("%s: cannot read it: %s" % (where, exc))
            problems = pem_problems(text)
            if problems:
                raise AnsibleLookupError("%s: %s" % (where, problems[0]))
            pems.append(text.strip() + "\n")
        return pems
