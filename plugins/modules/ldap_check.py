#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: ldap_check
short_description: Prove the W&B server's LDAP settings bind and find the base DN
version_added: 0.3.0
description:
  - Connects to the LDAP server of C(LOCAL_LDAP_ADDRESS) (C(ldaps://) TLS from the start, or C(ldap://) with StartTLS
    when O(starttls), as C(LOCAL_LDAP_TLS_ENABLE) asks), binds with the bind DN and password (a simple bind; an
    anonymous one without a DN), and searches the base DN itself (scope base), as the server will before it looks up
    users.
  - Speaks that subset of LDAPv3 (RFC 4511) itself over a socket, with Python's standard library only.
  - Read-only; reports C(changed=false) and runs the same in check mode. The password is never returned or printed.
  - Each failure names the variable to fix - O(variables) maps the options to the inventory's names - a wrong
    password the bind password's, a base DN that does not exist the base DN's, an unknown CA
    C(wandb_server_ca_certificates).
  - With O(unchanged_env_file), nothing is contacted when that env file already holds O(unchanged_env) (the
    C(wandb_server) role passes the server's env file and its LDAP variables, so only new settings are checked).
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  address:
    description: C(ldap://HOST[:PORT]) (389) or C(ldaps://HOST[:PORT]) (636).
    type: str
    required: true
  base_dn:
    description: The DN searches start from; it must exist and be readable by the bind DN.
    type: str
    required: true
  bind_dn:
    description: DN to bind as; empty for an anonymous bind.
    type: str
    default: ""
  bind_password:
    description: Password of O(bind_dn).
    type: str
    default: ""
  starttls:
    description: On an C(ldap://) address, upgrade to TLS with the StartTLS operation before binding.
    type: bool
    default: false
  validate_certs:
    description: Verify the TLS certificate and host name. Turn off only for test servers.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the connection and each answer.
    type: float
    default: 10.0
  variables:
    description:
      - Inventory variable names for the messages, by option (C(address), C(base_dn), C(bind_dn), C(bind_password),
        C(tls), C(ca_certificates)); default the option names (C(wandb_server_ca_certificates) for the CAs).
    type: dict
    default: {}
  unchanged_env_file:
    description: An env file; when it already holds O(unchanged_env), nothing is contacted (RV(checked) false).
    type: path
  unchanged_env:
    description: Environment variables (name to value) O(unchanged_env_file) is compared with.
    type: dict
    default: {}
extends_documentation_fragment:
  - wandb_local.server._ca_certificates
  - wandb_local.server._attributes.read_only
"""

EXAMPLES = r"""
- name: Bind and search the base DN over LDAPS with an internal CA
  wandb_local.server.ldap_check:
    address: ldaps://ldap.example.com:636
    base_dn: dc=example,dc=com
    bind_dn: cn=wandb,ou=services,dc=example,dc=com
    bind_password: "{{ vault_ldap_password }}"
    ca_certificates: ["{{ lookup('ansible.builtin.file', 'internal-ca.pem') }}"]

- name: An anonymous bind with StartTLS
  wandb_local.server.ldap_check:
    address: ldap://ldap.example.com
    base_dn: ou=people,dc=example,dc=com
    starttls: true
"""

RETURN = r"""
checked:
  description: Whether the server was contacted (false when O(unchanged_env_file) already held the values).
  returned: always
  type: bool
  sample: true
host:
  description: Host of the LDAP server.
  returned: always
  type: str
  sample: ldap.example.com
port:
  description: Port of the LDAP server.
  returned: always
  type: int
  sample: 636
tls:
  description: C(ldaps), C(starttls) or C(none).
  returned: when checked
  type: str
  sample: ldaps
anonymous:
  description: Whether the bind was anonymous.
  returned: when checked
  type: bool
  sample: false
entries:
  description: Entries the base search returned (1).
  returned: when checked
  type: int
  sample: 1
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import ca_certificates_argument_spec
from ansible_collections.wandb_local.server.plugins.module_utils._ldap import (
    LdapCheckError,
    check,
    parse_address,
)
from ansible_collections.wandb_local.server.plugins.module_utils._settings_check import (
    unchanged,
    unchanged_argument_spec,
)

VARIABLE_KEYS = ("address", "base_dn", "bind_dn", "bind_password", "tls", "ca_certificates")


def main():
    module = AnsibleModule(
        argument_spec=dict(
            address=dict(type="str", required=True),
            base_dn=dict(type="str", required=True),
            bind_dn=dict(type="str", default=""),
            bind_password=dict(type="str", default="", no_log=True),
            starttls=dict(type="bool", default=False),
            validate_certs=dict(type="bool", default=True),
            timeout=dict(type="float", default=10.0),
            variables=dict(type="dict", default={}),
            **dict(ca_certificates_argument_spec(), **unchanged_argument_spec())
        ),
        supports_check_mode=True,
    )
    p = module.params
    unknown = sorted(set(p["variables"]) - set(VARIABLE_KEYS))
    if unknown:
        module.fail_json(msg="variables: %s unknown; known: %s" % (", ".join(unknown), ", ".join(VARIABLE_KEYS)))
    names = dict((key, key) for key in VARIABLE_KEYS)
    names["ca_certificates"] = "wandb_server_ca_certificates"
    names.update(dict((key, str(value)) for key, value in p["variables"].items()))
    try:
        scheme, host, port = parse_address(p["address"], names["address"])
    except LdapCheckError as exc:
        module.fail_json(msg=str(exc), variable=exc.variable)
    result = dict(changed=False, checked=False, host=host, port=port)
    if p["bind_dn"] and not p["bind_password"]:
        module.fail_json(msg="%s is set but %s is empty: an empty password is an unauthenticated bind that proves "
                             "nothing (RFC 4513 5.1.2); give the password, or leave both empty for an anonymous "
                             "bind" % (names["bind_dn"], names["bind_password"]), variable=names["bind_password"],
                         **result)
    if scheme == "ldaps" and p["starttls"]:
        module.fail_json(msg="%s is an ldaps:// address (TLS from the start) and %s asks for StartTLS too: use one "
                             "(ldap:// with StartTLS, or ldaps:// alone)" % (names["address"], names["tls"]),
                         variable=names["tls"], **result)
    if unchanged(p["unchanged_env_file"], p["unchanged_env"]):
        module.exit_json(**result)
    try:
        found = check(p["address"], p["base_dn"], p["bind_dn"], p["bind_password"], starttls=p["starttls"],
                      ca_certificates=p["ca_certificates"], validate_certs=p["validate_certs"],
                      timeout=p["timeout"], variables=names)
    except LdapCheckError as exc:
        module.fail_json(msg=str(exc), variable=exc.variable, **result)
    result.update(found, checked=True)
    result.pop("scheme", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
