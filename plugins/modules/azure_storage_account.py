#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: azure_storage_account
short_description: Create or adopt an Azure storage account with secure settings, and read its key
version_added: 0.1.0
description:
  - Creates the storage account when it does not exist (O(location) is then required), or adopts an existing one.
  - In both cases enforces HTTPS-only traffic, TLS 1.2 minimum, no anonymous (public) blob access, and Shared Key
    access not disabled (the W&B server authenticates with the account key).
  - The SKU and kind are used only at creation; an adopted account keeps its own. A location that differs from an
    existing account's is an error (Azure cannot move an account).
  - With O(return_key=true) the first account key (C(key1)) is returned as RV(key). Set C(no_log) on such a task, as
    Ansible cannot hide a returned value otherwise. Azure Resource Manager never returns keys with the account (its
    GET leaves them out by design); they come from the C(listKeys) action, one more request, which also needs its
    own permission (C(Microsoft.Storage/storageAccounts/listkeys/action)).
  - Uses azure-mgmt-storage against Azure Resource Manager with api-version C(2023-05-01). The key never appears in
    the diff.
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  resource_group:
    description: Resource group of the account (it must exist).
    type: str
    required: true
  name:
    description: Storage account name (3-24 lowercase letters and digits, globally unique).
    type: str
    required: true
  location:
    description: Azure region, e.g. V(eastus). Required to create the account; checked against an existing one.
    type: str
  sku:
    description: Replication SKU, used when the account is created.
    type: str
    default: Standard_LRS
    choices: [Standard_LRS, Standard_GRS, Standard_RAGRS, Standard_ZRS, Standard_GZRS, Standard_RAGZRS, Premium_LRS,
              Premium_ZRS]
  kind:
    description: Account kind, used when the account is created.
    type: str
    default: StorageV2
    choices: [StorageV2, BlobStorage, BlockBlobStorage, Storage]
  return_key:
    description: Return the account's first key as RV(key) (use C(no_log) on the task).
    type: bool
    default: false
requirements:
  - azure-mgmt-storage
  - azure-identity
extends_documentation_fragment:
  - wandb_local.server._azure
  - wandb_local.server._azure.arm
"""

EXAMPLES = r"""
- name: Storage account for W&B files
  wandb_local.server.azure_storage_account:
    subscription_id: 00000000-0000-0000-0000-000000000000
    resource_group: wandb
    name: wandbfiles
    location: eastus
  delegate_to: localhost

- name: Read the account key for the server
  wandb_local.server.azure_storage_account:
    subscription_id: 00000000-0000-0000-0000-000000000000
    resource_group: wandb
    name: wandbfiles
    return_key: true
  delegate_to: localhost
  register: account
  no_log: true
"""

RETURN = r"""
account:
  description: The account's managed settings and endpoints after the run.
  returned: always
  type: dict
  sample:
    id: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/wandb/providers/Microsoft.Storage/storageAccounts/wandbfiles
    name: wandbfiles
    location: eastus
    sku: Standard_LRS
    kind: StorageV2
    https_only: true
    minimum_tls_version: TLS1_2
    allow_blob_public_access: false
    allow_shared_key_access: true
    blob_endpoint: https://wandbfiles.blob.core.windows.net/
    queue_endpoint: https://wandbfiles.queue.core.windows.net/
key:
  description: First account key (C(key1)). Secret.
  returned: when O(return_key=true) and the account exists (not in check mode before it is created)
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._azure import (
    AzureAuthError,
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    arm_argument_spec,
    auth_error_message,
    check_arm_params,
    connection_error_message,
    first_error,
    require_libs,
    storage_account_id,
    storage_management_client,
    validate_account_name,
    validate_resource_group,
)

SECURE = {"https_only": True, "minimum_tls_version": "TLS1_2", "allow_blob_public_access": False,
          "allow_shared_key_access": True}


def _norm_location(value):
    return (value or "").replace(" ", "").lower()


