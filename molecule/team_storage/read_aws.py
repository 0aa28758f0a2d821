# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read back what the team_storage role made on moto; prints one JSON report.

Usage: python read_aws.py ENDPOINT IAM_ROLE POLICY_NAME BUCKET...
"""
from __future__ import annotations

import json
import sys

import boto3


def main():
    endpoint, role, policy_name = sys.argv[1:4]
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    s3, iam, sqs = boto3.client("s3", **kwargs), boto3.client("iam", **kwargs), boto3.client("sqs", **kwargs)
    report = {"buckets": {}, "queues": sqs.list_queues().get("QueueUrls", []),
              "role_policy": iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]}
    for bucket in sys.argv[4:]:
        notification = s3.get_bucket_notification_configuration(Bucket=bucket)
        report["buckets"][bucket] = {
            "public_access_block": s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
            "encryption": s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
            ["ApplyServerSideEncryptionByDefault"],
            "cors": s3.get_bucket_cors(Bucket=bucket)["CORSRules"],
            "notifications": [k for k in notification if k.endswith("Configurations")],
        }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
