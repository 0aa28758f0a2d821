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
    ClientError,
    aws_argument_spec,
    bucket_arn,
    check_bucket_name,
    error_code,
    fail_aws,
    is_boto_error,
    setting,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    make_diff,
    same,
)

PRIVATE = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def bucket_region(aws, name):
    """Region of an existing bucket, None when it does not exist; fails for buckets of another account."""
    try:
        response = aws.call("s3", "head_bucket", Bucket=name)
    except ClientError as exc:
        code = error_code(exc)
        if code in ("404", "NoSuchBucket", "NotFound"):
            return None
        if code in ("403", "Forbidden", "AccessDenied"):
            aws.module.fail_json(
                msg="The bucket '%s' exists but these credentials cannot use it (HTTP 403): it is owned by another "
                    "AWS account, or the credentials lack s3:ListBucket on it. To fix: choose another "
                    "bucket name, %s (S3 names are global), or use credentials of the owning account."
                    % (name, setting("bucket", "name")),
                error_code=code)
        if code in ("301", "PermanentRedirect"):
            headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
            return headers.get("x-amz-bucket-region") or "another region"
        raise
    headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    region = headers.get("x-amz-bucket-region")
    if not region:
        location = aws.call("s3", "get_bucket_location", Bucket=name).get("LocationConstraint")
        region = location or "us-east-1"
        if region == "EU":
            region = "eu-west-1"
    return region


def read_public_access_block(aws, name):
    try:
        conf = aws.call("s3", "get_public_access_block", Bucket=name)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if error_code(exc) == "NoSuchPublicAccessBlockConfiguration":
            return dict((k, False) for k in PRIVATE)
        raise
    return dict((k, bool(conf.get(k))) for k in PRIVATE)


def read_encryption(aws, name):
    try:
        rules = aws.call("s3", "get_bucket_encryption", Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
    except ClientError as exc:
        if error_code(exc) == "ServerSideEncryptionConfigurationNotFoundError":
            return {"algorithm": None, "kms_key_id": None}
        raise
    default = (rules[0] if rules else {}).get("ApplyServerSideEncryptionByDefault", {})
    return {"algorithm": default.get("SSEAlgorithm"), "kms_key_id": default.get("KMSMasterKeyID")}


def resolve_kms_key(aws, key_id):
    """ARN of a KMS key given its id, ARN or alias (fails with a hint when it does not exist)."""
    try:
        return aws.call("kms", "describe_key", KeyId=key_id)["KeyMetadata"]["Arn"]
    except ClientError as exc:
        fail_aws(aws.module, exc, "Cannot find the KMS key '%s' (%s)" % (key_id, setting("kms_key_id")))


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
    kms_key_id = module.params["kms_key_id"] or None
    algorithm = "aws:kms" if kms_key_id else module.params["encryption"]

    try:
        region = bucket_region(aws, name)
        if region is not None and region != aws.region:
            module.fail_json(
                msg="The bucket '%s' exists in region %s, not in %s. To fix: set %s to %s, "
                    "or choose another bucket name." % (name, region, aws.region, setting("region"), region))
        kms_key_arn = resolve_kms_key(aws, kms_key_id) if kms_key_id else None

        if region is None:
            before = None
        else:
            before = {"name": name, "region": region,
                      "public_access_block": read_public_access_block(aws, name),
                      "encryption": read_encryption(aws, name)}

        current_key = (before or {}).get("encryption", {}).get("kms_key_id")
        wanted_key = kms_key_id
        if current_key and kms_key_arn and current_key in (kms_key_id, kms_key_arn):
            wanted_key = current_key  # the same key, spelled as AWS stores it
        after = {"name": name, "region": aws.region, "public_access_block": dict(PRIVATE),
                 "encryption": {"algorithm": algorithm, "kms_key_id": wanted_key}}

        created = before is None
        pab_changed = created or not same(before["public_access_block"], PRIVATE)
        enc_changed = created or not same(before["encryption"], after["encryption"])
        changed = created or pab_changed or enc_changed

        if changed and not module.check_mode:
            if created:
                kwargs = {"Bucket": name}
                if aws.region != "us-east-1":
                    kwargs["CreateBucketConfiguration"] = {"LocationConstraint": aws.region}
                try:
                    aws.call("s3", "create_bucket", **kwargs)
                except ClientError as exc:
                    if error_code(exc) != "BucketAlreadyOwnedByYou":
                        raise
            if pab_changed:
                aws.call("s3", "put_public_access_block", Bucket=name,
                         PublicAccessBlockConfiguration=dict(PRIVATE))
            if enc_changed:
                default = {"SSEAlgorithm": algorithm}
                if kms_key_id:
                    default["KMSMasterKeyID"] = kms_key_arn
                rule = {"ApplyServerSideEncryptionByDefault": default}
                if algorithm == "aws:kms":
                    rule["BucketKeyEnabled"] = True
                aws.call("s3", "put_bucket_encryption", Bucket=name,
                         ServerSideEncryptionConfiguration={"Rules": [rule]})
    except Exception as exc:  # pylint: disable=broad-except
        if not is_boto_error(exc):
            raise
        fail_aws(module, exc, "Cannot create or configure the S3 bucket '%s'" % name)

    result = {
        "changed": changed,
        "created": created,
        "bucket": {
            "name": name,
            "arn": bucket_arn(name, aws.region),
            "region": aws.region,
            "encryption": algorithm,
            "kms_key_arn": kms_key_arn,
            "public_access_block": dict(PRIVATE),
        },
    }
    if module._diff:
        result["diff"] = make_diff(before, after, header="s3://%s" % name)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
