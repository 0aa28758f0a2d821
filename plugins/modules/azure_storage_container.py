#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) wandb_local.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: azure_storage_container
short_description: Ensure a private Azure blob container
version_added: 0.1.0
description:
  - Creates a blob container with no anonymous (public) access, or makes an existing one private, through the
    Blob service REST API with Shared Key authorization.
  - The same requests work against Azure and against the Azurite emulator (set O(blob_endpoint)).
  - Making an existing container private keeps its stored access policies (the ACL is read and written back
    without the public-access header).
  - Names are checked against Azure's naming rules before any request is sent.
author:
  - wandb_local.server contributors (!UNKNOWN)
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
    SharedKeyClient,
    StorageError,
    create_container,
    data_argument_spec,
    default_endpoint,
    delete_container,
    first_error,
    get_container,
    make_container_private,
    require_libs,
    validate_account_key,
    validate_account_name,
    validate_container_name,
    validate_endpoint,
)


def _view(name, current):
    if current is None:
        return {"name": name, "exists": False, "public_access": None}
    return {"name": name, "exists": True, "public_access": current["public_access"]}


def main():
    spec = data_argument_spec("blob")
    spec.update(
        name=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    endpoint = p["blob_endpoint"] or default_endpoint(p["account_name"] or "", "blob")
    error = first_error(
        validate_account_name(p["account_name"]),
        validate_container_name(p["name"]),
        validate_account_key(p["account_key"]),
        validate_endpoint(endpoint, "blob_endpoint"),
    )
    if error:
        module.fail_json(msg=error)
    require_libs(module)

    client = SharedKeyClient(p["account_name"], p["account_key"], endpoint, timeout=p["timeout"])
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
        module.fail_json(msg="blob container %s at %s: %s. Check account_name, account_key and blob_endpoint."
                         % (p["name"], endpoint, exc))

    result = dict(changed=changed, container=after, url="%s/%s" % (endpoint.rstrip("/"), p["name"]))
    if module._diff:
        result["diff"] = {"before": before, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
