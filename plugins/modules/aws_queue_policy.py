#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: aws_queue_policy
short_description: Let one S3 bucket send its event notifications to an SQS queue (merged queue policy)
version_added: 0.1.0
description:
  - Adds (or replaces) one statement, identified by its C(Sid), in the access policy of an SQS queue. The
    statement allows the S3 service to perform O(actions) on the queue only on behalf of O(bucket)
    (condition C(aws:SourceArn)) in the queue's account (condition C(aws:SourceAccount)).
  - Statements with another C(Sid) are kept as they are; the policy is merged, never overwritten.
  - Must run before the bucket notification is configured, otherwise S3 answers
    C(Unable to validate the following destination configurations).
  - O(state=absent) removes only this module's statement.
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  queue:
    description:
      - Name or URL of the queue.
    type: str
    required: true
  bucket:
    description:
      - Name of the bucket allowed to send to the queue. Required when O(state=present).
    type: str
  actions:
    description:
      - SQS actions allowed. The product documentation lists a wider set
        (C(sqs:SendMessage), C(sqs:ReceiveMessage), C(sqs:ChangeMessageVisibility), C(sqs:DeleteMessage),
        C(sqs:GetQueueUrl)); S3 needs only C(sqs:SendMessage).
    type: list
    elements: str
    default: [sqs:SendMessage]
  sid:
    description:
      - C(Sid) of the statement this module owns.
    type: str
    default: WandbLocalBucketNotifications
  source_account:
    description:
      - Account id that must own the bucket (condition C(aws:SourceAccount)). Defaults to the queue's account.
    type: str
  state:
    description:
      - C(present) adds or updates the statement, C(absent) removes it.
    type: str
    choices: [present, absent]
    default: present
notes:
  - Supports check mode and diff mode (before/after of the queue's policy document).
extends_documentation_fragment:
  - wandb_local.server._aws
"""

EXAMPLES = r"""
- name: Allow the bucket to send object-creation events to the queue
  wandb_local.server.aws_queue_policy:
    queue: acme-wandb-files
    bucket: acme-wandb-files
    region: eu-west-1

- name: The product documentation's wider action list
  wandb_local.server.aws_queue_policy:
    queue: acme-wandb-files
    bucket: acme-wandb-files
    actions: [sqs:SendMessage, sqs:ReceiveMessage, sqs:ChangeMessageVisibility, sqs:DeleteMessage, sqs:GetQueueUrl]
"""

RETURN = r"""
policy:
  description: The queue's access policy document after the run (predicted in check mode); null when none is left.
  returned: success
  type: dict
  sample: {"Version": "2012-10-17", "Statement": [{"Sid": "WandbLocalBucketNotifications", "Effect": "Allow"}]}
queue_arn:
  description: ARN of the queue.
  returned: success
  type: str
  sample: arn:aws:sqs:eu-west-1:123456789012:acme-wandb-files
statement:
  description: The statement this module manages (null with O(state=absent)).
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._aws import (
    AWSHelper,
    aws_argument_spec,
)
# The step itself lives in module_utils (shared with aws_storage).
from ansible_collections.wandb_local.server.plugins.module_utils._aws_storage import (
    DEFAULT_SID,
    ensure_queue_policy,
    validate_actions,
)


def main():
    module = AnsibleModule(
        argument_spec=aws_argument_spec(
            queue=dict(type="str", required=True),
            bucket=dict(type="str"),
            actions=dict(type="list", elements="str", default=["sqs:SendMessage"]),
            sid=dict(type="str", default=DEFAULT_SID),
            source_account=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["bucket"])],
        supports_check_mode=True,
    )
    params = module.params
    error = validate_actions(params["actions"], params["state"])
    if error:
        module.fail_json(msg=error)
    aws = AWSHelper(module)
    module.exit_json(**ensure_queue_policy(aws, params["queue"], params["bucket"], params["actions"], params["sid"],
                                           params["source_account"], params["state"]))


if __name__ == "__main__":
    main()
