#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: aws_sqs_queue
short_description: Create or adopt the SQS standard queue that receives W&B bucket events
version_added: 0.1.0
description:
  - Creates an SQS standard queue when none with that name exists in the region, or adopts the existing one.
  - Returns the queue's URL and ARN for the queue access policy and the bucket notification.
  - Does not change the attributes or the access policy of an adopted queue (see M(wandb_local.server.aws_queue_policy)).
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  name:
    description:
      - Queue name, 1 to 80 letters, digits, hyphens and underscores (standard queue, no C(.fifo)).
    type: str
    required: true
    aliases: [queue]
notes:
  - Supports check mode and diff mode.
extends_documentation_fragment:
  - wandb_local.server._aws
"""

EXAMPLES = r"""
- name: Queue for the bucket's object-creation events
  wandb_local.server.aws_sqs_queue:
    name: acme-wandb-files
    region: eu-west-1
  register: queue
"""

RETURN = r"""
queue:
  description: The queue. In check mode, for a queue still to be created, C(url) is null and C(arn) is predicted.
  returned: success
  type: dict
  contains:
    name:
      description: Queue name.
      type: str
      sample: acme-wandb-files
    url:
      description: Queue URL.
      type: str
      sample: https://sqs.eu-west-1.amazonaws.com/123456789012/acme-wandb-files
    arn:
      description: Queue ARN.
      type: str
      sample: arn:aws:sqs:eu-west-1:123456789012:acme-wandb-files
    region:
      description: Region of the queue.
      type: str
      sample: eu-west-1
created:
  description: Whether the queue was (or would be) created by this run.
  returned: success
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._aws import (
    AWSHelper,
    aws_argument_spec,
)
from ansible_collections.wandb_local.server.plugins.module_utils._aws_storage import (
    ensure_queue,
    validate_queue_name,
)


def main():
    module = AnsibleModule(
        argument_spec=aws_argument_spec(
            name=dict(type="str", required=True, aliases=["queue"]),
        ),
        supports_check_mode=True,
    )
    name = module.params["name"]
    error = validate_queue_name(name)
    if error:
        module.fail_json(msg=error)
    aws = AWSHelper(module)
    module.exit_json(**ensure_queue(aws, name))


if __name__ == "__main__":
    main()
