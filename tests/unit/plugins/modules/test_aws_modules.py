"""Units for the aws_* modules' diff / merge / idempotence logic.

boto3's Session is replaced by a recording fake: each test declares the answers of the AWS operations it
expects, any other call fails the test, and the calls made are asserted (for example that nothing is
written in check mode, or that nothing at all is called for an invalid bucket name).
"""
from __future__ import annotations

import copy
import json

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ReadTimeoutError

from ansible_collections.wandb_local.server.plugins.module_utils import _aws, _aws_storage
from ansible_collections.wandb_local.server.plugins.modules import (
    aws_bucket_notification,
    aws_queue_policy,
    aws_s3_bucket,
    aws_s3_cors,
    aws_sqs_queue,
    aws_storage,
)

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:wandb-q"
QUEUE_URL = "https://sqs.us-east-1.amazonaws.com/123456789012/wandb-q"
CONN = {"region": "us-east-1"}


def client_error(code, message="", status=400, headers=None):
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": headers or {}}}, "Op")


class FakeAWS:
    """Answers (service, operation) with a value, a callable(**kwargs) or an exception; records calls."""

    def __init__(self, answers=None):
        self.answers = dict(answers or {})
        self.calls = []
        self.sessions = 0

    def ops(self):
        return [op for _svc, op, _kw in self.calls]

    def kwargs_of(self, op):
        return [kw for _svc, o, kw in self.calls if o == op]

    def session(self, **kwargs):
        self.sessions += 1
        fake = self

        class Session:
            region_name = kwargs.get("region_name")

            def client(self, service, **_kw):
                return FakeClient(fake, service)

        return Session()


class FakeClient:
    def __init__(self, fake, service):
        self.fake = fake
        self.service = service

    def __getattr__(self, op):
        def call(**kwargs):
            self.fake.calls.append((self.service, op, copy.deepcopy(kwargs)))
            key = (self.service, op)
            if key not in self.fake.answers:
                raise AssertionError("unexpected AWS call %s.%s(%r)" % (self.service, op, kwargs))
            answer = self.fake.answers[key]
            if isinstance(answer, Exception):
                raise answer
            if callable(answer):
                return answer(**kwargs)
            return copy.deepcopy(answer)
        return call


@pytest.fixture
def fake_aws(monkeypatch):
    fake = FakeAWS()
    monkeypatch.setattr(_aws.boto3.session, "Session", fake.session)
    return fake


# --- bucket notification -------------------------------------------------------------------------------------

FOREIGN_NOTIFICATIONS = {
    "TopicConfigurations": [{
        "Id": "audit-topic", "TopicArn": "arn:aws:sns:us-east-1:123456789012:audit",
        "Events": ["s3:ObjectRemoved:*"],
    }],
    "QueueConfigurations": [{
        "Id": "thumbnails", "QueueArn": "arn:aws:sqs:us-east-1:123456789012:thumbs",
        "Events": ["s3:ObjectCreated:Put"],
        "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "images/"}]}},
    }],
    "LambdaFunctionConfigurations": [{
        "Id": "scan", "LambdaFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:scan",
        "Events": ["s3:ObjectRestore:Completed"],
    }],
    "EventBridgeConfiguration": {},
    "ResponseMetadata": {"HTTPStatusCode": 200},
}


