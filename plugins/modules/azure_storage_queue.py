#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wandb_local.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: azure_storage_queue
short_description: Ensure an Azure storage queue
version_added: 0.1.0
description:
  - Creates (or deletes) a queue of an Azure storage account through the Queue service REST API with Shared Key
    authorization. The W&B server reads the Event Grid notifications of new blobs from it.
  - The same requests work against Azure and against the Azurite emulator (set O(queue_endpoint)).
  - Names are checked against Azure's naming rules before any request is sent.
author:
  - wandb_local.server contributors (!UNKNOWN)
options:
  name:
    description: Queue name (3-63 lowercase letters, digits and single hyphens).
    type: str
    required: true
  state:
    description: V(present) creates the queue when missing, V(absent) deletes it (with its messages).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - wandb_local.server._azure
  - wandb_local.server._azure.data
  - wandb_local.server._azure.queue_endpoint
"""

EXAMPLES = r"""
- name: Queue for the blob-created notifications
  wandb_local.server.azure_storage_queue:
    account_name: wandbfiles
    account_key: "{{ storage_key }}"
    name: wandb-file-events
  delegate_to: localhost
"""

RETURN = r"""
queue:
  description: State of the queue after the run.
  returned: always
  type: dict
  sample: {name: wandb-file-events, exists: true}
url:
  description: URL of the queue.
  returned: always
  type: str
  sample: https://wandbfiles.queue.core.windows.net/wandb-file-events
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._azure import (
    SharedKeyClient,
    StorageError,
    create_queue,
    data_argument_spec,
    default_endpoint,
    delete_queue,
    first_error,
    queue_exists,
    require_libs,
    validate_account_key,
    validate_account_name,
    validate_endpoint,
    validate_queue_name,
)


def main():
    spec = data_argument_spec("queue")
    spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    endpoint = p["queue_endpoint"] or default_endpoint(p["account_name"] or "", "queue")
    error = first_error(
        validate_account_name(p["account_name"]),
        validate_queue_name(p["name"]),
        validate_account_key(p["account_key"]),
        validate_endpoint(endpoint, "queue_endpoint"),
    )
    if error:
        module.fail_json(msg=error)
    require_libs(module)

    client = SharedKeyClient(p["account_name"], p["account_key"], endpoint, timeout=p["timeout"])
    try:
        before = {"name": p["name"], "exists": queue_exists(client, p["name"])}
        after = {"name": p["name"], "exists": p["state"] == "present"}
        changed = before != after
        if changed and not module.check_mode:
            if p["state"] == "present":
                create_queue(client, p["name"])
            else:
                delete_queue(client, p["name"])
    except StorageError as exc:
        module.fail_json(msg="storage queue %s at %s: %s. Check account_name, account_key and queue_endpoint."
                         % (p["name"], endpoint, exc))

    result = dict(changed=changed, queue=after, url="%s/%s" % (endpoint.rstrip("/"), p["name"]))
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
