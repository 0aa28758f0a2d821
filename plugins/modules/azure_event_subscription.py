#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: azure_event_subscription
short_description: Send a storage account's blob-created events for one container to a storage queue
version_added: 0.1.0
description:
  - Ensures an Event Grid subscription on a storage account with exactly what the W&B documentation asks for
    Event Grid schema, only C(Microsoft.Storage.BlobCreated), endpoint type storage queue pointing at O(queue) of
    the same account, and a subject filter beginning with C(/blobServices/default/containers/<container>/blobs/).
  - Reads the subscription first; writes (C(createOrUpdate), which replaces the whole subscription) only when one of
    those properties differs, then waits until its provisioning state is C(Succeeded).
  - Calls the Azure Resource Manager REST API (C(Microsoft.EventGrid/eventSubscriptions), api-version
    C(2022-06-15)) through azure-core's ARM pipeline, which also registers the C(Microsoft.EventGrid) resource
    provider in the subscription when Azure asks for it. No Event Grid SDK is needed.
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  resource_group:
    description: Resource group of the storage account.
    type: str
    required: true
  account_name:
    description: Storage account whose events are subscribed to; it also holds the queue.
    type: str
    required: true
  container:
    description: Blob container whose new blobs are reported.
    type: str
    required: true
  queue:
    description: Storage queue of the same account that receives the events.
    type: str
    required: true
  name:
    description: Name of the event subscription (3-64 letters, digits or hyphens).
    type: str
    default: wandb-blob-created
  state:
    description: V(present) ensures the subscription, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  wait_timeout:
    description: Seconds to wait for the subscription's provisioning to finish.
    type: int
    default: 300
requirements:
  - azure-mgmt-core
  - azure-identity
extends_documentation_fragment:
  - wandb_local.server._azure
  - wandb_local.server._azure.arm
"""

EXAMPLES = r"""
- name: Blob-created events of the W&B container into the queue
  wandb_local.server.azure_event_subscription:
    subscription_id: 00000000-0000-0000-0000-000000000000
    resource_group: wandb
    account_name: wandbfiles
    container: wandb-files
    queue: wandb-file-events
  delegate_to: localhost
