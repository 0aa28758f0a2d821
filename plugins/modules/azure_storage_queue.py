#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: azure_storage_queue
short_description: Ensure an Azure storage queue
version_added: 0.1.0
description:
  - Creates (or deletes) a queue of an Azure storage account through C(azure-storage-queue)
    (C(QueueServiceClient)) with the account key or Entra ID. The W&B server reads the Event Grid notifications
    of new blobs from it.
  - The same calls work against Azure and against the Azurite emulator (set O(queue_endpoint)).
  - Names are checked against Azure's naming rules before any request is sent.
author:
  - wandb_local.server maintainers (!UNKNOWN)
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
    StorageError,
    create_queue,
    data_client,
    data_error,
    delete_queue,
    exit_named,
    named_data_argument_spec,
    queue_exists,
    validate_queue_name,
)


def main():
    module = AnsibleModule(argument_spec=named_data_argument_spec("queue"), supports_check_mode=True)
    p = module.params
    client = data_client(module, "queue", validate_queue_name)
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
        module.fail_json(msg=data_error("storage queue %s" % p["name"], client, exc, "queue"))

    exit_named(module, client, "queue", changed, before, after)


if __name__ == "__main__":
    main()
