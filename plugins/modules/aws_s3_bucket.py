#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: aws_s3_bucket
short_description: Create or adopt a private, encrypted S3 bucket for W&B file storage
version_added: 0.1.0
description:
  - Creates the S3 bucket when it does not exist, or adopts it when the caller's account already owns it.
  - Always blocks all public access (the four public access block settings on); this module never makes a
    bucket public.
  - Sets default encryption, SSE-S3 (C(AES256)) or SSE-KMS (C(aws:kms), with an optional KMS key).
  - The bucket name is checked against the S3 naming rules before any call to AWS.
  - Fails with a message saying what to fix when the bucket belongs to another account or lives in another
    region.
author:
  - wandb_local.server maintainers (!UNKNOWN)
options:
  name:
    description:
      - Name of the bucket (S3 general purpose bucket naming rules).
    type: str
    required: true
    aliases: [bucket]
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
notes:
  - Supports check mode and diff mode (before/after of the bucket's region, public access block and encryption).
extends_documentation_fragment:
  - wandb_local.server._aws
"""

EXAMPLES = r"""
- name: Private bucket with SSE-S3
  wandb_local.server.aws_s3_bucket:
    name: acme-wandb-files
    region: eu-west-1

- name: Bucket encrypted with a customer managed KMS key, on an S3 emulator
  wandb_local.server.aws_s3_bucket:
    name: acme-wandb-files
    kms_key_id: alias/wandb
    endpoint_url: http://127.0.0.1:5000
"""

RETURN = r"""
bucket:
  description: The bucket as it is (or would be, in check mode) after the run.
  returned: success
  type: dict
  contains:
    name:
      description: Bucket name.
      type: str
      sample: acme-wandb-files
    arn:
      description: Bucket ARN.
      type: str
      sample: arn:aws:s3:::acme-wandb-files
    region:
      description: Region of the bucket.
      type: str
      sample: eu-west-1
    encryption:
      description: Default encryption algorithm.
      type: str
      sample: AES256
    kms_key_arn:
      description: ARN of the KMS key when O(kms_key_id) is set, else null.
      type: str
      sample: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    public_access_block:
      description: The four public access block settings.
      type: dict
      sample: {"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}
created:
  description: Whether the bucket was (or would be) created by this run.
  returned: success
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._aws import (
    AWSHelper,
    aws_argument_spec,
    check_bucket_name,
)
# The step itself lives in module_utils (shared with aws_storage).
from ansible_collections.wandb_local.server.plugins.module_utils._aws_storage import ensure_bucket


def main():
    module = AnsibleModule(
        argument_spec=aws_argument_spec(
            name=dict(type="str", required=True, aliases=["bucket"]),
            encryption=dict(type="str", choices=["AES256", "aws:kms"], default="AES256"),
            kms_key_id=dict(type="str", no_log=False),
        ),
        supports_check_mode=True,
    )
    name = check_bucket_name(module, "name")
    aws = AWSHelper(module)
    module.exit_json(**ensure_bucket(aws, name, module.params["encryption"], module.params["kms_key_id"]))


if __name__ == "__main__":
    main()