"""

RETURN = r"""
event_subscription:
  description: The managed properties of the event subscription after the run (the request body's C(properties)).
  returned: always
  type: dict
  sample:
    destination:
      endpointType: StorageQueue
      properties:
        resourceId: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/wandb/providers/Microsoft.Storage/storageAccounts/wandbfiles
        queueName: wandb-file-events
    filter:
      includedEventTypes: [Microsoft.Storage.BlobCreated]
      subjectBeginsWith: /blobServices/default/containers/wandb-files/blobs/
    eventDeliverySchema: EventGridSchema
id:
  description: Resource id of the event subscription.
  returned: always
  type: str
"""

import random
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._azure import (
    EVENTGRID_API_VERSION,
    ArmRestClient,
    AzureAuthError,
    AzureError,
    ClientAuthenticationError,
    arm_argument_spec,
    arm_error_message,
    auth_error_message,
    check_arm_params,
    connection_error_message,
    first_error,
    require_libs,
    storage_account_id,
    validate_account_name,
    validate_container_name,
    validate_event_subscription_name,
    validate_queue_name,
    validate_resource_group,
)

BLOB_CREATED = "Microsoft.Storage.BlobCreated"


def wanted_properties(account_id, container, queue):
    """The subscription's properties exactly as the W&B documentation describes them."""
    return {
        "destination": {
            "endpointType": "StorageQueue",
            "properties": {"resourceId": account_id, "queueName": queue},
        },
        "filter": {
            "includedEventTypes": [BLOB_CREATED],
            "subjectBeginsWith": "/blobServices/default/containers/%s/blobs/" % container,
        },
        "eventDeliverySchema": "EventGridSchema",
    }


def managed_view(properties):
    """Project a GET answer's properties onto the managed ones (None when there is no subscription)."""
    if properties is None:
        return None
    destination = properties.get("destination") or {}
    dest_props = destination.get("properties") or {}
    flt = properties.get("filter") or {}
    view = {
        "destination": {
            "endpointType": destination.get("endpointType"),
            "properties": {"resourceId": dest_props.get("resourceId"), "queueName": dest_props.get("queueName")},
        },
        "filter": {
            "includedEventTypes": flt.get("includedEventTypes"),
            "subjectBeginsWith": flt.get("subjectBeginsWith"),
        },
        "eventDeliverySchema": properties.get("eventDeliverySchema"),
    }
    # Filters this module never sets must be absent, or the subscription would drop events.
    if flt.get("subjectEndsWith"):
        view["filter"]["subjectEndsWith"] = flt["subjectEndsWith"]
    if flt.get("advancedFilters"):
        view["filter"]["advancedFilters"] = flt["advancedFilters"]
    return view


def _lower_id(view):
    out = dict(view)
    dest = dict(view["destination"])
    dest["properties"] = dict(dest["properties"], resourceId=(dest["properties"].get("resourceId") or "").lower())
    out["destination"] = dest
    return out


def same(current, wanted):
    """Resource ids compare case-insensitively (ARM ids are); everything else exactly."""
    return current is not None and _lower_id(current) == _lower_id(wanted)


def main():
    spec = arm_argument_spec()
    spec.update(
        resource_group=dict(type="str", required=True),
        account_name=dict(type="str", required=True),
        container=dict(type="str", required=True),
        queue=dict(type="str", required=True),
        name=dict(type="str", default="wandb-blob-created"),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        wait_timeout=dict(type="int", default=300),
    )
    module = AnsibleModule(argument_spec=spec, supports_check_mode=True)
    p = module.params
    error = first_error(
        check_arm_params(p),
        validate_resource_group(p["resource_group"]),
        validate_account_name(p["account_name"]),
        validate_container_name(p["container"], option="container"),
        validate_queue_name(p["queue"], option="queue"),
        validate_event_subscription_name(p["name"]),
    )
    if error:
        module.fail_json(msg=error)
    require_libs(module)

    account_id = storage_account_id(p["subscription_id"], p["resource_group"], p["account_name"])
    path = "%s/providers/Microsoft.EventGrid/eventSubscriptions/%s" % (account_id, p["name"])
    wanted = wanted_properties(account_id, p["container"], p["queue"])
    result = dict(changed=False, id=path)
    try:
        client = ArmRestClient(p)
        status, payload = client.call("GET", path, EVENTGRID_API_VERSION)
        if status == 404:
            current = None
        elif status == 200:
            current = managed_view((payload or {}).get("properties") or {})
        else:
            module.fail_json(msg="reading event subscription %s failed: %s" % (p["name"],
                                                                               arm_error_message(status, payload)))
        if p["state"] == "absent":
            after = None
            if current is not None:
                result["changed"] = True
                if not module.check_mode:
                    status, payload = client.call("DELETE", path, EVENTGRID_API_VERSION)
                    if status not in (200, 202, 204):
                        module.fail_json(msg="deleting event subscription %s failed: %s"
                                         % (p["name"], arm_error_message(status, payload)))
        else:
            after = wanted
            if not same(current, wanted):
                result["changed"] = True
                if not module.check_mode:
                    status, payload = client.call("PUT", path, EVENTGRID_API_VERSION, {"properties": wanted})
                    if status not in (200, 201):
                        module.fail_json(msg="creating event subscription %s failed: %s. The caller needs "
                                         "Microsoft.EventGrid/eventSubscriptions/write on the storage account."
                                         % (p["name"], arm_error_message(status, payload)))
                    _wait(module, client, path, payload)
    except AzureAuthError as exc:
        module.fail_json(msg=str(exc))
    except ClientAuthenticationError as exc:
        module.fail_json(msg="event subscription %s: %s" % (p["name"], auth_error_message(exc)))
    except AzureError as exc:
        module.fail_json(msg="event subscription %s: %s" % (
            p["name"], connection_error_message("Azure Resource Manager at %s" % p["arm_endpoint"], exc)))

    result["event_subscription"] = after
    if module._diff:
        result["diff"] = {"before": current or {}, "after": after or {}}
    module.exit_json(**result)


def _wait(module, client, path, payload):
    """Poll the subscription until its provisioning state is final.

    Bounded by wait_timeout; the pause between reads doubles from 0.25 s up to 5 s and each one is drawn at random
    between half and all of it (jitter: runs started together do not poll in step). The reads themselves are
    retried only by azure-core's RetryPolicy."""
    deadline = time.time() + module.params["wait_timeout"]
    state = ((payload or {}).get("properties") or {}).get("provisioningState")
    delay = 0.25
    while state not in ("Succeeded", None):
        if state in ("Failed", "Canceled"):
            module.fail_json(msg="event subscription %s ended in provisioning state %s (Event Grid validates "
                             "that the queue exists and is reachable)" % (module.params["name"], state))
        if time.time() > deadline:
            module.fail_json(msg="event subscription %s still %s after %s s (wait_timeout)"
                             % (module.params["name"], state, module.params["wait_timeout"]))
        time.sleep(min(random.uniform(delay / 2, delay), max(0, deadline - time.time())))
        delay = min(delay * 2, 5)
        status, payload = client.call("GET", path, EVENTGRID_API_VERSION)
        if status != 200:
            module.fail_json(msg="reading event subscription %s failed: %s"
                             % (module.params["name"], arm_error_message(status, payload)))
        state = ((payload or {}).get("properties") or {}).get("provisioningState")


if __name__ == "__main__":
    main()
