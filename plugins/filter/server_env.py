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
    C(gorilla) spelling of newer servers (GORILLA_LICENSE, GORILLA_FRONTEND_HOST...). The one place that names
    settings as environment variables (the catalog C(SETTINGS) in C(plugins/module_utils/_wandb_settings.py)).
  - Unset settings (empty string, null, false) are left out so the server keeps its defaults.
  - I(integrations) (what the storage, redis, oidc and slack roles publish as C(<role>_server_settings), canonical
    keys too) is merged under the explicit settings; an unset explicit setting does not erase an integration's
    value. I(extra_env) is passed verbatim and wins.
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
  integrations:
    description:
      - Integration name (C(storage), C(redis), C(oidc), C(slack)) to the settings it published, canonical keys.
      - Each integration may publish only its own settings (C(INTEGRATION_SETTINGS) beside the catalog).
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

- name: With what the oidc role published, secrets apart (the wandb_server role's configure.yml)
  ansible.builtin.set_fact:
    env: >-
      {{ {'host': 'https://wandb.example.com'}
         | wandb_local.server.server_env('classic', {'oidc': oidc_server_settings})
         | wandb_local.server.split_secret_env }}
  # env.plain == {'HOST': 'https://wandb.example.com', 'OIDC_ISSUER': ..., 'OIDC_CLIENT_ID': ..., ...}

- name: The variables the env file keeps for integrations enabled but not run
  ansible.builtin.set_fact:
    keep: "{{ ['storage', 'oidc'] | wandb_local.server.kept_env_names({'oidc': oidc_server_settings}) }}"
  # keep == ['AWS_REGION', 'AWS_S3_KMS_ID', 'AZURE_STORAGE_ACCOUNT', 'AZURE_STORAGE_KEY', 'BUCKET', 'BUCKET_QUEUE']
"""

RETURN = r"""
_value:
  description: Environment variable name to value.
  type: dict
"""


import re

from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_settings import (
    INTEGRATION_SETTINGS,
    integration_env_names,
    is_secret,
    is_unset,
    preflight,
    settings_to_env,
)


def _integration_settings(integrations):
    """The settings the integrations published, merged; each only its own (INTEGRATION_SETTINGS)."""
    merged = {}
    for integration, published in sorted((integrations or {}).items()):
        owned = INTEGRATION_SETTINGS.get(integration)
        if owned is None:
            raise AnsibleFilterError("wandb_local.server.server_env: integrations: %r is not an integration with "
                                     "settings for the server; known: %s"
                                     % (integration, ", ".join(sorted(INTEGRATION_SETTINGS))))
        if not isinstance(published, dict):
            raise AnsibleFilterError("wandb_local.server.server_env: integrations: %s must be a dict of settings "
                                     "(canonical key -> value), got %s" % (integration, type(published).__name__))
        foreign = sorted(set(published) - set(owned))
        if foreign:
            raise AnsibleFilterError("wandb_local.server.server_env: integrations: %s published %s, which it does "
                                     "not own; its settings are: %s"
                                     % (integration, ", ".join(map(str, foreign)), ", ".join(owned)))
        merged.update(published)
    return merged


def server_env(settings, style="classic", integrations=None, extra_env=None):
    """Environment for the server container; see DOCUMENTATION."""
    merged = _integration_settings(integrations)
    for key, value in (settings or {}).items():
        if key in merged and is_unset(value):
            continue  # an unset explicit setting does not erase what a role published
        merged[key] = value
    try:
        return settings_to_env(merged, style, extra_env)
    except ValueError as exc:
        raise AnsibleFilterError("wandb_local.server.server_env: %s" % exc) from exc


def kept_env_names(enabled, published=None):
    """Environment names (both spellings) of the settings of the integrations in ``enabled`` that are not keys of
    ``published``: an integration the inventory enables whose role did not run keeps its variables in the env file
    (the env_file module's ``keep``)."""
    return integration_env_names(name for name in (enabled or []) if name not in (published or {}))


def split_secret_env(env):
    """Split an environment into {'plain': {...}, 'secret': {...}} by the collection's one rule (is_secret: the
    catalog's flags, secret-looking names, values with credentials)."""
    result = {"plain": {}, "secret": {}}
    for name, value in (env or {}).items():
        result["secret" if is_secret(name, value) else "plain"][name] = value
    return result


def settings_problems(settings, subpath_allowed=True, variable_prefix=""):
    """What is wrong with ``settings`` (canonical key -> value): the settings module's own pre-flight rules
    (license shape, HOST origin, OIDC completeness, the advanced settings...), so the roles refuse exactly what the
    module refuses. With ``variable_prefix`` (``wandb_server_``), every key of ``settings`` a message names becomes
    the role variable ``<prefix><key>``."""
    problems = [error for error in preflight(settings or {}, (settings or {}).keys(), subpath_allowed) if error]
    if variable_prefix and settings:
        keys = sorted(settings, key=len, reverse=True)
        pattern = re.compile(r"(?<![A-Za-z0-9_])(%s)(?![A-Za-z0-9_])" % "|".join(re.escape(key) for key in keys))
        problems = [pattern.sub(lambda match: variable_prefix + match.group(1), problem) for problem in problems]
    return problems


class FilterModule:
    """W&B server environment filters."""

    def filters(self):
        return {"server_env": server_env, "split_secret_env": split_secret_env, "kept_env_names": kept_env_names,
                "settings_problems": settings_problems}
