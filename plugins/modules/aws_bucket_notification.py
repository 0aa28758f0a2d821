#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: aws_bucket_notification
short_description: Send an S3 bucket's object-creation events to an SQS queue, keeping other notifications
version_added: 0.1.0
description:
  - Adds (or replaces) one queue configuration, identified by O(id), in the bucket's notification
    configuration, so that every object-creation event (C(s3:ObjectCreated:*)) goes to the queue.
  - Every other notification of the bucket (topics, Lambda functions, EventBridge, queue configurations with
    another id) is kept as it is.
  - The queue's access policy must already allow the bucket to send (M(wandb_local.server.aws_queue_policy)),
    otherwise S3 refuses the configuration.
  - Filter rule names are sent lowercase (C(prefix), C(suffix)), as the S3 API reference spells them.
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  bucket:
    description:
      - Name of the bucket.
    type: str
    required: true
  queue_arn:
    description:
      - ARN of the SQS queue receiving the events. Required when O(state=present).
    type: str
  id:
    description:
      - Id of the queue configuration this module owns.
    type: str
    default: wandb-local-object-created
  events:
    description:
      - S3 event types sent to the queue.
    type: list
    elements: str
    default: ['s3:ObjectCreated:*']
  prefix:
    description:
      - Only keys starting with this prefix. Omit for all keys.
    type: str
  suffix:
    description:
      - Only keys ending with this suffix. Omit for all keys.
    type: str
  state:
    description:
      - C(present) adds or updates the queue configuration, C(absent) removes only it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode (before/after of the bucket's whole notification configuration).
extends_documentation_fragment:
  - wandb_local.server._aws
"""

EXAMPLES = r"""
- name: Every object-creation event of the bucket to the queue
  wandb_local.server.aws_bucket_notification:
    bucket: acme-wandb-files
    queue_arn: "{{ queue.queue.arn }}"
    region: eu-west-1
"""

RETURN = r"""
notification_configuration:
  description: The bucket's notification configuration after the run (predicted in check mode).
  returned: success
  type: dict
  sample:
    QueueConfigurations:
      - Id: wandb-local-object-created
        QueueArn: arn:aws:sqs:eu-west-1:123456789012:acme-wandb-files
        Events: ['s3:ObjectCreated:*']
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._aws import (
    AWSHelper,
    aws_argument_spec,
    check_bucket_name,
    fail_aws,
    is_boto_error,
    strip_metadata,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    make_diff,
    merge_by_id,
    same,
)

CONFIG_KEYS = ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations")


def normalize_filter(filt):
    """Filter rules with lowercase names, sorted; None when there is no rule."""
    rules = ((filt or {}).get("Key") or {}).get("FilterRules") or []
    rules = sorted(({"Name": r["Name"].lower(), "Value": r["Value"]} for r in rules),
                   key=lambda r: (r["Name"], r["Value"]))
    return {"Key": {"FilterRules": rules}} if rules else None


def normalize_config(config):
    """A notification configuration in the shape we send and compare (no metadata, lowercase filter names)."""
    out = {}
    for key in CONFIG_KEYS:
        items = []
        for item in config.get(key) or []:
            item = dict(item)
            item["Events"] = sorted(item.get("Events") or [])
            filt = normalize_filter(item.pop("Filter", None))
            if filt:
                item["Filter"] = filt
            items.append(item)
        if items:
            out[key] = items
    if "EventBridgeConfiguration" in config:
        out["EventBridgeConfiguration"] = config["EventBridgeConfiguration"] or {}
    return out


def build_queue_config(config_id, queue_arn, events, prefix=None, suffix=None):
    item = {"Id": config_id, "QueueArn": queue_arn, "Events": sorted(set(events))}
    rules = []
    if prefix:
        rules.append({"Name": "prefix", "Value": prefix})
    if suffix:
        rules.append({"Name": "suffix", "Value": suffix})
    if rules:
        item["Filter"] = {"Key": {"FilterRules": rules}}
    return item


def merged_config(current, ours, config_id):
    """`current` with our queue configuration (by Id) replaced/added (ours=None: removed), the rest kept."""
    wanted = normalize_config(current)
    queues = merge_by_id(wanted.get("QueueConfigurations"), ours, lambda q: q.get("Id"), config_id)
    if queues:
        wanted["QueueConfigurations"] = queues
    else:
        wanted.pop("QueueConfigurations", None)
    return wanted


def main():
    module = AnsibleModule(
        argument_spec=aws_argument_spec(
            bucket=dict(type="str", required=True),
            queue_arn=dict(type="str"),
            id=dict(type="str", default="wandb-local-object-created"),
            events=dict(type="list", elements="str", default=["s3:ObjectCreated:*"]),
            prefix=dict(type="str"),
            suffix=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["queue_arn"])],
        supports_check_mode=True,
    )
    params = module.params
    bucket = check_bucket_name(module)
    if params["state"] == "present" and not params["queue_arn"].startswith("arn:"):
        module.fail_json(msg="queue_arn must be an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME), got '%s'."
                             % params["queue_arn"])

    aws = AWSHelper(module)
    try:
        current = normalize_config(strip_metadata(
            aws.call("s3", "get_bucket_notification_configuration", Bucket=bucket)))
    except Exception as exc:  # pylint: disable=broad-except
        if not is_boto_error(exc):
            raise
        if module.check_mode and getattr(exc, "response", {}).get("Error", {}).get("Code") == "NoSuchBucket":
            current = {}  # the bucket would have been created by an earlier task
        else:
            fail_aws(module, exc, "Cannot read the notification configuration of the bucket '%s'" % bucket)

    ours = None
    if params["state"] == "present":
        ours = build_queue_config(params["id"], params["queue_arn"], params["events"],
                                  params["prefix"], params["suffix"])
    wanted = merged_config(current, ours, params["id"])
    changed = not same(current, wanted)

    if changed and not module.check_mode:
        try:
            aws.call("s3", "put_bucket_notification_configuration", Bucket=bucket,
                     NotificationConfiguration=wanted)
        except Exception as exc:  # pylint: disable=broad-except
            if not is_boto_error(exc):
                raise
            fail_aws(module, exc, "Cannot set the notification configuration of the bucket '%s'" % bucket)

    result = {"changed": changed, "notification_configuration": wanted}
    if module._diff:
        result["diff"] = make_diff(current, wanted, header="notifications of s3://%s" % bucket)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