def test_notification_keeps_foreign_configurations(fake_aws, run_module):
    fake_aws.answers[("s3", "get_bucket_notification_configuration")] = FOREIGN_NOTIFICATIONS
    fake_aws.answers[("s3", "put_bucket_notification_configuration")] = {}
    result = run_module(aws_bucket_notification, dict(CONN, bucket="wandb-files", queue_arn=QUEUE_ARN), diff=True)
    assert result.changed, result
    [put] = fake_aws.kwargs_of("put_bucket_notification_configuration")
    sent = put["NotificationConfiguration"]
    assert sent["TopicConfigurations"] == FOREIGN_NOTIFICATIONS["TopicConfigurations"]
    assert sent["LambdaFunctionConfigurations"] == FOREIGN_NOTIFICATIONS["LambdaFunctionConfigurations"]
    assert sent["EventBridgeConfiguration"] == {}
    thumbs, ours = sent["QueueConfigurations"]
    assert thumbs["Id"] == "thumbnails"
    # filter rule names go out lowercase (S3 API reference; moto refuses "Prefix")
    assert thumbs["Filter"] == {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"}]}}
    assert ours == {"Id": "wandb-local-object-created", "QueueArn": QUEUE_ARN, "Events": ["s3:ObjectCreated:*"]}
    before, after = json.loads(result["diff"]["before"]), json.loads(result["diff"]["after"])
    assert [q["Id"] for q in before["QueueConfigurations"]] == ["thumbnails"]
    assert [q["Id"] for q in after["QueueConfigurations"]] == ["thumbnails", "wandb-local-object-created"]
    assert "ResponseMetadata" not in before


def test_notification_second_run_is_unchanged(fake_aws, run_module):
    current = copy.deepcopy(FOREIGN_NOTIFICATIONS)
    current["QueueConfigurations"].append({
        "Id": "wandb-local-object-created", "QueueArn": QUEUE_ARN, "Events": ["s3:ObjectCreated:*"]})
    fake_aws.answers[("s3", "get_bucket_notification_configuration")] = current
    result = run_module(aws_bucket_notification, dict(CONN, bucket="wandb-files", queue_arn=QUEUE_ARN))
    assert not result.changed, result
    assert "put_bucket_notification_configuration" not in fake_aws.ops()


def test_notification_check_mode_predicts_without_writing(fake_aws, run_module):
    fake_aws.answers[("s3", "get_bucket_notification_configuration")] = {"ResponseMetadata": {}}
    result = run_module(aws_bucket_notification, dict(CONN, bucket="wandb-files", queue_arn=QUEUE_ARN),
                        check_mode=True, diff=True)
    assert result.changed
    assert fake_aws.ops() == ["get_bucket_notification_configuration"]
    assert result["notification_configuration"]["QueueConfigurations"][0]["QueueArn"] == QUEUE_ARN
    assert result["diff"]["before"] == json.dumps({}, indent=2) + "\n"


def test_notification_absent_removes_only_ours(fake_aws, run_module):
    current = copy.deepcopy(FOREIGN_NOTIFICATIONS)
    current["QueueConfigurations"].append({
        "Id": "wandb-local-object-created", "QueueArn": QUEUE_ARN, "Events": ["s3:ObjectCreated:*"]})
    fake_aws.answers[("s3", "get_bucket_notification_configuration")] = current
    fake_aws.answers[("s3", "put_bucket_notification_configuration")] = {}
    result = run_module(aws_bucket_notification, dict(CONN, bucket="wandb-files", state="absent"))
    assert result.changed
    [put] = fake_aws.kwargs_of("put_bucket_notification_configuration")
    assert [q["Id"] for q in put["NotificationConfiguration"]["QueueConfigurations"]] == ["thumbnails"]


def test_notification_unable_to_validate_says_what_to_fix(fake_aws, run_module):
    fake_aws.answers[("s3", "get_bucket_notification_configuration")] = {}
    fake_aws.answers[("s3", "put_bucket_notification_configuration")] = client_error(
        "InvalidArgument", "Unable to validate the following destination configurations")
    result = run_module(aws_bucket_notification, dict(CONN, bucket="wandb-files", queue_arn=QUEUE_ARN))
    assert result.failed
    assert "InvalidArgument" in result["msg"] and "aws_queue_policy runs first" in result["msg"]


# --- queue policy --------------------------------------------------------------------------------------------

FOREIGN_STATEMENT = {
    "Sid": "OpsCanRead", "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:role/ops"},
    "Action": "sqs:ReceiveMessage", "Resource": QUEUE_ARN,
}


