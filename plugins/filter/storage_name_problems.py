# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cloud naming rules a name breaks (bucket, container, queue, account, project, region, key...), for roles'
preflight checks.

The rules live in one place, plugins/module_utils/_storage.py (NAME_RULES); the storage modules, the settings module's
BUCKET/BUCKET_QUEUE checks and the roles (through this filter) all apply them, so a role can refuse a bad name (naming
its own variable) before any module runs.
"""
from __future__ import annotations

DOCUMENTATION = r"""
name: storage_name_problems
version_added: 0.1.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Naming rules a cloud resource name breaks
description:
  - Returns the list of the provider's naming rules that a name breaks; an empty list means the name is valid.
  - The sentences never repeat the name, so a caller decides whether to show it.
options:
  _input:
    description: The name to check.
    type: str
    required: true
  kind:
    description: Which rules apply.
    type: str
    choices: [s3, gcs, azure_container, azure_queue, azure_account, azure_subscription_id, azure_resource_group,
              azure_event_subscription,
              sqs_queue, aws_region, aws_kms_key, gcp_project, pubsub_id, gcp_kms_key, gcp_service_account]
    required: true
"""

EXAMPLES = r"""
- name: Refuse an invalid bucket name before anything changes
  ansible.builtin.assert:
    that: storage_bucket | wandb_local.server.storage_name_problems('s3') | length == 0
    fail_msg: "storage_bucket: {{ storage_bucket | wandb_local.server.storage_name_problems('s3') | join('; ') }}"
"""

RETURN = r"""
_value:
  description: The rules the name breaks, as sentences.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.module_utils._storage import NAME_RULES as _RULES


def storage_name_problems(name, kind):
    """The naming rules of `kind` that `name` breaks (empty list: valid)."""
    if kind not in _RULES:
        raise AnsibleFilterError("storage_name_problems: kind must be one of %s, got %r" % (", ".join(sorted(_RULES)), kind))
    return _RULES[kind](name)


class FilterModule:
    """Storage naming filters."""

    def filters(self):
        return {"storage_name_problems": storage_name_problems}
