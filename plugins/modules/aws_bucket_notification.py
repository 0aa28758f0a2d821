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
)
# The step itself lives in module_utils (shared with aws_storage).
from ansible_collections.wandb_local.server.plugins.module_utils._aws_storage import (
    DEFAULT_NOTIFICATION_ID,
    ensure_notification,
    validate_queue_arn,
)


def main():
    module = AnsibleModule(
        argument_spec=aws_argument_spec(
            bucket=dict(type="str", required=True),
            queue_arn=dict(type="str"),
            id=dict(type="str", default=DEFAULT_NOTIFICATION_ID),
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
    error = validate_queue_arn(params["queue_arn"], params["state"])
    if error:
        module.fail_json(msg=error)
    aws = AWSHelper(module)
    module.exit_json(**ensure_notification(aws, bucket, params["queue_arn"], params["id"], params["events"],
                                           params["prefix"], params["suffix"], params["state"]))


if __name__ == "__main__":
    main()
