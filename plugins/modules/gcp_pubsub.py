#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gcp_pubsub
short_description: Ensure a Pub/Sub topic and a pull subscription on it
version_added: 0.1.0
description:
  - Creates a Pub/Sub topic and a B(pull) subscription attached to it through the Pub/Sub REST API v1.
  - An existing subscription that pushes is switched to pull (C(modifyPushConfig) with an empty push config).
  - An existing subscription attached to another topic is an error (Pub/Sub cannot move a subscription).
  - Topic and subscription IDs are checked against the Pub/Sub naming rules before any call.
  - O(project) is the project that owns the topic and the subscription. The module calls only the Pub/Sub API
    (O(pubsub_endpoint)).
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  topic:
    description: Topic ID (not the full path).
    type: str
    required: true
  subscription:
    description: Subscription ID (not the full path); the W&B server pulls from it.
    type: str
    required: true
  ack_deadline_seconds:
    description: Acknowledgement deadline used when the subscription is created.
    type: int
    default: 60
extends_documentation_fragment:
  - wandb_local.server._gcp
"""

EXAMPLES = r"""
- name: Topic and pull subscription for W&B file events
  wandb_local.server.gcp_pubsub:
    project: my-project
    topic: wandb-files
    subscription: wandb-files-server
  delegate_to: localhost
"""

RETURN = r"""
topic:
  description: Full topic name.
  returned: always
  type: str
  sample: projects/my-project/topics/wandb-files
subscription:
  description: Full subscription name.
  returned: always
  type: str
  sample: projects/my-project/subscriptions/wandb-files-server
queue_url:
  description: The C(BUCKET_QUEUE) value for the W&B server.
  returned: always
  type: str
  sample: pubsub:/my-project/wandb-files/wandb-files-server
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._gcp import (
    GcpClient,
    GcpError,
    check_project,
    gcp_argument_spec,
    subscription_path,
    topic_path,
    validate_pubsub_id,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import make_diff


def _sub_state(sub):
    if sub is None:
        return None
    push = (sub.get("pushConfig") or {}).get("pushEndpoint")
    return {"topic": sub.get("topic"), "delivery": "push" if push else "pull"}


def main():
    module = AnsibleModule(
        argument_spec=gcp_argument_spec(
            topic=dict(type="str", required=True),
            subscription=dict(type="str", required=True),
            ack_deadline_seconds=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    params = module.params
    check_project(module)
    for kind in ("topic", "subscription"):
        error = validate_pubsub_id(kind, params[kind])
        if error:
            module.fail_json(msg=error)
    if not 10 <= params["ack_deadline_seconds"] <= 600:
        module.fail_json(msg="ack_deadline_seconds must be between 10 and 600")

    client = GcpClient(module)
    tpath = topic_path(client.project, params["topic"])
    spath = subscription_path(client.project, params["subscription"])
    wanted_sub = {"topic": tpath, "delivery": "pull"}
    changed = False
    try:
        topic = client.call("GET", "pubsub", tpath, allow_404=True, what="reading topic %s" % tpath)
        sub = client.call("GET", "pubsub", spath, allow_404=True, what="reading subscription %s" % spath)
        before = {"topic": tpath if topic is not None else None, "subscription": _sub_state(sub)}
        after = {"topic": tpath, "subscription": wanted_sub}
        if sub is not None and sub.get("topic") != tpath:
            module.fail_json(msg="subscription %s exists and is attached to %s, not %s: Pub/Sub cannot move a "
                                 "subscription; choose another subscription name or delete it"
                                 % (spath, sub.get("topic"), tpath))
        if topic is None:
            changed = True
            if not module.check_mode:
                client.call("PUT", "pubsub", tpath, body={}, what="creating topic %s" % tpath)
        if sub is None:
            changed = True
            if not module.check_mode:
                client.call("PUT", "pubsub", spath,
                            body={"topic": tpath, "ackDeadlineSeconds": params["ack_deadline_seconds"]},
                            what="creating subscription %s" % spath)
        elif _sub_state(sub)["delivery"] != "pull":
            changed = True
            if not module.check_mode:
                client.call("POST", "pubsub", "%s:modifyPushConfig" % spath, body={"pushConfig": {}},
                            what="switching subscription %s to pull" % spath)
    except GcpError as exc:
        module.fail_json(msg=str(exc), status=exc.status)

    result = dict(changed=changed, topic=tpath, subscription=spath,
                  queue_url="pubsub:/%s/%s/%s" % (client.project, params["topic"], params["subscription"]))
    if module._diff:
        result["diff"] = make_diff(before, after, header=spath)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
