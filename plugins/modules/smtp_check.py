#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: smtp_check
short_description: Prove the W&B server's SMTP server (GORILLA_EMAIL_SINK) takes its connection, TLS and login
version_added: 0.3.0
description:
  - Connects to the SMTP server of C(GORILLA_EMAIL_SINK) (C(smtp://[user:password@]host:port), W&B's documentation
    "Configure SMTP"), says C(EHLO), upgrades with C(STARTTLS) when the server offers it (or speaks TLS from the start
    for C(smtps://) and port 465), then authenticates with the user and password (C(AUTH)), with Python's C(smtplib).
  - Never sends mail (no C(MAIL), C(RCPT) or C(DATA)); changes nothing, so it reports C(changed=false) and runs the same
    in check mode.
  - Each failure says what to fix and names O(variable) (the inventory variable of the URL), or
    C(wandb_server_ca_certificates) for a certificate signed by a CA neither the system nor O(ca_certificates) trust.
    The password is never returned or printed.
  - With O(unchanged_env_file), nothing is contacted when that env file already holds O(unchanged_env) (the
    C(wandb_server) role passes the server's env file and C(GORILLA_EMAIL_SINK), so only a new sink is checked).
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  url:
    description:
      - The email sink, C(smtp://[user:password@]host[:port]) (port 25 by default) or C(smtps://...) (465); user name
        and password percent-encoded.
    type: str
    required: true
  security:
    description:
      - C(auto) - TLS from the start for C(smtps://) or port 465; otherwise C(STARTTLS) when the server offers it, and
        a user name and password are refused over a connection without TLS (except to a loopback address).
      - C(starttls) - C(STARTTLS) is required. C(tls) - TLS from the start. C(none) - never TLS.
    type: str
    choices: [auto, starttls, tls, none]
    default: auto
  validate_certs:
    description: Verify the TLS certificate and host name. Turn off only for test servers.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for the connection and each reply.
    type: float
    default: 10.0
  local_hostname:
    description: Name sent with C(EHLO); default the host's fully qualified name.
    type: str
  variable:
    description: Name of the inventory variable that holds O(url), used in every message.
    type: str
    default: url
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
- name: Check the email sink before the server gets it
  wandb_local.server.smtp_check:
    url: "{{ wandb_server_email_sink }}"
    variable: wandb_server_email_sink
    ca_certificates: "{{ query('wandb_local.server.ca_certificates', *wandb_server_ca_certificates) }}"

- name: A relay without authentication that offers no TLS
  wandb_local.server.smtp_check:
    url: smtp://relay.internal:25
    security: none
"""

RETURN = r"""
checked:
  description: Whether the server was contacted (false when O(unchanged_env_file) already held the values).
  returned: always
  type: bool
  sample: true
host:
  description: Host of the SMTP server.
  returned: always
  type: str
  sample: mail.example.com
port:
  description: Port of the SMTP server.
  returned: always
  type: int
  sample: 587
tls:
  description: C(starttls), C(tls) (from the start) or C(none).
  returned: when checked
  type: str
  sample: starttls
starttls_offered:
  description: Whether the server offered C(STARTTLS) in its first C(EHLO) answer.
  returned: when checked
  type: bool
authenticated:
  description: Whether a user name and password were accepted (false for a URL without them).
  returned: when checked
  type: bool
  sample: true
auth_mechanisms:
  description: The C(AUTH) mechanisms the server offers (after TLS).
  returned: when checked
  type: list
  elements: str
  sample: [LOGIN, PLAIN]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import ca_certificates_argument_spec
from ansible_collections.wandb_local.server.plugins.module_utils._settings_check import (
    unchanged,
    unchanged_argument_spec,
)
from ansible_collections.wandb_local.server.plugins.module_utils._smtp import (
    SECURITY_MODES,
    SmtpCheckError,
    check,
    parse_sink,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            url=dict(type="str", required=True, no_log=True),
            security=dict(type="str", choices=list(SECURITY_MODES), default="auto"),
            validate_certs=dict(type="bool", default=True),
            timeout=dict(type="float", default=10.0),
            local_hostname=dict(type="str"),
            variable=dict(type="str", default="url"),
            **dict(ca_certificates_argument_spec(), **unchanged_argument_spec())
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        sink = parse_sink(p["url"], p["variable"])
    except SmtpCheckError as exc:
        module.fail_json(msg=str(exc))
    if sink["password"]:
        module.no_log_values.add(sink["password"])
    result = dict(changed=False, checked=False, host=sink["host"], port=sink["port"])
    if unchanged(p["unchanged_env_file"], p["unchanged_env"]):
        module.exit_json(**result)
    try:
        found = check(sink["host"], sink["port"], user=sink["user"], password=sink["password"],
                      security=p["security"], implicit_tls=sink["scheme"] == "smtps",
                      ca_certificates=p["ca_certificates"], validate_certs=p["validate_certs"], timeout=p["timeout"],
                      variable=p["variable"], local_hostname=p["local_hostname"])
    except SmtpCheckError as exc:
        module.fail_json(msg=str(exc), **result)
    result.update(found, checked=True)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