def queue_answers(fake, policy):
    fake.answers[("sqs", "get_queue_url")] = {"QueueUrl": QUEUE_URL}
    attrs = {"QueueArn": QUEUE_ARN}
    if policy is not None:
        attrs["Policy"] = json.dumps(policy)
    fake.answers[("sqs", "get_queue_attributes")] = {"Attributes": attrs}
    fake.answers[("sqs", "set_queue_attributes")] = {}


def test_queue_policy_is_merged_not_clobbered(fake_aws, run_module):
    queue_answers(fake_aws, {"Version": "2012-10-17", "Id": "ops", "Statement": [FOREIGN_STATEMENT]})
    result = run_module(aws_queue_policy, dict(CONN, queue="wandb-q", bucket="wandb-files"), diff=True)
    assert result.changed, result
    [put] = fake_aws.kwargs_of("set_queue_attributes")
    policy = json.loads(put["Attributes"]["Policy"])
    assert policy["Id"] == "ops"
    foreign, ours = policy["Statement"]
    assert foreign == FOREIGN_STATEMENT
    assert ours["Sid"] == "WandbLocalBucketNotifications"
    assert ours["Principal"] == {"Service": "s3.amazonaws.com"}
    assert ours["Action"] == ["sqs:SendMessage"]
    assert ours["Resource"] == QUEUE_ARN
    assert ours["Condition"]["ArnEquals"] == {"aws:SourceArn": "arn:aws:s3:::wandb-files"}
    assert ours["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    assert "OpsCanRead" in result["diff"]["before"] and "WandbLocalBucketNotifications" not in result["diff"]["before"]
    assert "WandbLocalBucketNotifications" in result["diff"]["after"]


def test_queue_policy_replaces_our_outdated_statement_and_is_then_stable(fake_aws, run_module):
    wide = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:DeleteMessage",
            "sqs:GetQueueUrl"]
    old = _aws_storage.build_statement("WandbLocalBucketNotifications", ["sqs:SendMessage"], QUEUE_ARN,
                                       "arn:aws:s3:::old-bucket", "123456789012")
    queue_answers(fake_aws, {"Version": "2012-10-17", "Statement": [FOREIGN_STATEMENT, old]})
    args = dict(CONN, queue="wandb-q", bucket="wandb-files", actions=wide)
    result = run_module(aws_queue_policy, args)
    assert result.changed
    policy = json.loads(fake_aws.kwargs_of("set_queue_attributes")[0]["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["OpsCanRead", "WandbLocalBucketNotifications"]
    assert policy["Statement"][1]["Action"] == sorted(wide)

    # AWS may hand the document back with single values as strings: still no change.
    stored = copy.deepcopy(policy)
    stored["Statement"][1]["Condition"]["ArnEquals"]["aws:SourceArn"] = ["arn:aws:s3:::wandb-files"]
    fake2 = FakeAWS()
    queue_answers(fake2, stored)
    fake_aws.answers, fake_aws.calls = fake2.answers, []
    again = run_module(aws_queue_policy, args)
    assert not again.changed, again
    assert "set_queue_attributes" not in fake_aws.ops()


def test_queue_policy_check_mode_and_absent(fake_aws, run_module):
    queue_answers(fake_aws, {"Version": "2012-10-17", "Statement": [FOREIGN_STATEMENT]})
    result = run_module(aws_queue_policy, dict(CONN, queue="wandb-q", bucket="wandb-files"), check_mode=True)
    assert result.changed and "set_queue_attributes" not in fake_aws.ops()

    ours = _aws_storage.build_statement("WandbLocalBucketNotifications", ["sqs:SendMessage"], QUEUE_ARN,
                                        "arn:aws:s3:::wandb-files", "123456789012")
    queue_answers(fake_aws, {"Version": "2012-10-17", "Statement": [FOREIGN_STATEMENT, ours]})
    result = run_module(aws_queue_policy, dict(CONN, queue="wandb-q", state="absent"))
    assert result.changed
    policy = json.loads(fake_aws.kwargs_of("set_queue_attributes")[-1]["Attributes"]["Policy"])
    assert policy["Statement"] == [FOREIGN_STATEMENT]


def test_queue_policy_refuses_non_sqs_actions_before_any_call(fake_aws, run_module):
    result = run_module(aws_queue_policy, dict(CONN, queue="wandb-q", bucket="wandb-files", actions=["s3:*"]))
    assert result.failed and "option actions" in result["msg"]
    assert fake_aws.calls == []


def test_queue_in_another_region_says_what_to_fix(fake_aws, run_module):
    fake_aws.answers[("sqs", "get_queue_url")] = client_error(
        "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
    result = run_module(aws_queue_policy, dict(CONN, queue="wandb-q", bucket="wandb-files"))
    assert result.failed
    msg = result["msg"]
    assert "does not exist in us-east-1" in msg
    assert "check storage_queue (module option queue) and storage_aws_region (" in msg and "option region" in msg


# --- bucket --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("module, args, option", [
    (aws_s3_bucket, {"name": "Invalid_Bucket"}, "name"),
    (aws_bucket_notification, {"bucket": "Invalid_Bucket", "queue_arn": QUEUE_ARN}, "bucket"),
    (aws_s3_cors, {"bucket": "Invalid_Bucket", "origins": ["https://w.example.com"]}, "bucket"),
])
def test_invalid_bucket_name_fails_before_any_call(fake_aws, run_module, module, args, option):
    result = run_module(module, dict(CONN, **args))
    assert result.failed
    assert "Invalid S3 bucket name 'Invalid_Bucket'" in result["msg"] and "(option %s)" % option in result["msg"]
    assert fake_aws.sessions == 0 and fake_aws.calls == []


def test_bucket_is_created_private_and_encrypted(fake_aws, run_module):
    fake_aws.answers.update({
        ("s3", "head_bucket"): client_error("404", "Not Found", 404),
        ("s3", "create_bucket"): {},
        ("s3", "put_public_access_block"): {},
        ("s3", "put_bucket_encryption"): {},
    })
    result = run_module(aws_s3_bucket, dict(name="wandb-files", region="eu-west-1"), diff=True)
    assert result.changed and result["created"]
    assert fake_aws.kwargs_of("create_bucket") == [
        {"Bucket": "wandb-files", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}}]
    assert all(fake_aws.kwargs_of("put_public_access_block")[0]["PublicAccessBlockConfiguration"].values())
    rule = fake_aws.kwargs_of("put_bucket_encryption")[0]["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert result["diff"]["before"] == ""


def test_bucket_check_mode_writes_nothing(fake_aws, run_module):
    fake_aws.answers[("s3", "head_bucket")] = client_error("404", "Not Found", 404)
    result = run_module(aws_s3_bucket, dict(name="wandb-files", region="us-east-1"), check_mode=True)
    assert result.changed and fake_aws.ops() == ["head_bucket"]


def test_adopted_bucket_with_kms_key_is_stable(fake_aws, run_module):
    key_arn = "arn:aws:kms:us-east-1:123456789012:key/k-1"
    fake_aws.answers.update({
        ("s3", "head_bucket"): {"ResponseMetadata": {"HTTPHeaders": {"x-amz-bucket-region": "us-east-1"}}},
        ("kms", "describe_key"): {"KeyMetadata": {"Arn": key_arn}},
        ("s3", "get_public_access_block"): {"PublicAccessBlockConfiguration": dict(_aws_storage.PRIVATE)},
        ("s3", "get_bucket_encryption"): {"ServerSideEncryptionConfiguration": {"Rules": [{
            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]}},
    })
    result = run_module(aws_s3_bucket, dict(name="wandb-files", region="us-east-1", kms_key_id="alias/wandb"))
    assert not result.changed, result
    assert result["bucket"]["kms_key_arn"] == key_arn and result["bucket"]["encryption"] == "aws:kms"


def test_bucket_of_another_account_says_what_to_fix(fake_aws, run_module):
    fake_aws.answers[("s3", "head_bucket")] = client_error("403", "Forbidden", 403)
    result = run_module(aws_s3_bucket, dict(name="wandb-files", region="us-east-1"))
    assert result.failed
    assert "owned by another AWS account" in result["msg"] and "option name" in result["msg"]


def test_bucket_in_another_region_says_what_to_fix(fake_aws, run_module):
    fake_aws.answers[("s3", "head_bucket")] = {
        "ResponseMetadata": {"HTTPHeaders": {"x-amz-bucket-region": "eu-central-1"}}}
    result = run_module(aws_s3_bucket, dict(name="wandb-files", region="us-east-1"))
    assert result.failed
    assert "exists in region eu-central-1" in result["msg"] and "option region" in result["msg"]


def test_access_denied_names_error_code_and_fix(fake_aws, run_module):
    fake_aws.answers[("s3", "head_bucket")] = client_error("404", "Not Found", 404)
    fake_aws.answers[("s3", "create_bucket")] = client_error("AccessDenied", "Access Denied", 403)
    result = run_module(aws_s3_bucket, dict(name="wandb-files", region="us-east-1"))
    assert result.failed and result["error_code"] == "AccessDenied"
    assert "AWS error AccessDenied" in result["msg"] and "grant the missing permission" in result["msg"]


def test_bucket_name_taken_by_another_account(fake_aws, run_module):
    fake_aws.answers[("s3", "head_bucket")] = client_error("404", "Not Found", 404)
    fake_aws.answers[("s3", "create_bucket")] = client_error("BucketAlreadyExists", "taken", 409)
    result = run_module(aws_s3_bucket, dict(name="wandb-files", region="us-east-1"))
    assert result.failed and "another AWS account" in result["msg"]


# --- queue, CORS, helper -------------------------------------------------------------------------------------

def test_queue_is_adopted_unchanged(fake_aws, run_module):
    queue_answers(fake_aws, None)
    result = run_module(aws_sqs_queue, dict(CONN, name="wandb-q"))
    assert not result.changed and result["queue"]["arn"] == QUEUE_ARN
    assert "create_queue" not in fake_aws.ops()
    bad = run_module(aws_sqs_queue, dict(CONN, name="wandb.fifo"))
    assert bad.failed and "option name" in bad["msg"]


def test_cors_keeps_foreign_rules_and_normalises_origins(fake_aws, run_module):
    foreign = {"AllowedOrigins": ["https://docs.example.com"], "AllowedMethods": ["GET"]}
    ours = {"ID": "wandb-local", "AllowedOrigins": ["https://wandb.example.com"],
            "AllowedMethods": ["GET", "PUT"], "AllowedHeaders": ["*"]}
    fake_aws.answers[("s3", "get_bucket_cors")] = {"CORSRules": [foreign]}
    fake_aws.answers[("s3", "put_bucket_cors")] = {}
    args = dict(CONN, bucket="wandb-files", origins=["https://WANDB.example.com/"])
    result = run_module(aws_s3_cors, args, diff=True)
    assert result.changed
    assert fake_aws.kwargs_of("put_bucket_cors")[0]["CORSConfiguration"]["CORSRules"] == [foreign, ours]
    assert "docs.example.com" in result["diff"]["before"] and "wandb.example.com" in result["diff"]["after"]

    fake_aws.answers[("s3", "get_bucket_cors")] = {"CORSRules": [foreign, dict(ours, AllowedMethods=["PUT", "GET"])]}
    fake_aws.calls = []
    assert not run_module(aws_s3_cors, args).changed
    assert "put_bucket_cors" not in fake_aws.ops()


def test_cors_rejects_origin_without_scheme(fake_aws, run_module):
    result = run_module(aws_s3_cors, dict(CONN, bucket="wandb-files", origins=["wandb.example.com"]))
    assert result.failed and "option origins" in result["msg"] and fake_aws.calls == []


def test_throttling_is_not_retried_on_top_of_botocore(fake_aws, run_module):
    """botocore's retry mode already retried what reaches the module (tests/unit/plugins/module_utils/
    test_aws_retry.py): the module calls once and reports the error."""
    fake_aws.answers[("s3", "get_bucket_cors")] = client_error("SlowDown", "Reduce your request rate", 503)
    result = run_module(aws_s3_cors, dict(CONN, bucket="wandb-files", origins=["https://w.example.com"]))
    assert result.failed and "SlowDown" in result["msg"], result
    assert fake_aws.ops() == ["get_bucket_cors"]


def test_secret_key_is_not_returned(fake_aws, run_module):
    queue_answers(fake_aws, None)
    secret = "SuperSecretKeyDoNotLeak123"
    result = run_module(aws_sqs_queue, dict(CONN, name="wandb-q", access_key="AKIAEXAMPLE", secret_key=secret,
                                            session_token="TokenDoNotLeak456"))
    text = json.dumps(result)
    assert secret not in text and "TokenDoNotLeak456" not in text


# --- hints name what a user sets: the inventory variable (storage, team_storage) and the module option -----------

@pytest.mark.parametrize("exc, wanted", [
    (ReadTimeoutError(endpoint_url="http://127.0.0.1:1"),
     ["storage_aws_timeout (module option timeout)", "storage_aws_max_attempts (module option max_attempts)",
      "storage_aws_endpoint_url (team buckets: team_storage_aws_endpoint_url; module option endpoint_url)"]),
    (EndpointConnectionError(endpoint_url="http://127.0.0.1:1"),
     ["storage_aws_endpoint_url (team buckets: team_storage_aws_endpoint_url; module option endpoint_url)",
      "storage_aws_region (team buckets: team_storage_aws_region or the entry's region; module option region)"]),
    (NoCredentialsError(), ["storage_aws_profile (team buckets: team_storage_aws_profile; module option profile)"]),
    (client_error("PermanentRedirect", "moved", 301), ["set storage_aws_region ("]),
    (client_error("NoSuchBucket", "no bucket", 404), ["storage_bucket (team buckets: the entry's bucket"]),
])
def test_hints_name_the_inventory_variable_and_the_module_option(exc, wanted):
    hint = _aws.hint_for(exc)
    for text in wanted:
        assert text in hint, hint
    assert "option endpoint_url," not in hint and "(option " not in hint  # never the bare module option


def test_unreachable_endpoint_fails_naming_the_inventory_variables(fake_aws, run_module):
    fake_aws.answers[("s3", "get_bucket_cors")] = EndpointConnectionError(endpoint_url="http://127.0.0.1:9")
    result = run_module(aws_s3_cors, dict(CONN, bucket="wandb-files", origins=["https://w.example.com"],
                                          endpoint_url="http://127.0.0.1:9"))
    assert result.failed
    assert "cannot be reached" in result["msg"] and "check storage_aws_endpoint_url (" in result["msg"], result
    assert "module option endpoint_url" in result["hint"]


def test_bucket_in_another_region_names_the_region_variable(fake_aws, run_module):
    fake_aws.answers[("s3", "head_bucket")] = {
        "ResponseMetadata": {"HTTPHeaders": {"x-amz-bucket-region": "eu-central-1"}}}
    result = run_module(aws_s3_bucket, dict(name="wandb-files", region="us-east-1"))
    assert "To fix: set storage_aws_region (team buckets: team_storage_aws_region or the entry's region; module " \
           "option region) to eu-central-1" in result["msg"], result["msg"]


def test_gcp_and_azure_hints_name_the_inventory_variables_too():
    from ansible_collections.wandb_local.server.plugins.module_utils import _azure, _gcp
    assert "storage_gcp_credentials_file (team buckets: team_storage_gcp_credentials_file; module option " \
           "credentials_file)" in _gcp._hint(401)  # pylint: disable=protected-access
    assert "storage_gcp_project" in _gcp._hint(404)  # pylint: disable=protected-access
    with pytest.raises(_azure.AzureAuthError, match=r"storage_azure_tenant_id \(module option tenant_id\)"):
        _azure.make_credential({"client_secret": "s"})  # without the secret: DefaultAzureCredential, no error

    class Client:
        endpoint = "http://127.0.0.1:10000/acct"

    message = _azure.data_error("Cannot read the container", Client(), "HTTP 403", "blob")
    assert "Check storage_azure_account and storage_azure_blob_endpoint (module options account_name" in message


# --- aws_storage: the five steps in one run, one session -----------------------------------------------------

STORAGE_ARGS = dict(CONN, bucket="wandb-files", queue="wandb-q", origins=["https://wandb.example.com"])
OUR_CORS = {"ID": "wandb-local", "AllowedOrigins": ["https://wandb.example.com"], "AllowedMethods": ["GET", "PUT"],
            "AllowedHeaders": ["*"]}
READS = ["head_bucket", "get_public_access_block", "get_bucket_encryption", "get_queue_url", "get_queue_attributes",
         "get_bucket_notification_configuration", "get_bucket_cors"]


def storage_in_place(fake):
    """Answers of an account where the storage role already ran."""
    ours = _aws_storage.build_statement("WandbLocalBucketNotifications", ["sqs:SendMessage"], QUEUE_ARN,
                                        "arn:aws:s3:::wandb-files", "123456789012")
    queue_answers(fake, {"Version": "2012-10-17", "Statement": [FOREIGN_STATEMENT, ours]})
    fake.answers.update({
        ("s3", "head_bucket"): {"ResponseMetadata": {"HTTPHeaders": {"x-amz-bucket-region": "us-east-1"}}},
        ("s3", "get_public_access_block"): {"PublicAccessBlockConfiguration": dict(_aws_storage.PRIVATE)},
        ("s3", "get_bucket_encryption"): {"ServerSideEncryptionConfiguration": {"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]}},
        ("s3", "get_bucket_notification_configuration"): {"QueueConfigurations": [
            _aws_storage.build_queue_config("wandb-local-object-created", QUEUE_ARN,
                                            ["s3:ObjectCreated:*"])]},
        ("s3", "get_bucket_cors"): {"CORSRules": [OUR_CORS]},
    })


def test_storage_no_change_reads_each_thing_once_in_one_session(fake_aws, run_module):
    storage_in_place(fake_aws)
    result = run_module(aws_storage, STORAGE_ARGS, diff=True)
    assert not result.changed, result
    assert fake_aws.sessions == 1 and fake_aws.ops() == READS
    assert result["changed_steps"] == [] and result["diff"] == []
    assert result["queue"]["arn"] == QUEUE_ARN and result["bucket"]["kms_key_arn"] is None
    assert result["cors_rules"] == [OUR_CORS]


def test_storage_fresh_account_check_mode_predicts_and_writes_nothing(fake_aws, run_module):
    fake_aws.answers.update({
        ("s3", "head_bucket"): client_error("404", "Not Found", 404),
        ("sqs", "get_queue_url"): client_error("AWS.SimpleQueueService.NonExistentQueue", "no queue"),
        ("sts", "get_caller_identity"): {"Account": "123456789012"},
        ("s3", "get_bucket_notification_configuration"): client_error("NoSuchBucket", "no bucket", 404),
        ("s3", "get_bucket_cors"): client_error("NoSuchBucket", "no bucket", 404),
    })
    result = run_module(aws_storage, STORAGE_ARGS, check_mode=True, diff=True)
    assert result.changed
    assert result["changed_steps"] == ["bucket", "queue", "queue_policy", "notification", "cors"]
    assert not [op for op in fake_aws.ops() if op.startswith(("create", "put", "set"))]
    assert result["queue"]["url"] is None and result["queue"]["arn"] == QUEUE_ARN
    assert [d["after_header"] for d in result["diff"]] == [
        "s3://wandb-files (after)", "sqs://wandb-q (after)", "policy of %s (after)" % QUEUE_ARN,
        "notifications of s3://wandb-files (after)", "CORS of s3://wandb-files (after)"]


def test_storage_converges_in_order_policy_before_notification(fake_aws, run_module):
    fake_aws.answers.update({
        ("s3", "head_bucket"): client_error("404", "Not Found", 404),
        ("s3", "create_bucket"): {}, ("s3", "put_public_access_block"): {}, ("s3", "put_bucket_encryption"): {},
        ("sqs", "get_queue_url"): client_error("AWS.SimpleQueueService.NonExistentQueue", "no queue"),
        ("sqs", "create_queue"): {"QueueUrl": QUEUE_URL},
        ("sqs", "get_queue_attributes"): {"Attributes": {"QueueArn": QUEUE_ARN}},
        ("sqs", "set_queue_attributes"): {},
        ("s3", "get_bucket_notification_configuration"): {},
        ("s3", "put_bucket_notification_configuration"): {},
        ("s3", "get_bucket_cors"): client_error("NoSuchCORSConfiguration", "none", 404),
        ("s3", "put_bucket_cors"): {},
    })
    result = run_module(aws_storage, dict(STORAGE_ARGS, origins=["https://WANDB.example.com:443/"]))
    assert result.changed and fake_aws.sessions == 1
    writes = [op for op in fake_aws.ops() if op.startswith(("create", "put", "set"))]
    assert writes == ["create_bucket", "put_public_access_block", "put_bucket_encryption", "create_queue",
                      "set_queue_attributes", "put_bucket_notification_configuration", "put_bucket_cors"]
    policy = json.loads(fake_aws.kwargs_of("set_queue_attributes")[0]["Attributes"]["Policy"])
    assert policy["Statement"][0]["Condition"]["ArnEquals"] == {"aws:SourceArn": "arn:aws:s3:::wandb-files"}
    [notification] = fake_aws.kwargs_of("put_bucket_notification_configuration")
    assert notification["NotificationConfiguration"]["QueueConfigurations"][0]["QueueArn"] == QUEUE_ARN
    assert fake_aws.kwargs_of("put_bucket_cors")[0]["CORSConfiguration"]["CORSRules"] == [OUR_CORS]
    assert fake_aws.ops().count("get_queue_attributes") == 1


@pytest.mark.parametrize("args, wanted", [
    ({"bucket": "Invalid_Bucket"}, "Invalid S3 bucket name 'Invalid_Bucket'"),
    ({"queue": "wandb.fifo"}, "Invalid SQS queue name 'wandb.fifo'"),
    ({"actions": ["s3:*"]}, "must be a non-empty list of sqs:* actions"),
    ({"origins": ["wandb.example.com"]}, "option origins"),
])
def test_storage_bad_input_fails_before_any_call(fake_aws, run_module, args, wanted):
    result = run_module(aws_storage, dict(STORAGE_ARGS, **args))
    assert result.failed and wanted in result["msg"], result["msg"]
    assert fake_aws.sessions == 0 and fake_aws.calls == []


def test_storage_step_error_says_what_to_fix_as_its_module(fake_aws, run_module):
    storage_in_place(fake_aws)
    fake_aws.answers[("s3", "get_bucket_notification_configuration")] = {}
    fake_aws.answers[("s3", "put_bucket_notification_configuration")] = client_error(
        "InvalidArgument", "Unable to validate the following destination configurations")
    result = run_module(aws_storage, STORAGE_ARGS)
    assert result.failed
    assert "Cannot set the notification configuration of the bucket 'wandb-files'" in result["msg"]
    assert "aws_queue_policy runs first" in result["msg"]
    assert "get_bucket_cors" not in fake_aws.ops()


def test_storage_secret_key_is_not_returned(fake_aws, run_module):
    storage_in_place(fake_aws)
    secret = "SuperSecretKeyDoNotLeak123"
    result = run_module(aws_storage, dict(STORAGE_ARGS, access_key="AKIAEXAMPLE", secret_key=secret), diff=True)
    assert not result.changed and secret not in json.dumps(result)
