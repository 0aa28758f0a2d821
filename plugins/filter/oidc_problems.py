# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The OpenID Connect rules an issuer and auth method break without asking the provider, for the oidc role's
preflight: the same functions (plugins/module_utils/_oidc.py) the oidc_check module applies before its request and
the settings module / wandb_server role apply to wandb_server_oidc_*."""
from __future__ import annotations

DOCUMENTATION = r"""
name: oidc_problems
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: OIDC issuer and auth method problems found offline
description:
  - Returns what is wrong with an OIDC issuer and auth method without contacting the provider (empty list - nothing).
  - "Rules: the issuer is an absolute http(s) URL without query or fragment; the method is implicit or pkce; a Cognito
    domain (C(https://NAME.auth.REGION.amazoncognito.com)) is not an issuer; a Cognito user pool issuer needs pkce."
options:
  _input:
    description: The issuer URL.
    type: str
    required: true
  auth_method:
    description: The auth method (implicit or pkce).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse a Cognito domain as issuer before anything changes
  ansible.builtin.assert:
    that: oidc_issuer | wandb_local.server.oidc_problems(oidc_auth_method) | length == 0
    fail_msg: "oidc_issuer: {{ oidc_issuer | wandb_local.server.oidc_problems(oidc_auth_method) | join('; ') }}"
"""

RETURN = r"""
_value:
  description: The problems, as sentences that say what to fix.
  type: list
  elements: str
"""

from ansible_collections.wandb_local.server.plugins.module_utils._oidc import host_problems, issuer_problems


def oidc_problems(issuer, auth_method):
    """Problems of `issuer` with `auth_method` visible without the network (empty list: none)."""
    return issuer_problems(issuer, auth_method)


def oidc_host_problems(hosts):
    """Problems of the W&B server origins `hosts` (the oidc_check module's `hosts` rule; empty list: none)."""
    return host_problems(hosts)


class FilterModule:
    """OIDC filters."""

    def filters(self):
        return {"oidc_problems": oidc_problems, "oidc_host_problems": oidc_host_problems}
