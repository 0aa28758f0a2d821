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

import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._aws import (
    AWSHelper,
    arn_partition,
    aws_argument_spec,
    bucket_arn,
    fail_aws,
    is_boto_error,
    setting,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    make_diff,
    merge_by_id,
    same,
)

_LISTY = ("Action", "NotAction", "Resource", "NotResource")


def _as_list(value):
    return list(value) if isinstance(value, (list, tuple)) else [value]


def normalize_statement(statement):
    """A statement in a comparable shape: single strings and one-element lists are the same thing."""
    out = {}
    for key, value in statement.items():
        if key in _LISTY:
            out[key] = sorted(_as_list(value))
        elif key == "Principal" and isinstance(value, dict):
            out[key] = dict((k, sorted(_as_list(v))) for k, v in value.items())
        elif key == "Condition" and isinstance(value, dict):
            out[key] = dict((op, dict((k, sorted(_as_list(v))) for k, v in cond.items()))
                            for op, cond in value.items())
        else:
            out[key] = value
    return out


def policy_statements(policy):
    if not policy:
        return []
    return [s for s in _as_list(policy.get("Statement", [])) if isinstance(s, dict)]


def build_statement(sid, actions, queue_arn, source_bucket_arn, source_account):
    return {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": sorted(set(actions)),
        "Resource": queue_arn,
        "Condition": {
            "ArnEquals": {"aws:SourceArn": source_bucket_arn},
            "StringEquals": {"aws:SourceAccount": source_account},
        },
    }


def merged_policy(current, statement, sid):
    """The queue policy with our statement (by Sid) replaced/added (statement=None: removed); None when empty."""
    statements = merge_by_id(policy_statements(current), statement, lambda s: s.get("Sid"), sid)
    if not statements:
        return None
    policy = dict(current or {})
    policy.setdefault("Version", "2012-10-17")
    policy["Statement"] = statements
    return policy


def _normalize_policy(policy):
    return dict(policy, Statement=[normalize_statement(s) for s in policy_statements(policy)])


def policies_equal(a, b):
    if not a or not b:
        return not a and not b
    return same(_normalize_policy(a), _normalize_policy(b))


def main():
    module = AnsibleModule(
        argument_spec=aws_argument_spec(
            queue=dict(type="str", required=True),
            bucket=dict(type="str"),
            actions=dict(type="list", elements="str", default=["sqs:SendMessage"]),
            sid=dict(type="str", default="WandbLocalBucketNotifications"),
            source_account=dict(type="str"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        required_if=[("state", "present", ["bucket"])],
        supports_check_mode=True,
    )
    params = module.params
    bad = [a for a in params["actions"] if not a.startswith("sqs:")]
    if params["state"] == "present" and (not params["actions"] or bad):
        module.fail_json(msg="%s must be a non-empty list of sqs:* actions; not allowed here: %s"
                             % (setting("actions"), ", ".join(bad)))
    aws = AWSHelper(module)
    queue = params["queue"]
    try:
        url = aws.queue_url(queue)
        if url is None:
            if not module.check_mode:
                module.fail_json(msg="The SQS queue '%s' does not exist in %s. To fix: create it first "
                                     "(wandb_local.server.aws_sqs_queue) or check %s and %s."
                                     % (queue, aws.region, setting("queue"), setting("region")))
            account = aws.call("sts", "get_caller_identity")["Account"]
            queue_arn = "arn:%s:sqs:%s:%s:%s" % (arn_partition(aws.region), aws.region, account, queue)
            current = None
        else:
            attrs = aws.call("sqs", "get_queue_attributes", QueueUrl=url,
                             AttributeNames=["QueueArn", "Policy"])["Attributes"]
            queue_arn = attrs["QueueArn"]
            current = json.loads(attrs["Policy"]) if attrs.get("Policy") else None
    except ValueError as exc:
        module.fail_json(msg="The queue's current access policy is not valid JSON (%s); fix or remove it." % exc)
    except Exception as exc:  # pylint: disable=broad-except
        if not is_boto_error(exc):
            raise
        fail_aws(module, exc, "Cannot read the access policy of the SQS queue '%s'" % queue)

    statement = None
    if params["state"] == "present":
        account = params["source_account"] or queue_arn.split(":")[4]
        statement = build_statement(params["sid"], params["actions"], queue_arn,
                                    bucket_arn(params["bucket"], aws.region), account)
    wanted = merged_policy(current, statement, params["sid"])
    changed = not policies_equal(current, wanted)

    if changed and not module.check_mode:
        try:
            aws.call("sqs", "set_queue_attributes", QueueUrl=url,
                     Attributes={"Policy": json.dumps(wanted) if wanted else ""})
        except Exception as exc:  # pylint: disable=broad-except
            if not is_boto_error(exc):
                raise
            fail_aws(module, exc, "Cannot set the access policy of the SQS queue '%s'" % queue)

    result = {"changed": changed, "policy": wanted, "queue_arn": queue_arn, "statement": statement}
    if module._diff:
        result["diff"] = make_diff(current, wanted, header="policy of %s" % queue_arn)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
