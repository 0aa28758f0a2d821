#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: azure_storage_container
short_description: Ensure a private Azure blob container
version_added: 0.1.0
description:
  - Creates a blob container with no anonymous (public) access, or makes an existing one private, through
    C(azure-storage-blob) (C(BlobServiceClient)) with the account key or Entra ID.
  - The same calls work against Azure and against the Azurite emulator (set O(blob_endpoint)).
  - Making an existing container private keeps its stored access policies (the ACL is read and written back
    without the public-access header).
  - Names are checked against Azure's naming rules before any request is sent.
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  name:
    description: Container name (3-63 lowercase letters, digits and single hyphens).
    type: str
    required: true
  state:
    description: V(present) ensures a private container, V(absent) deletes it (with every blob in it).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - wandb_local.server._azure
  - wandb_local.server._azure.data
  - wandb_local.server._azure.blob_endpoint
"""

EXAMPLES = r"""
- name: Private container for W&B files
  wandb_local.server.azure_storage_container:
    account_name: wandbfiles
    account_key: "{{ storage_key }}"
    name: wandb-files
  delegate_to: localhost
"""

RETURN = r"""
container:
  description: State of the container after the run.
  returned: always
  type: dict
  sample: {name: wandb-files, exists: true, public_access: null}
url:
  description: URL of the container.
  returned: always
  type: str
  sample: https://wandbfiles.blob.core.windows.net/wandb-files
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._azure import (
    StorageError,
    create_container,
    data_client,
    data_error,
    delete_container,
    exit_named,
    get_container,
    make_container_private,
    named_data_argument_spec,
    validate_container_name,
)


def _view(name, current):
    if current is None:
        return {"name": name, "exists": False, "public_access": None}
    return {"name": name, "exists": True, "public_access": current["public_access"]}


def main():
    module = AnsibleModule(argument_spec=named_data_argument_spec("blob"), supports_check_mode=True)
    p = module.params
    client = data_client(module, "blob", validate_container_name)
    try:
        current = get_container(client, p["name"])
        before = _view(p["name"], current)
        if p["state"] == "absent":
            after = _view(p["name"], None)
        else:
            after = {"name": p["name"], "exists": True, "public_access": None}
        changed = before != after
        if changed and not module.check_mode:
            if p["state"] == "absent":
                delete_container(client, p["name"])
            elif current is None:
                create_container(client, p["name"])
            else:
                make_container_private(client, p["name"])
    except StorageError as exc:
        module.fail_json(msg=data_error("blob container %s" % p["name"], client, exc, "blob"))

    exit_named(module, client, "container", changed, before, after)


if __name__ == "__main__":
    main()
