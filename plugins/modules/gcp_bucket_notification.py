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
  - Does what C(gsutil notification create -t TOPIC -f json -e OBJECT_FINALIZE gs://BUCKET) does, idempotently,
    with the same topic (C(//pubsub.googleapis.com/projects/PROJECT/topics/TOPIC)), payload format C(JSON_API_V1), no
    custom attributes, no object name prefix, and by default only the event the W&B server reads, C(OBJECT_FINALIZE).
    O(event_types=[]) makes exactly what the W&B documentation's C(gsutil notification create -t TOPIC -f json)
    makes (no C(-e), so all event types).
  - Reads the project's Cloud Storage service agent (C(storage.projects.serviceAccount.get)) and grants it
    C(roles/pubsub.publisher) on the topic through the topic's IAM policy (read, add the member, write back with
    the etag), unless it already has it.
  - Ensures exactly one notification config on the bucket for the topic. An existing one is kept (reported
    unchanged) when it has payload format C(JSON_API_V1), no object name prefix, no custom attributes and the event
    types O(event_types), or, with O(keep_wider_events=true), more event types than those, such as the all-events
    config the documented C(gsutil notification create -t TOPIC -f json) makes; the server reads C(OBJECT_FINALIZE)
    and ignores the others, so adopting such a config changes nothing. Other configs for the same topic are deleted (a second matching one
    would deliver every event twice); a re-run changes nothing (no duplicate configs). Configs for other topics are
    left alone.
  - When a config has to be replaced, the new one is created B(before) the old ones are deleted, so the bucket is
    never without a notification to the topic (events in between may arrive twice, which Pub/Sub's at-least-once
    delivery already requires the server to accept, but none is lost). If the deletion fails, a re-run finishes it.
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
  event_types:
    description:
      - Event types of the config the module creates (C(gsutil -e)). An empty list means all event types, exactly
        what C(gsutil notification create -t TOPIC -f json) makes.
    type: list
    elements: str
    choices: [OBJECT_FINALIZE, OBJECT_METADATA_UPDATE, OBJECT_DELETE, OBJECT_ARCHIVE]
    default: [OBJECT_FINALIZE]
  keep_wider_events:
    description:
      - Keep an existing JSON config for the topic whose event types include all of O(event_types) (for example the
        all-events config of the W&B documentation's gsutil command) instead of replacing it.
      - V(false) replaces it with a config that has exactly O(event_types) (created first, then the old one deleted).
    type: bool
    default: true
notes:
  - Cloud Storage allows at most 10 notification configs that trigger on the same event per bucket; because the
    replacement is created before the old config is deleted, a bucket already at that limit makes the creation fail
    with HTTP 400 and nothing is deleted. Remove unneeded configs (C(gsutil notification list gs://BUCKET)) and re-run.
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
notification:
  description: The bucket's notification config for the topic after the run (C(event_types) empty means all events).
  returned: always
  type: dict
  sample: {id: "1", topic: projects/my-project/topics/wandb-files, payload_format: JSON_API_V1,
           event_types: [OBJECT_FINALIZE], object_name_prefix: null, custom_attributes: null}
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
# Every event type of the Cloud Storage JSON API; a config without event_types gets all of them.
ALL_EVENT_TYPES = ("OBJECT_FINALIZE", "OBJECT_METADATA_UPDATE", "OBJECT_DELETE", "OBJECT_ARCHIVE")
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


def _events(event_types):
    """The set of events a config (or the option) delivers: no event types means all of them."""
    return frozenset(event_types or ALL_EVENT_TYPES)


def _usable(config, tpath):
    """JSON payload for every object to the topic, nothing added: the shape the server can read."""
    s = _summary(config)
    return (s["topic"] == tpath and s["payload_format"] == PAYLOAD_FORMAT and not s["object_name_prefix"]
            and not s["custom_attributes"])


def choose(configs, tpath, event_types, keep_wider):
    """The config of `configs` to keep for the topic, or None when one has to be created.

    One with exactly `event_types` first; else, with `keep_wider`, one whose events include them all (such as the
    all-events config of `gsutil notification create -t TOPIC -f json`).
    """
    wanted = _events(event_types)
    usable = [c for c in configs if _usable(c, tpath)]
    exact = [c for c in usable if _events(c.get("event_types")) == wanted]
    if exact:
        return exact[0]
    if keep_wider:
        wider = [c for c in usable if _events(c.get("event_types")) >= wanted]
        if wider:
            return wider[0]
    return None


def create_body(tpath, event_types):
    """The insert body gsutil sends for `-t TOPIC -f json [-e EVENT...]` (no event_types: all events)."""
    body = {"topic": "//pubsub.googleapis.com/%s" % tpath, "payload_format": PAYLOAD_FORMAT}
    if event_types:
        body["event_types"] = sorted(set(event_types))
    return body


def main():
    module = AnsibleModule(
        argument_spec=gcp_argument_spec(
            bucket=dict(type="str", required=True),
            topic=dict(type="str", required=True),
            grant_service_agent=dict(type="bool", default=True),
            event_types=dict(type="list", elements="str", default=list(EVENT_TYPES), choices=list(ALL_EVENT_TYPES)),
            keep_wider_events=dict(type="bool", default=True),
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
        keep = choose(configs, tpath, params["event_types"], params["keep_wider_events"])
        stale = [c for c in configs if c is not keep]
        # Create the new config before deleting the old ones: the bucket is never without a notification to the
        # topic (an event in between may be delivered twice, never lost).
        if keep is None:
            changed = True
            body = create_body(tpath, params["event_types"])
            if module.check_mode:
                keep = dict(body, id=None)
            else:
                keep = client.call("POST", "storage", "b/%s/notificationConfigs" % bucket, body=body,
                                   what="creating the notification config of bucket %s" % bucket)
        for config in stale:
            changed = True
            if not module.check_mode:
                # allow_404: already gone (deleted concurrently or by an interrupted earlier run) is the goal.
                client.call("DELETE", "storage", "b/%s/notificationConfigs/%s" % (bucket, config["id"]),
                            allow_404=True,
                            what="deleting notification config %s of bucket %s" % (config.get("id"), bucket))
        after["notifications"] = [_summary(keep)]
        result["notification_id"] = keep.get("id")
        result["notification"] = _summary(keep)
    except GcpError as exc:
        module.fail_json(msg=str(exc), status=exc.status)

    result["changed"] = changed
    if module._diff:
        result["diff"] = make_diff(before, after, header="notifications of gs://%s" % bucket)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
