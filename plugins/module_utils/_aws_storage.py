# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWS storage steps (private): bucket, queue, queue policy, bucket notification, CORS.

Each step is a `validate_*` function (the input rules, checked before any call, returning an error message or '')
and an `ensure_*` function that takes an `AWSHelper` and returns the module result of the step (`changed`, the
step's own keys, `diff` when the module runs with --diff), failing through the helper's module with what to fix.
The single-purpose modules (aws_s3_bucket, aws_sqs_queue, aws_queue_policy, aws_bucket_notification, aws_s3_cors)
run one step each; `aws_storage` runs them all in one process and one boto3 session (what a no-change run of the
storage role costs: one module run instead of five, boto3 imported once).
"""
from __future__ import annotations

import json

from ansible_collections.wandb_local.server.plugins.module_utils._aws import (
    ClientError,
    arn_partition,
    bucket_arn,
    error_code,
    fail_aws,
    is_boto_error,
    setting,
    strip_metadata,
)
from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    cors_origins_error,
    cors_rule,
    make_diff,
    merge_by_id,
    same,
    sqs_queue_name_problems,
)

# --- bucket ----------------------------------------------------------------------------------------------------

PRIVATE = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def bucket_region(aws, name, name_option="name"):
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
                    % (name, setting("bucket", name_option)),
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


def ensure_bucket(aws, name, encryption="AES256", kms_key_id=None, name_option="name"):
    """The private, encrypted bucket `name` (created or adopted): aws_s3_bucket's result."""
    module = aws.module
    kms_key_id = kms_key_id or None
    algorithm = "aws:kms" if kms_key_id else encryption
    try:
        region = bucket_region(aws, name, name_option)
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
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = make_diff(before, after, header="s3://%s" % name)
    return result


# --- queue -----------------------------------------------------------------------------------------------------

def validate_queue_name(name, option="name, alias queue"):
    if sqs_queue_name_problems(name):
        return ("Invalid SQS queue name '%s': use 1 to 80 letters, digits, hyphens and underscores (a standard "
                "queue, no .fifo). Fix %s." % (name, setting("queue", option)))
    return ""


def predicted_queue_arn(aws, name):
    account = aws.call("sts", "get_caller_identity")["Account"]
    return "arn:%s:sqs:%s:%s:%s" % (arn_partition(aws.region), aws.region, account, name)


def ensure_queue(aws, name, want_policy=False):
    """The SQS standard queue `name` (created or adopted): aws_sqs_queue's result. With `want_policy` the queue's
    access policy is read in the same call (key `_policy_attributes`, for ensure_queue_policy)."""
    module = aws.module
    arn = None
    attrs = None
    try:
        url = aws.queue_url(name)
        created = url is None
        if created and not module.check_mode:
            url = aws.call("sqs", "create_queue", QueueName=name)["QueueUrl"]
        if url:
            attrs = aws.call("sqs", "get_queue_attributes", QueueUrl=url,
                             AttributeNames=["QueueArn", "Policy"] if want_policy else ["QueueArn"])["Attributes"]
            arn = attrs["QueueArn"]
        else:
            arn = predicted_queue_arn(aws, name)
    except Exception as exc:  # pylint: disable=broad-except
        if not is_boto_error(exc):
            raise
        fail_aws(module, exc, "Cannot create or read the SQS queue '%s' in %s" % (name, aws.region))

    result = {
        "changed": created,
        "created": created,
        "queue": {"name": name, "url": url, "arn": arn, "region": aws.region},
    }
    if want_policy:
        result["_policy_attributes"] = attrs
    if module._diff:  # pylint: disable=protected-access
        before = None if created else {"name": name, "region": aws.region}
        result["diff"] = make_diff(before, {"name": name, "region": aws.region}, header="sqs://%s" % name)
    return result


# --- queue policy ----------------------------------------------------------------------------------------------

_LISTY = ("Action", "NotAction", "Resource", "NotResource")
DEFAULT_SID = "WandbLocalBucketNotifications"


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


def validate_actions(actions, state="present"):
    bad = [a for a in actions if not a.startswith("sqs:")]
    if state == "present" and (not actions or bad):
        return "%s must be a non-empty list of sqs:* actions; not allowed here: %s" % (
            setting("actions"), ", ".join(bad))
    return ""


def ensure_queue_policy(aws, queue, bucket=None, actions=("sqs:SendMessage",), sid=DEFAULT_SID,
                        source_account=None, state="present", queue_attributes=None):
    """Our statement in the access policy of `queue` (name or URL), merged: aws_queue_policy's result.
    `queue_attributes`: the queue's QueueArn and Policy attributes when the caller has just read them (queue a URL),
    None to read them here."""
    module = aws.module
    url = None
    try:
        url = queue if queue_attributes is not None else aws.queue_url(queue)
        if url is None:
            if not module.check_mode:
                module.fail_json(msg="The SQS queue '%s' does not exist in %s. To fix: create it first "
                                     "(wandb_local.server.aws_sqs_queue) or check %s and %s."
                                     % (queue, aws.region, setting("queue"), setting("region")))
            queue_arn = predicted_queue_arn(aws, queue)
            current = None
        else:
            attrs = queue_attributes
            if attrs is None:
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
    if state == "present":
        account = source_account or queue_arn.split(":")[4]
        statement = build_statement(sid, actions, queue_arn, bucket_arn(bucket, aws.region), account)
    wanted = merged_policy(current, statement, sid)
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
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = make_diff(current, wanted, header="policy of %s" % queue_arn)
    return result


# --- bucket notification ---------------------------------------------------------------------------------------

CONFIG_KEYS = ("TopicConfigurations", "QueueConfigurations", "LambdaFunctionConfigurations")
DEFAULT_NOTIFICATION_ID = "wandb-local-object-created"


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


def validate_queue_arn(queue_arn, state="present"):
    if state == "present" and not queue_arn.startswith("arn:"):
        return "queue_arn must be an SQS queue ARN (arn:aws:sqs:REGION:ACCOUNT:NAME), got '%s'." % queue_arn
    return ""


def ensure_notification(aws, bucket, queue_arn=None, config_id=DEFAULT_NOTIFICATION_ID,
                        events=("s3:ObjectCreated:*",), prefix=None, suffix=None, state="present"):
    """Our queue configuration in the bucket's notifications, the others kept: aws_bucket_notification's result."""
    module = aws.module
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
    if state == "present":
        ours = build_queue_config(config_id, queue_arn, events, prefix, suffix)
    wanted = merged_config(current, ours, config_id)
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
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = make_diff(current, wanted, header="notifications of s3://%s" % bucket)
    return result


# --- CORS ------------------------------------------------------------------------------------------------------

_LIST_KEYS = ("AllowedOrigins", "AllowedMethods", "AllowedHeaders", "ExposeHeaders")
DEFAULT_CORS_ID = "wandb-local"


def normalize_rule(rule):
    out = {}
    for key, value in rule.items():
        if key in _LIST_KEYS:
            if value:
                out[key] = sorted(value)
        elif value is not None:
            out[key] = value
    return out


def s3_rule(rule_id, neutral, expose_headers):
    rule = {
        "ID": rule_id,
        "AllowedOrigins": neutral["origins"],
        "AllowedMethods": neutral["methods"],
        "AllowedHeaders": neutral["headers"],
    }
    if expose_headers:
        rule["ExposeHeaders"] = sorted(set(expose_headers))
    if neutral["max_age_seconds"] is not None:
        rule["MaxAgeSeconds"] = neutral["max_age_seconds"]
    return rule


def cors_rule_of(origins, methods=("GET", "PUT"), headers=("*",), expose_headers=(), max_age=None,
                 rule_id=DEFAULT_CORS_ID, option="origins"):
    """(our S3 CORS rule, '') or (None, error message) for the origins given."""
    error = cors_origins_error(origins, option, required=True)
    if error:
        return None, error
    neutral = cors_rule(origins, list(methods), list(headers), max_age)
    return s3_rule(rule_id, neutral, list(expose_headers)), ""


def ensure_cors(aws, bucket, ours, rule_id=DEFAULT_CORS_ID):
    """Our CORS rule `ours` (None: removed) in the bucket's CORS rules, the others kept: aws_s3_cors's result."""
    module = aws.module
    try:
        try:
            current = aws.call("s3", "get_bucket_cors", Bucket=bucket).get("CORSRules") or []
        except Exception as exc:  # pylint: disable=broad-except
            code = error_code(exc)
            if code == "NoSuchCORSConfiguration" or (module.check_mode and code == "NoSuchBucket"):
                current = []
            else:
                raise
        current = [normalize_rule(r) for r in current]
        wanted = merge_by_id(current, ours, lambda r: r.get("ID"), rule_id)
        changed = not same(current, wanted)
        if changed and not module.check_mode:
            if wanted:
                aws.call("s3", "put_bucket_cors", Bucket=bucket, CORSConfiguration={"CORSRules": wanted})
            else:
                aws.call("s3", "delete_bucket_cors", Bucket=bucket)
    except Exception as exc:  # pylint: disable=broad-except
        if not is_boto_error(exc):
            raise
        fail_aws(module, exc, "Cannot set the CORS rules of the bucket '%s'" % bucket)

    result = {"changed": changed, "cors_rules": wanted}
    if module._diff:  # pylint: disable=protected-access
        result["diff"] = make_diff({"CORSRules": current} if current else None,
                                   {"CORSRules": wanted} if wanted else None,
                                   header="CORS of s3://%s" % bucket)
    return result