def _view(account):
    """REST-shaped StorageAccount dict -> the settings this module manages and reports."""
    props = account.get("properties") or {}
    endpoints = props.get("primaryEndpoints") or {}
    return {
        "id": account.get("id"),
        "name": account.get("name"),
        "location": account.get("location"),
        "sku": (account.get("sku") or {}).get("name"),
        "kind": account.get("kind"),
        "https_only": props.get("supportsHttpsTrafficOnly"),
        "minimum_tls_version": props.get("minimumTlsVersion"),
        "allow_blob_public_access": props.get("allowBlobPublicAccess"),
        # Absent means allowed (Azure's default).
        "allow_shared_key_access": props.get("allowSharedKeyAccess") is not False,
        "blob_endpoint": endpoints.get("blob"),
        "queue_endpoint": endpoints.get("queue"),
    }


def _secure_properties():
    return {"supportsHttpsTrafficOnly": True, "minimumTlsVersion": "TLS1_2", "allowBlobPublicAccess": False,
            "allowSharedKeyAccess": True}


def main():
    spec = arm_argument_spec()
    spec.update(
        resource_group=dict(type="str", required=True),
        name=dict(type="str", required=True),
        location=dict(type="str"),
        sku=dict(type="str", default="Standard_LRS",
                 choices=["Standard_LRS", "Standard_GRS", "Standard_RAGRS", "Standard_ZRS", "Standard_GZRS",
                          "Standard_RAGZRS", "Premium_LRS", "Premium_ZRS"]),
        kind=dict(type="str", default="StorageV2", choices=["StorageV2", "BlobStorage", "BlockBlobStorage", "Storage"]),
        return_key=dict(type="bool", default=False, no_log=False),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    error = first_error(
        check_arm_params(p),
        validate_resource_group(p["resource_group"]),
        validate_account_name(p["name"], option="name"),
    )
    if error:
        module.fail_json(msg=error)
    require_libs(module)

    rg, name = p["resource_group"], p["name"]
    result = dict(changed=False)
    try:
        client = storage_management_client(p)
        try:
            current = client.storage_accounts.get_properties(rg, name).as_dict()
        except ResourceNotFoundError:
            current = None

        if current is None:
            if not p["location"]:
                module.fail_json(msg="storage account %s does not exist in resource group %s: set location to "
                                 "create it" % (name, rg))
            before = None
            after = {
                "id": storage_account_id(p["subscription_id"], rg, name), "name": name, "location": p["location"],
                "sku": p["sku"], "kind": p["kind"], "blob_endpoint": None, "queue_endpoint": None,
            }
            after.update(SECURE)
            result["changed"] = True
            if not module.check_mode:
                body = {"location": p["location"], "sku": {"name": p["sku"]}, "kind": p["kind"],
                        "properties": _secure_properties()}
                after = _view(client.storage_accounts.begin_create(rg, name, body).result().as_dict())
        else:
            before = _view(current)
            if p["location"] and _norm_location(p["location"]) != _norm_location(before["location"]):
                module.fail_json(msg="storage account %s exists in location %s, not %s: set location to %s (an "
                                 "account cannot be moved)" % (name, before["location"], p["location"],
                                                               before["location"]))
            after = dict(before)
            after.update(SECURE)
            if after != before:
                result["changed"] = True
                if not module.check_mode:
                    updated = client.storage_accounts.update(rg, name, {"properties": _secure_properties()})
                    after = _view(updated.as_dict())

        # The key is not part of the account read above: ARM hands keys out only through the listKeys action.
        if p["return_key"] and not (module.check_mode and current is None):
            keys = client.storage_accounts.list_keys(rg, name).as_dict().get("keys") or []
            if not keys:
                module.fail_json(msg="storage account %s returned no keys (is Shared Key access disabled?)" % name)
            wanted = [k for k in keys if k.get("keyName") == "key1"] or keys
            result["key"] = wanted[0]["value"]
    except AzureAuthError as exc:
        module.fail_json(msg=str(exc))
    except ClientAuthenticationError as exc:
        module.fail_json(msg="storage account %s: %s" % (name, auth_error_message(exc)))
    except HttpResponseError as exc:
        module.fail_json(msg="storage account %s in resource group %s: %s" % (name, rg, exc.message or exc))
    except AzureError as exc:
        module.fail_json(msg="storage account %s: %s" % (
            name, connection_error_message("Azure Resource Manager at %s" % p["arm_endpoint"], exc)))

    result["account"] = after
    if module._diff:
        result["diff"] = {"before": before or {}, "after": after}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
