# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn role variables into the W&B server's environment."""
from __future__ import annotations

DOCUMENTATION = r"""
name: server_env
version_added: 0.1.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Environment of the W&B server container from settings
description:
  - Maps canonical W&B settings (license, host, bucket, oidc_issuer, ...) to the environment variable names
    the server reads, in the C(classic) spelling of the documentation (LICENSE, HOST, OIDC_ISSUER...) or the
    C(gorilla) spelling of newer servers (GORILLA_LICENSE, GORILLA_FRONTEND_HOST...).
  - Unset settings (empty string, null, false) are left out so the server keeps its defaults.
  - I(integration_env) (classic names, published by the storage, redis, oidc and slack roles) is translated to
    the chosen spelling and overridden by explicit settings; I(extra_env) is passed verbatim and wins.
options:
  _input:
    description: Settings, canonical key to value.
    type: dict
    required: true
  style:
    description: Spelling of the variable names.
    type: str
    choices: [classic, gorilla]
    default: classic
  integration_env:
    description: Environment published by other roles, classic names.
    type: dict
  extra_env:
    description: Extra variables passed verbatim.
    type: dict
"""

EXAMPLES = r"""
- name: Server environment
  ansible.builtin.set_fact:
    env: "{{ {'host': 'https://wandb.example.com', 'license': ''} | wandb_local.server.server_env('gorilla') }}"
  # env == {'GORILLA_FRONTEND_HOST': 'https://wandb.example.com'}
"""

RETURN = r"""
_value:
  description: Environment variable name to value.
  type: dict
"""


from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import (
    SETTINGS,
    is_secret,
    preflight,
    settings_to_env,
)

_CLASSIC_TO_KEY = dict((names[0], key) for key, names in SETTINGS.items())


def server_env(settings, style="classic", integration_env=None, extra_env=None):
    """Environment for the server container; see DOCUMENTATION."""
    merged = {}
    extra = {}
    for name, value in (integration_env or {}).items():
        key = _CLASSIC_TO_KEY.get(name)
        if key is None:
            extra[name] = value
        else:
            merged[key] = value
    for key, value in (settings or {}).items():
        if key in merged and (value is None or value is False or value == ""):
            continue  # an unset explicit setting does not erase what a role published
        merged[key] = value
    extra.update(extra_env or {})
    try:
        return settings_to_env(merged, style, extra)
    except ValueError as exc:
        raise AnsibleFilterError("wandb_local.server.server_env: %s" % exc) from exc


def split_secret_env(env):
    """Split an environment into {'plain': {...}, 'secret': {...}} by the collection's one rule (is_secret: the
    catalog's flags, secret-looking names, values with credentials)."""
    result = {"plain": {}, "secret": {}}
    for name, value in (env or {}).items():
        result["secret" if is_secret(name, value) else "plain"][name] = value
    return result


def settings_problems(settings, subpath_allowed=True):
    """What is wrong with ``settings`` (canonical key -> value): the settings module's own pre-flight rules
    (license shape, HOST origin, OIDC completeness...), so the roles refuse exactly what the module refuses."""
    return [error for error in preflight(settings or {}, (settings or {}).keys(), subpath_allowed) if error]


class FilterModule:
    """W&B server environment filters."""

    def filters(self):
        return {"server_env": server_env, "split_secret_env": split_secret_env, "settings_problems": settings_problems}
