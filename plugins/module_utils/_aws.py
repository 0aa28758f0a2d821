# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared AWS client helper for this collection's aws_* modules (private).

- `aws_argument_spec(...)`: the connection options every aws_* module takes (region, endpoint_url,
  profile, optional explicit keys with no_log).
- `AWSHelper(module)`: boto3 clients from the usual credential chain. Retries are botocore's alone: its `standard`
  or `adaptive` retry mode (option `retry_mode`), with its exponential backoff and full jitter, at most
  `max_attempts` attempts per request; `call()` adds no retry loop on top, so nothing is retried twice.
- `fail_aws(module, exc, msg)`: fail_json with the AWS error code and a sentence saying what to fix, naming the
  inventory variable a user sets (the storage role's, the team_storage role's) and the module option behind it
  (`setting()`), so the hint reads right for a role run and for a module used directly.
- `check_bucket_name(module, option)`: the S3 bucket naming rules, checked before any call.
- `ca_certificates` (every aws_* module): PEM texts trusted in addition to the system CAs, as the W&B server trusts
  `wandb_server_ca_certificates` (an S3-compatible store with an internal CA); botocore takes a bundle file only, so
  `AWSHelper` writes one for the module's run (`_custom_ca.bundle_file`).
"""
from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.wandb_local.server.plugins.module_utils._storage import (
    bucket_name_error,
    s3_bucket_name_problems,
)
from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import (
    CAError,
    bundle_file,
    ca_certificates_argument_spec,
    describe_tls_failure,
)

BOTO3_IMPORT_ERROR = None
try:
    import boto3
    from botocore.config import Config
    from botocore.exceptions import (BotoCoreError, ClientError, ConnectionClosedError, ConnectTimeoutError,
                                     EndpointConnectionError, NoCredentialsError, ReadTimeoutError)
    HAS_BOTO3 = True
except ImportError:  # pragma: no cover - exercised only without boto3
    HAS_BOTO3 = False
    BOTO3_IMPORT_ERROR = traceback.format_exc()
    BotoCoreError = ClientError = NoCredentialsError = EndpointConnectionError = Exception
    ConnectionClosedError = ConnectTimeoutError = ReadTimeoutError = Exception

# Bounds of every request (options timeout and max_attempts): an endpoint that is down or stops answering fails the
# task within about max_attempts * (timeout + backoff) seconds instead of botocore's 60 s per read.
DEFAULT_TIMEOUT = 30
DEFAULT_MAX_ATTEMPTS = 4
# botocore's retry modes (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html): `standard`
# retries throttling, transient errors (HTTP 500/502/503/504, connection errors, timeouts) with exponential backoff
# and full jitter (base 2^attempt, at most 20 s) and a client-side retry quota; `adaptive` adds client-side rate
# limiting for throttled workloads. `legacy` is not offered: it retries fewer errors, with its own backoff.
RETRY_MODES = ("standard", "adaptive")
DEFAULT_RETRY_MODE = "standard"

# Where a user sets each module option: the storage role's inventory variable, the team_storage role's (None: that
# role has none, the module's default applies), for a run of the roles; hints name both, then the module option.
SETTINGS = {
    "endpoint_url": ("storage_aws_endpoint_url", "team_storage_aws_endpoint_url"),
    "timeout": ("storage_aws_timeout", None),
    "max_attempts": ("storage_aws_max_attempts", None),
    "retry_mode": ("storage_aws_retry_mode", None),
    "region": ("storage_aws_region", "team_storage_aws_region or the entry's region"),
    "profile": ("storage_aws_profile", "team_storage_aws_profile"),
    "bucket": ("storage_bucket", "the entry's bucket in team_storage_buckets"),
    "queue": ("storage_queue", None),
    "kms_key_id": ("storage_encryption_key", "the entry's encryption_key in team_storage_buckets"),
    "actions": ("storage_aws_queue_policy_actions", None),
}


def setting(option, module_option=None):
    """The inventory variable(s) behind a module option, then the option: e.g. 'storage_aws_endpoint_url (team
    buckets: team_storage_aws_endpoint_url; module option endpoint_url)'. ``module_option`` when the module names
    it differently (aws_s3_bucket's ``name`` is the bucket)."""
    storage, team = SETTINGS[option]
    where = "team buckets: %s; " % team if team else ""
    return "%s (%smodule option %s)" % (storage, where, module_option or option)


# What to fix, per AWS error code. The hints name the inventory variables and the modules' own options (every
# aws_* module that takes a bucket or a queue accepts the option name or alias `bucket` / `queue`).
HINTS = {
    "AccessDenied": "the credentials Ansible uses (profile, environment, instance role) are not allowed to do this; "
                    "grant the missing permission to that identity or use other credentials",
    "AccessDeniedException": "the credentials Ansible uses are not allowed to do this; grant the missing "
                             "permission to that identity or use other credentials",
    "AllAccessDisabled": "all access to this bucket is disabled; ask AWS support or choose another bucket",
    "BucketAlreadyExists": "the bucket name is taken by another AWS account (S3 bucket names are global); "
                           "choose another bucket name, " + setting("bucket"),
    "NoSuchBucket": "the bucket does not exist; check " + setting("bucket") + " (and that the bucket was created "
                    "first, e.g. with wandb_local.server.aws_s3_bucket)",
    "PermanentRedirect": "the bucket is in another region; set " + setting("region") + " to the bucket's region",
    "AuthorizationHeaderMalformed": "the bucket is in another region; set " + setting("region") + " to the "
                                    "bucket's region",
    "IllegalLocationConstraintException": "the bucket exists in another region or the region is invalid; set "
                                          + setting("region") + " to the bucket's region",
    "AWS.SimpleQueueService.NonExistentQueue": "the queue does not exist in this region; check " + setting("queue")
                                               + " and " + setting("region") + " (a queue lives in one region only)",
    "QueueDoesNotExist": "the queue does not exist in this region; check " + setting("queue") + " and "
                         + setting("region"),
    "AWS.SimpleQueueService.QueueDeletedRecently": "a queue with this name was deleted less than 60 seconds ago; "
                                                   "wait a minute and run again",
    "QueueAlreadyExists": "a queue with this name exists with different attributes; adopt it or choose another "
                          "queue name, " + setting("queue"),
    "InvalidClientTokenId": "the access key is not valid; check the credentials (profile or environment)",
    "InvalidAccessKeyId": "the access key does not exist; check the credentials (profile or environment)",
    "SignatureDoesNotMatch": "the secret key does not match the access key; check the credentials",
    "UnrecognizedClientException": "the security token is invalid; check the credentials",
    "ExpiredToken": "the session credentials expired; refresh them (aws sso login / new session token)",
    "ExpiredTokenException": "the session credentials expired; refresh them",
    "NotFoundException": "the KMS key does not exist in this region; check " + setting("kms_key_id") + " and "
                         + setting("region"),
    "KMS.NotFoundException": "the KMS key does not exist in this region; check " + setting("kms_key_id"),
    "NoSuchEntity": "the IAM role does not exist; check the IAM role name",
    "MalformedPolicyDocument": "the policy document was refused; check the action list, " + setting("actions"),
    # 409 from S3, not retried by botocore (nor here): the bucket was deleted moments ago or is being changed.
    "OperationAborted": "another operation on this bucket is in progress (or it was deleted moments ago); wait a "
                        "minute and run again",
}


def aws_argument_spec(**extra):
    """Connection options shared by all aws_* modules, merged with the module's own options."""
    spec = dict(
        region=dict(type="str", aliases=["aws_region"]),
        endpoint_url=dict(type="str", aliases=["aws_endpoint_url"]),
        profile=dict(type="str", aliases=["aws_profile"]),
        access_key=dict(type="str", aliases=["aws_access_key_id"], no_log=False),
        secret_key=dict(type="str", aliases=["aws_secret_access_key"], no_log=True),
        session_token=dict(type="str", aliases=["aws_session_token"], no_log=True),
        timeout=dict(type="float", default=DEFAULT_TIMEOUT),
        max_attempts=dict(type="int", default=DEFAULT_MAX_ATTEMPTS),
        retry_mode=dict(type="str", choices=list(RETRY_MODES), default=DEFAULT_RETRY_MODE),
    )
    spec.update(ca_certificates_argument_spec())
    spec.update(extra)
    return spec


def error_code(exc):
    """The AWS error code of a botocore ClientError ('' for other exceptions)."""
    response = getattr(exc, "response", None) or {}
    err = response.get("Error") or {}
    # SQS answers with the legacy query code (AWS.SimpleQueueService.*) in Code; keep it, it is the more specific.
    return str(err.get("Code") or "")


def error_message(exc):
    response = getattr(exc, "response", None) or {}
    return (response.get("Error") or {}).get("Message") or str(exc)


def http_status(exc):
    response = getattr(exc, "response", None) or {}
    return (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")


def hint_for(exc):
    """A sentence saying what to fix for a known error, or ''."""
    tls = describe_tls_failure(exc, "the endpoint (%s, or AWS)" % setting("endpoint_url"))
    if tls:
        return tls
    if HAS_BOTO3 and isinstance(exc, NoCredentialsError):
        return ("no AWS credentials found; set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile in %s or give "
                "the controller an instance role" % setting("profile"))
    if HAS_BOTO3 and isinstance(exc, (ConnectTimeoutError, ReadTimeoutError)):
        return ("the endpoint did not answer within the timeout (%s, every attempt of %s); check that the endpoint "
                "(%s, or AWS in %s) is up and reachable, or raise the timeout, then run again"
                % (setting("timeout"), setting("max_attempts"), setting("endpoint_url"), setting("region")))
    if HAS_BOTO3 and isinstance(exc, ConnectionClosedError):
        return ("the endpoint closed the connection without an answer; check that the endpoint (%s) is up, then "
                "run again" % setting("endpoint_url"))
    if HAS_BOTO3 and isinstance(exc, EndpointConnectionError):
        return ("the endpoint cannot be reached (connection refused or no route); check %s and %s and that the "
                "endpoint is up, then run again" % (setting("endpoint_url"), setting("region")))
    code = error_code(exc)
    if code in HINTS:
        return HINTS[code]
    message = error_message(exc)
    if code == "InvalidArgument" and "validate the following destination" in message:
        return ("S3 could not validate the queue; the queue access policy must allow the bucket to "
                "sqs:SendMessage (aws_queue_policy runs first) and the queue must be in the bucket's region")
    if code == "InvalidArgument" and "overlap" in message.lower():
        return ("an existing notification of the bucket (not managed here) already sends the same events for "
                "an overlapping prefix/suffix elsewhere; narrow it or remove it")
    if code in ("403", "Forbidden"):
        return ("access denied; the bucket may be owned by another AWS account (choose another bucket name, "
                "%s) or the credentials lack s3:ListBucket on it" % setting("bucket"))
    if code in ("301", "400") and http_status(exc) in (301, 400):
        return "the bucket is probably in another region; set %s to the bucket's region" % setting("region")
    return ""


def fail_aws(module, exc, msg, **kwargs):
    """fail_json with `msg`, the AWS error code/message, and what to fix."""
    code = error_code(exc)
    parts = [msg]
    if code:
        parts.append("AWS error %s: %s" % (code, error_message(exc)))
    else:
        parts.append(str(exc))
    hint = hint_for(exc)
    if hint:
        parts.append("To fix: %s." % hint)
    result = dict(msg=" ".join(p.rstrip(".") + "." for p in parts), error_code=code or None)
    if hint:
        result["hint"] = hint
    result.update(kwargs)
    module.fail_json(**result)


def check_bucket_name(module, option="bucket"):
    """The S3 bucket name in option `option`; fail_json, before any call, when it breaks S3's naming rules."""
    name = module.params[option]
    problems = s3_bucket_name_problems(name)
    if problems:
        module.fail_json(msg=bucket_name_error("S3 bucket", name, problems, option))
    return name


def is_boto_error(exc):
    return HAS_BOTO3 and isinstance(exc, (ClientError, BotoCoreError))


class AWSHelper(object):
    """boto3 clients for one module run, built from the module's connection options."""

    def __init__(self, module, max_attempts=None):
        self.module = module
        self.max_attempts = max(1, int(max_attempts or module.params.get("max_attempts") or DEFAULT_MAX_ATTEMPTS))
        self.retry_mode = module.params.get("retry_mode") or DEFAULT_RETRY_MODE
        if self.retry_mode not in RETRY_MODES:
            module.fail_json(msg="%s must be one of %s, got %r." % (
                setting("retry_mode"), ", ".join(RETRY_MODES), self.retry_mode))
        self.timeout = float(module.params.get("timeout") or DEFAULT_TIMEOUT)
        if self.timeout <= 0:
            module.fail_json(msg="%s must be a positive number of seconds, got %s." % (
                setting("timeout"), self.timeout))
        if not HAS_BOTO3:
            module.fail_json(msg=missing_required_lib("boto3"), exception=BOTO3_IMPORT_ERROR)
        params = module.params
        self.endpoint_url = params.get("endpoint_url") or None
        try:
            self.session = boto3.session.Session(
                profile_name=params.get("profile") or None,
                aws_access_key_id=params.get("access_key") or None,
                aws_secret_access_key=params.get("secret_key") or None,
                aws_session_token=params.get("session_token") or None,
                region_name=params.get("region") or None,
            )
        except BotoCoreError as exc:
            fail_aws(module, exc, "Cannot start an AWS session (check %s)" % setting("profile"))
        self.region = self.session.region_name or "us-east-1"
        try:
            # None without custom CAs: botocore's own bundle.
            self.verify = bundle_file(module, None, params.get("ca_certificates"))
        except CAError as exc:
            module.fail_json(msg=str(exc))
        self._clients = {}

    def client(self, service):
        if service not in self._clients:
            # total_max_attempts counts the first attempt too (botocore's max_attempts would not).
            config = Config(retries={"total_max_attempts": self.max_attempts, "mode": self.retry_mode},
                            connect_timeout=self.timeout, read_timeout=self.timeout,
                            user_agent_extra="wandb_local.server")
            if service == "s3" and self.endpoint_url:
                # Emulators and S3-compatible stores answer on one host: address buckets by path.
                config = config.merge(Config(s3={"addressing_style": "path"}))
            self._clients[service] = self.session.client(
                service, region_name=self.region, endpoint_url=self.endpoint_url, config=config, verify=self.verify)
        return self._clients[service]

    def call(self, service, operation, **kwargs):
        """`client(service).<operation>(**kwargs)`: one call; botocore's retry mode retries what is worth it (no
        second retry loop here, so no request is retried twice)."""
        return getattr(self.client(service), operation)(**kwargs)

    def queue_url(self, name_or_url):
        """URL of a queue given its name or URL (None when it does not exist)."""
        if name_or_url.startswith(("https://", "http://")):
            return name_or_url
        try:
            return self.call("sqs", "get_queue_url", QueueName=name_or_url)["QueueUrl"]
        except ClientError as exc:
            if error_code(exc) in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"):
                return None
            raise


def strip_metadata(response):
    """A boto3 response without ResponseMetadata."""
    return dict((k, v) for k, v in (response or {}).items() if k != "ResponseMetadata")


def arn_partition(region):
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def bucket_arn(bucket, region="us-east-1"):
    return "arn:%s:s3:::%s" % (arn_partition(region), bucket)
