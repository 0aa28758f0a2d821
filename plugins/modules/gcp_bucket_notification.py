#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: gcp_bucket_notification
short_description: Ensure a Cloud Storage bucket notifies a Pub/Sub topic of new objects
version_added: 0.1.0
description:
  - Does what C(gsutil notification create -t TOPIC -f json gs://BUCKET) does, idempotently.
  - Reads the project's Cloud Storage service agent (C(storage.projects.serviceAccount.get)) and grants it
    C(roles/pubsub.publisher) on the topic through the topic's IAM policy (read, add the member, write back with
    the etag), unless it already has it.
  - Ensures exactly one notification config on the bucket for the topic with payload format C(JSON_API_V1) and
    the event type C(OBJECT_FINALIZE), no object name prefix. Configs for the same topic that differ are deleted;
    a re-run with a matching config changes nothing (no duplicate configs).
  - O(project) is the project of the bucket and the topic. The module calls the Cloud Storage JSON API
    (O(storage_endpoint)) and, for the topic's IAM policy, the Pub/Sub API (O(pubsub_endpoint)).
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  bucket:
    description: Bucket name.
    type: str
    required: true
  topic:
    description: Pub/Sub topic ID in O(project) (not the full path).
    type: str
    required: true
  grant_service_agent:
    description: Grant the project's Cloud Storage service agent C(roles/pubsub.publisher) on the topic.
    type: bool
    default: true
extends_documentation_fragment:
  - wandb_local.server._gcp
"""

EXAMPLES = r"""
- name: New objects in the bucket become messages on the topic
  wandb_local.server.gcp_bucket_notification:
    project: my-project
    bucket: my-wandb-files
    topic: wandb-files
  delegate_to: localhost
"""

RETURN = r"""
notification_id:
  description: ID of the bucket's notification config for the topic (C(null) in check mode before creation).
  returned: always
  type: str
  sample: "1"
service_agent:
  description: E-mail of the project's Cloud Storage service agent (given publish rights on the topic).
  returned: when O(grant_service_agent=true)
  type: str
  sample: service-123456789012@gs-project-accounts.iam.gserviceaccount.com
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._gcp import (
    GcpClient,
    GcpError,
    check_project,
    ensure_policy_member,
    gcp_argument_spec,
    topic_path,
    validate_bucket_name,
    validate_pubsub_id,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import make_diff

PAYLOAD_FORMAT = "JSON_API_V1"
EVENT_TYPES = ["OBJECT_FINALIZE"]
PUBLISHER_ROLE = "roles/pubsub.publisher"


def _topic_of(config):
    """'//pubsub.googleapis.com/projects/P/topics/T' or 'projects/P/topics/T' -> 'projects/P/topics/T'."""
    topic = config.get("topic") or ""
    index = topic.find("projects/")
    return topic[index:] if index >= 0 else topic


def _summary(config):
    return {
        "id": config.get("id"),
        "topic": _topic_of(config),
        "payload_format": config.get("payload_format"),
        "event_types": sorted(config.get("event_types") or []),
        "object_name_prefix": config.get("object_name_prefix") or None,
        "custom_attributes": config.get("custom_attributes") or None,
    }


def _matches(config, tpath):
    s = _summary(config)
    return (s["topic"] == tpath and s["payload_format"] == PAYLOAD_FORMAT and s["event_types"] == EVENT_TYPES
            and not s["object_name_prefix"] and not s["custom_attributes"])


def main():
    module = AnsibleModule(
        argument_spec=gcp_argument_spec(
            bucket=dict(type="str", required=True),
            topic=dict(type="str", required=True),
            grant_service_agent=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    check_project(module)
    error = validate_bucket_name(params["bucket"], "bucket") or validate_pubsub_id("topic", params["topic"])
    if error:
        module.fail_json(msg=error)

    client = GcpClient(module)
    bucket = params["bucket"]
    tpath = topic_path(client.project, params["topic"])
    changed = False
    result = {}
    before = {}
    after = {}
    try:
        if params["grant_service_agent"]:
            agent = client.call("GET", "storage", "projects/%s/serviceAccount" % client.project,
                                what="reading the Cloud Storage service agent of project %s" % client.project)
            email = agent.get("email_address")
            if not email:
                module.fail_json(msg="the Cloud Storage API returned no service agent e-mail for project %s; check "
                                     "the project and that the Cloud Storage API is enabled" % client.project)
            result["service_agent"] = email
            member = "serviceAccount:%s" % email
            granted, members_before, members_after = ensure_policy_member(
                client, "topic", params["topic"], PUBLISHER_ROLE, member, check_mode=module.check_mode)
            changed = changed or granted
            before["topic_publishers"] = members_before
            after["topic_publishers"] = members_after

        # In check mode the bucket may be one an earlier task of the same run would create: none configured yet.
        listing = client.call("GET", "storage", "b/%s/notificationConfigs" % bucket, allow_404=module.check_mode,
                              what="listing the notification configs of bucket %s" % bucket) or {}
        configs = [c for c in listing.get("items") or [] if _topic_of(c) == tpath]
        before["notifications"] = [_summary(c) for c in configs]
        keep = next((c for c in configs if _matches(c, tpath)), None)
        stale = [c for c in configs if c is not keep]
        for config in stale:
            changed = True
            if not module.check_mode:
                client.call("DELETE", "storage", "b/%s/notificationConfigs/%s" % (bucket, config["id"]),
                            what="deleting notification config %s of bucket %s" % (config.get("id"), bucket))
        if keep is None:
            changed = True
            body = {"topic": "//pubsub.googleapis.com/%s" % tpath, "payload_format": PAYLOAD_FORMAT,
                    "event_types": list(EVENT_TYPES)}
            if module.check_mode:
                keep = dict(body, id=None)
            else:
                keep = client.call("POST", "storage", "b/%s/notificationConfigs" % bucket, body=body,
                                   what="creating the notification config of bucket %s" % bucket)
        after["notifications"] = [_summary(keep)]
        result["notification_id"] = keep.get("id")
    except GcpError as exc:
        module.fail_json(msg=str(exc), status=exc.status)

    result["changed"] = changed
    if module._diff:
        result["diff"] = make_diff(before, after, header="notifications of gs://%s" % bucket)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
