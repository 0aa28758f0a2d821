#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: aws_storage
short_description: The W&B file storage on AWS in one run (bucket, queue, queue policy, notification, CORS)
version_added: 0.3.0
description:
  - Runs, in this order and in one boto3 session, what M(wandb_local.server.aws_s3_bucket),
    M(wandb_local.server.aws_sqs_queue), M(wandb_local.server.aws_queue_policy),
    M(wandb_local.server.aws_bucket_notification) and M(wandb_local.server.aws_s3_cors) do, with the same rules,
    results and error messages; the queue's URL, ARN and access policy are read once and handed on.
  - One module run instead of five, so boto3 is imported once. What the W&B server needs on AWS is a private,
    encrypted bucket whose object-creation events go to an SQS queue, and CORS rules letting the server's origins
    GET and PUT objects.
  - Every input (bucket name, queue name, actions, origins) is checked before any call to AWS.
  - The first step that fails stops the run with the message of its single-purpose module; the steps before it
    stay done (as with the five modules in a row).
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  bucket:
    description:
      - Name of the bucket (S3 general purpose bucket naming rules), created or adopted
        (see M(wandb_local.server.aws_s3_bucket)).
    type: str
    required: true
  encryption:
    description:
      - Default server-side encryption of the bucket.
      - C(aws:kms) without O(kms_key_id) uses the AWS managed key C(aws/s3).
    type: str
    choices: [AES256, aws:kms]
    default: AES256
  kms_key_id:
    description:
      - KMS key id, key ARN or alias (C(alias/...)) for SSE-KMS. Implies O(encryption=aws:kms).
    type: str
  queue:
    description:
      - Name of the SQS standard queue receiving the bucket's object-creation events, created or adopted.
    type: str
    required: true
  actions:
    description:
      - SQS actions the bucket is allowed on the queue (see M(wandb_local.server.aws_queue_policy)).
    type: list
    elements: str
    default: [sqs:SendMessage]
  origins:
    description:
      - Origins allowed to GET and PUT objects, for example C(https://wandb.example.com) (the server's HOST), as
        M(wandb_local.server.aws_s3_cors) stores them. Empty leaves the CORS rules alone.
    type: list
    elements: str
    default: []
notes:
  - Supports check mode and diff mode (one before/after per step that would change, as each single-purpose module
    shows it).
extends_documentation_fragment:
  - wandb_local.server._aws
"""

EXAMPLES = r"""
- name: The W&B server's file storage
  wandb_local.server.aws_storage:
    bucket: acme-wandb-files
    queue: acme-wandb-files
    origins: [https://wandb.example.com]
    region: eu-west-1
  register: storage
"""

RETURN = r"""
bucket:
  description: The bucket, as M(wandb_local.server.aws_s3_bucket) returns it.
  returned: success
  type: dict
  sample: {"name": "acme-wandb-files", "arn": "arn:aws:s3:::acme-wandb-files", "region": "eu-west-1",
           "encryption": "AES256", "kms_key_arn": null}
queue:
  description: The queue, as M(wandb_local.server.aws_sqs_queue) returns it (C(url) null in check mode for a queue
    still to be created).
  returned: success
  type: dict
  sample: {"name": "acme-wandb-files", "arn": "arn:aws:sqs:eu-west-1:123456789012:acme-wandb-files"}
policy:
  description: The queue's access policy after the run (predicted in check mode).
  returned: success
  type: dict
notification_configuration:
  description: The bucket's notification configuration after the run (predicted in check mode).
  returned: success
  type: dict
cors_rules:
  description: The bucket's CORS rules after the run (predicted in check mode); null when O(origins) is empty.
  returned: success
  type: list
  elements: dict
changed_steps:
  description: The steps that changed (or would change), of C(bucket), C(queue), C(queue_policy),
    C(notification), C(cors).
  returned: success
  type: list
  elements: str
  sample: [queue_policy]
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._aws import (
    AWSHelper,
    aws_argument_spec,
    check_bucket_name,
)
from ansible_collections.wandb_local.server.plugins.module_utils._aws_storage import (
    cors_rule_of,
    ensure_bucket,
    ensure_cors,
    ensure_notification,
    ensure_queue,
    ensure_queue_policy,
    validate_actions,
    validate_queue_name,
)


def main():
    module = AnsibleModule(
        argument_spec=aws_argument_spec(
            bucket=dict(type="str", required=True),
            encryption=dict(type="str", choices=["AES256", "aws:kms"], default="AES256"),
            kms_key_id=dict(type="str", no_log=False),
            queue=dict(type="str", required=True),
            actions=dict(type="list", elements="str", default=["sqs:SendMessage"]),
            origins=dict(type="list", elements="str", default=[]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    # Every input rule before the first call.
    bucket = check_bucket_name(module, "bucket")
    cors = None
    if params["origins"]:
        cors, error = cors_rule_of(params["origins"])
        if error:
            module.fail_json(msg=error)
    error = validate_queue_name(params["queue"], "queue") or validate_actions(params["actions"])
    if error:
        module.fail_json(msg=error)

    aws = AWSHelper(module)
    steps = []
    fail_json = module.fail_json

    def fail_after_changes(**kwargs):
        # A step failed after earlier ones changed something (a bucket made, then SQS down): the result says so, or
        # the run's recap would hide what it did.
        done = [name for name, step in steps if step["changed"]]
        if done:
            kwargs.setdefault("changed", True)
            kwargs.setdefault("changed_steps", done)
        fail_json(**kwargs)

    module.fail_json = fail_after_changes
    steps.append(("bucket", ensure_bucket(aws, bucket, params["encryption"], params["kms_key_id"], "bucket")))
    queue = ensure_queue(aws, params["queue"], want_policy=True)
    attributes = queue.pop("_policy_attributes")
    steps.append(("queue", queue))
    url = queue["queue"]["url"]
    steps.append(("queue_policy", ensure_queue_policy(aws, url or params["queue"], bucket, params["actions"],
                                                      queue_attributes=attributes if url else None)))
    steps.append(("notification", ensure_notification(aws, bucket, queue["queue"]["arn"])))
    if cors is not None:
        steps.append(("cors", ensure_cors(aws, bucket, cors)))

    results = dict(steps)
    result = {
        "changed": any(step["changed"] for _name, step in steps),
        "changed_steps": [name for name, step in steps if step["changed"]],
        "bucket": results["bucket"]["bucket"],
        "queue": results["queue"]["queue"],
        "policy": results["queue_policy"]["policy"],
        "notification_configuration": results["notification"]["notification_configuration"],
        "cors_rules": results["cors"]["cors_rules"] if "cors" in results else None,
    }
    if module._diff:  # pylint: disable=protected-access
        # One before/after per step that changes (Ansible prints a list of diffs one after the other).
        result["diff"] = [step["diff"] for _name, step in steps if step["changed"]]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
