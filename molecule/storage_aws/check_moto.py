"""Reads back what the storage role made on moto and proves the event path; prints one JSON report.

Usage: python check_moto.py ENDPOINT BUCKET QUEUE IAM_ROLE
"""
import json
import sys
import time
from urllib.parse import unquote_plus

import boto3

endpoint, bucket, queue, role = sys.argv[1:5]
kw = {"endpoint_url": endpoint, "region_name": "us-east-1"}
s3, sqs, iam = boto3.client("s3", **kw), boto3.client("sqs", **kw), boto3.client("iam", **kw)
url = sqs.get_queue_url(QueueName=queue)["QueueUrl"]
report = {
    "public_access_block": s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"],
    "encryption": s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"],
    "notification": s3.get_bucket_notification_configuration(Bucket=bucket).get("QueueConfigurations", []),
    "cors": s3.get_bucket_cors(Bucket=bucket)["CORSRules"],
    "queue_policy": json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
                               ["Attributes"]["Policy"]),
    "role_policy": iam.get_role_policy(RoleName=role, PolicyName="wandb-local-storage")["PolicyDocument"],
}
key = "verify/%d.txt" % time.time_ns()
s3.put_object(Bucket=bucket, Key=key, Body=b"molecule")
events = []
deadline = time.monotonic() + 20
while time.monotonic() < deadline and not any(e.get("key") == key for e in events):
    for msg in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        body = json.loads(msg["Body"])
        for rec in body.get("Records", []):
            events.append({"event": rec["eventName"], "key": unquote_plus(rec["s3"]["object"]["key"])})
        sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
report["uploaded_key"] = key
report["events"] = events
print(json.dumps(report))
