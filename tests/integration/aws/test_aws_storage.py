"""AWS file storage against moto in server mode (a real S3/SQS/IAM/KMS emulator) on 127.0.0.1.

- the modules: check mode predicts without creating, converge, second run unchanged, foreign notification and
  queue policy statements kept;
- the `storage` role through ansible-playbook (-vvv --diff): converge, second run changed=0, check mode on new
  names creates nothing, the published `storage_server_settings`, the node IAM policy (file and attached);
- end to end: an object uploaded after the role ran yields an ObjectCreated message on the queue, and a CORS
  preflight (OPTIONS, Origin = HOST, PUT) on the bucket URL is allowed;
- the fake secret key never appears in the -vvv output.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ansible_collections.wandb_local.server.plugins.modules import (
    aws_bucket_notification,
    aws_queue_policy,
    aws_s3_bucket,
    aws_s3_cors,
    aws_sqs_queue,
    aws_storage,
)
from support import playbooks
from support.emulators import moto_node_role_and_key


HOST = "https://wandb.example.test"


def receive_all(sqs, url, want, timeout=20):
    """Messages of the queue until `want(messages)` is true (bounded by `timeout` seconds)."""
    messages = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for msg in answer.get("Messages", []):
            messages.append(json.loads(msg["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
        if want(messages):
            break
    return messages


def preflight(endpoint, bucket, origin, method="PUT"):
    req = urllib.request.Request("%s/%s" % (endpoint, bucket), method="OPTIONS", headers={
        "Origin": origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "content-type"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return resp.status, dict(resp.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers)


# --- modules -------------------------------------------------------------------------------------------------

def test_modules_check_mode_converge_idempotent(moto_endpoint, boto, run_module):
    conn = {"endpoint_url": moto_endpoint, "region": "us-east-1"}
    bucket, queue = "wandb-mod-files", "wandb-mod-events"
    s3, sqs = boto("s3"), boto("sqs")

    # check mode on nothing: predicts changes, creates nothing
    assert run_module(aws_s3_bucket, dict(conn, name=bucket), check_mode=True).changed
    q = run_module(aws_sqs_queue, dict(conn, name=queue), check_mode=True)
    assert q.changed and q["queue"]["arn"].endswith(":" + queue)
    assert bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert not sqs.list_queues(QueueNamePrefix=queue).get("QueueUrls")

    # a bucket with someone else's notification and a queue with someone else's policy statement
    s3.create_bucket(Bucket=bucket)
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    other_url = sqs.create_queue(QueueName="thumbs")["QueueUrl"]
    other_arn = sqs.get_queue_attributes(QueueUrl=other_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [{
        "Id": "thumbnails", "QueueArn": other_arn, "Events": ["s3:ObjectCreated:Put"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "images/"}]}}}]})
    foreign = {"Sid": "OpsRead", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
               "Action": "sqs:ReceiveMessage", "Resource": "*"}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(
        {"Version": "2012-10-17", "Statement": [foreign]})})

    def converge(check=False):
        results = [run_module(aws_s3_bucket, dict(conn, name=bucket), check_mode=check, diff=True)]
        q = run_module(aws_sqs_queue, dict(conn, name=queue), check_mode=check)
        results.append(q)
        results.append(run_module(aws_queue_policy, dict(conn, queue=queue, bucket=bucket), check_mode=check,
                                  diff=True))
        results.append(run_module(aws_bucket_notification, dict(conn, bucket=bucket, queue_arn=q["queue"]["arn"]),
                                  check_mode=check, diff=True))
        results.append(run_module(aws_s3_cors, dict(conn, bucket=bucket, origins=[HOST]), check_mode=check,
                                  diff=True))
        for res in results:
            assert not res.failed, res
        return results

    predicted = converge(check=True)
    assert [r.changed for r in predicted] == [True, False, True, True, True]
    assert "Policy" in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]
    assert len(json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
                          ["Attributes"]["Policy"])["Statement"]) == 1  # check mode wrote nothing

    first = converge()
    assert [r.changed for r in first] == [True, False, True, True, True]
    assert "OpsRead" in first[2]["diff"]["before"] and "WandbLocalBucketNotifications" in first[2]["diff"]["after"]
    second = converge()
    assert [r.changed for r in second] == [False] * 5

    ids = [c["Id"] for c in s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]]
    assert sorted(ids) == ["thumbnails", "wandb-local-object-created"]
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["OpsRead", "WandbLocalBucketNotifications"]
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(pab.values())

    # aws_storage, the five steps in one run, sees what the single-purpose modules made as done
    same = run_module(aws_storage, dict(conn, bucket=bucket, queue=queue, origins=[HOST]), diff=True)
    assert not same.failed and not same.changed, same
    assert same["queue"]["url"] == url and same["diff"] == []


def test_aws_storage_check_mode_converge_idempotent(moto_endpoint, boto, run_module):
    conn = {"endpoint_url": moto_endpoint, "region": "us-east-1"}
    args = dict(conn, bucket="wandb-one-files", queue="wandb-one-events", origins=[HOST + ":443"])
    s3, sqs = boto("s3"), boto("sqs")

    predicted = run_module(aws_storage, args, check_mode=True, diff=True)
    assert predicted.changed and predicted["changed_steps"] == ["bucket", "queue", "queue_policy", "notification",
                                                                "cors"], predicted
    assert predicted["queue"]["arn"].endswith(":wandb-one-events") and len(predicted["diff"]) == 5
    assert "wandb-one-files" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert not sqs.list_queues(QueueNamePrefix="wandb-one-events").get("QueueUrls")

    first = run_module(aws_storage, args, diff=True)
    assert first.changed and first["changed_steps"] == predicted["changed_steps"], first
    second = run_module(aws_storage, args, diff=True)
    assert not second.changed and second["changed_steps"] == [] and second["diff"] == [], second

    url = sqs.get_queue_url(QueueName="wandb-one-events")["QueueUrl"]
    assert second["queue"]["url"] == url
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["WandbLocalBucketNotifications"]
    [notification] = s3.get_bucket_notification_configuration(Bucket="wandb-one-files")["QueueConfigurations"]
    assert notification["QueueArn"] == first["queue"]["arn"]
    assert s3.get_bucket_cors(Bucket="wandb-one-files")["CORSRules"][0]["AllowedOrigins"] == [HOST]
    assert all(s3.get_public_access_block(Bucket="wandb-one-files")["PublicAccessBlockConfiguration"].values())
    # each single-purpose module agrees that nothing is left to do
    assert not run_module(aws_s3_cors, dict(conn, bucket="wandb-one-files", origins=[HOST])).changed
    assert not run_module(aws_queue_policy, dict(conn, queue="wandb-one-events", bucket="wandb-one-files")).changed


def test_module_errors_say_what_to_fix(moto_endpoint, boto, run_module):
    boto("s3", "eu-west-1").create_bucket(
        Bucket="wandb-in-ireland", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    res = run_module(aws_s3_bucket, {"endpoint_url": moto_endpoint, "region": "us-east-1", "name": "wandb-in-ireland"})
    assert res.failed and "exists in region eu-west-1" in res["msg"] and "option region" in res["msg"]
    res = run_module(aws_queue_policy, {"endpoint_url": moto_endpoint, "region": "eu-west-1", "queue": "nowhere",
                                        "bucket": "wandb-in-ireland"})
    assert res.failed and "does not exist in eu-west-1" in res["msg"]


# --- role through ansible-playbook ---------------------------------------------------------------------------

PLAYBOOK = """
- name: Storage on AWS (moto)
  hosts: localhost
  gather_facts: false
  vars:
    wandb_server_host: {host}
    storage_provider: aws
    storage_bucket: {bucket}
    storage_queue: {queue}
    storage_aws_region: us-east-1
    storage_aws_endpoint_url: {endpoint}
    storage_encryption_key: {kms}
    storage_aws_iam_role_name: {role}
    storage_aws_iam_policy_file: {policy_file}
  roles:
    - role: wandb_local.server.storage
  tasks:
    - name: Save the published environment
      ansible.builtin.copy:
        content: "{{{{ storage_server_settings | to_nice_json }}}}"
        dest: {env_file}
        mode: "0600"
"""


def run_playbook(tmp_path, name, extra_args=(), **values):
    book = tmp_path / ("%s.yml" % name)
    book.write_text(PLAYBOOK.format(**values))
    result = playbooks.run_playbook(book, None, *extra_args)
    assert result.returncode == 0, result.output[-6000:]
    return result.output, result.recap()["changed"]


@pytest.fixture(scope="module")
def role_setup(moto_endpoint, tmp_path_factory):
    key_arn = moto_node_role_and_key(moto_endpoint, "wandb-node", "alias/wandb-test", "wandb test")
    tmp = tmp_path_factory.mktemp("role")
    values = dict(host=HOST, bucket="wandb-role-files", queue="wandb-role-events", endpoint=moto_endpoint,
                  kms="alias/wandb-test", role="wandb-node", policy_file=tmp / "node-policy.json",
                  env_file=tmp / "env.json")
    first, changed = run_playbook(tmp, "converge", **values)
    second, changed_again = run_playbook(tmp, "converge", **values)
    return dict(values=values, tmp=tmp, first=first, changed=changed, second=second, changed_again=changed_again,
                key_arn=key_arn)


def test_role_converges_then_is_idempotent(role_setup):
    # aws_storage (all five steps in one task), the node policy file and its attachment, the settings file here
    assert role_setup["changed"] >= 4
    assert '"changed_steps": [\n' in role_setup["first"]
    for step in ("bucket", "queue", "queue_policy", "notification", "cors"):
        assert '"%s"' % step in role_setup["first"].split('"changed_steps": [', 1)[1].split("]", 1)[0]
    assert role_setup["changed_again"] == 0, role_setup["second"][-4000:]


def test_role_publishes_server_settings(role_setup):
    env = json.loads(Path(role_setup["values"]["env_file"]).read_text())
    assert env == {"bucket": "s3://wandb-role-files", "aws_region": "us-east-1",
                   "bucket_queue": "sqs://wandb-role-events", "aws_s3_kms_id": role_setup["key_arn"]}


def test_role_node_policy_is_least_privilege_and_attached(role_setup, boto):
    doc = json.loads(Path(role_setup["values"]["policy_file"]).read_text())
    resources = sorted(s["Resource"] for s in doc["Statement"])
    assert resources == sorted(["arn:aws:s3:::wandb-role-files", "arn:aws:s3:::wandb-role-files/*",
                                "arn:aws:sqs:us-east-1:123456789012:wandb-role-events", role_setup["key_arn"]])
    actions = [a for s in doc["Statement"] for a in s["Action"]]
    assert not [a for a in actions if a in ("s3:*", "sqs:*", "*")]
    attached = boto("iam").get_role_policy(RoleName="wandb-node", PolicyName="wandb-local-storage")
    assert attached["PolicyDocument"] == doc


def test_role_bucket_is_private_and_kms_encrypted(role_setup, boto):
    s3 = boto("s3")
    assert all(s3.get_public_access_block(Bucket="wandb-role-files")["PublicAccessBlockConfiguration"].values())
    rule = s3.get_bucket_encryption(Bucket="wandb-role-files")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": role_setup["key_arn"]}


def test_upload_after_role_yields_object_created_message(role_setup, boto):
    sqs, s3 = boto("sqs"), boto("s3")
    url = sqs.get_queue_url(QueueName="wandb-role-events")["QueueUrl"]
    s3.put_object(Bucket="wandb-role-files", Key="runs/abc/file one.txt", Body=b"hello")

    def created(messages):
        return any(r.get("eventName", "").startswith("ObjectCreated")
                   for m in messages for r in m.get("Records", []))
    messages = receive_all(sqs, url, created)
    assert any(m.get("Event") == "s3:TestEvent" for m in messages) or created(messages)
    records = [r for m in messages for r in m.get("Records", [])]
    put = [r for r in records if r["eventName"] == "ObjectCreated:Put"]
    assert put, messages
    assert put[0]["s3"]["bucket"]["name"] == "wandb-role-files"
    assert urllib.parse.unquote_plus(put[0]["s3"]["object"]["key"]) == "runs/abc/file one.txt"


def test_cors_preflight_from_host_is_allowed(role_setup, moto_endpoint):
    status, headers = preflight(moto_endpoint, "wandb-role-files", HOST)
    assert status == 200
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower.get("access-control-allow-origin") == HOST
    assert "PUT" in lower.get("access-control-allow-methods", "")
    # an origin that is not the server's is not allowed
    status, headers = preflight(moto_endpoint, "wandb-role-files", "https://evil.example.test")
    lower = {k.lower(): v for k, v in headers.items()}
    assert status != 200 or lower.get("access-control-allow-origin") not in ("https://evil.example.test", "*")


def test_no_secret_in_verbose_output(role_setup, fake_secret_key):
    for out in (role_setup["first"], role_setup["second"]):
        assert fake_secret_key not in out
        assert "WandbLocalBucketNotifications" in out or "changed=0" in out


def test_role_check_mode_on_new_names_creates_nothing(role_setup, boto, fake_secret_key):
    values = dict(role_setup["values"], bucket="wandb-check-files", queue="wandb-check-events",
                  env_file=role_setup["tmp"] / "env-check.json", policy_file=role_setup["tmp"] / "policy-check.json")
    out, changed = run_playbook(role_setup["tmp"], "check", extra_args=["--check"], **values)
    assert changed >= 3
    assert "wandb-check-files" not in [b["Name"] for b in boto("s3").list_buckets()["Buckets"]]
    assert not boto("sqs").list_queues(QueueNamePrefix="wandb-check-events").get("QueueUrls")
    assert not Path(values["policy_file"]).exists()
    assert fake_secret_key not in out


def test_secret_module_option_is_masked_in_verbose_output(moto_endpoint, tmp_path):
    secret = "ExplicitSecretCanary987654321"
    proc = subprocess.run(
        [playbooks.ansible_tool("ansible"), "localhost", "-i", "localhost,", "-c", "local", "-vvv",
         "-e", "ansible_python_interpreter=%s" % sys.executable,
         "-m", "wandb_local.server.aws_sqs_queue",
         "-a", "name=wandb-secret-q endpoint_url=%s region=us-east-1 access_key=AKIAWANDBLOCALTEST01 "
               "secret_key=%s" % (moto_endpoint, secret)],
        cwd=str(playbooks.REPO), env=playbooks.ansible_env(), capture_output=True, text=True, timeout=120, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert "wandb-secret-q" in out and secret not in out


def _playbook_rc(tmp_path, name, play_vars):
    book = playbooks.write_play(tmp_path / ("%s.yml" % name), name=name, play_vars=play_vars,
                                roles=[{"role": "wandb_local.server.storage"}],
                                tasks=[{"name": "Show env",
                                        "ansible.builtin.debug": {"msg": "ENV={{ storage_server_settings | to_json }}"}}])
    result = playbooks.run_playbook(book, verbose=False, diff=False, timeout=120)
    return result.returncode, result.output


def test_role_provider_none_does_nothing(tmp_path):
    rc, out = _playbook_rc(tmp_path, "none", {})
    assert rc == 0, out[-3000:]
    assert "ENV={}" in out and "changed=0" in out


def test_role_preflight_rejects_invalid_bucket_name_naming_the_variable(moto_endpoint, tmp_path, boto):
    rc, out = _playbook_rc(tmp_path, "bad", {
        "storage_provider": "aws", "storage_bucket": "Bad_Bucket", "storage_queue": "wandb-bad-events",
        "storage_cors_origins": [HOST], "storage_aws_endpoint_url": moto_endpoint})
    assert rc != 0
    assert "storage_bucket must be a valid S3 bucket name" in out
    assert not boto("sqs").list_queues(QueueNamePrefix="wandb-bad-events").get("QueueUrls")


def _adhoc_aws_storage(moto_endpoint, bucket, *options):
    args = "bucket=%s queue=%s-events origins=%s endpoint_url=%s region=us-east-1" % (
        bucket, bucket, HOST, moto_endpoint)
    proc = subprocess.run(
        [playbooks.ansible_tool("ansible"), "localhost", "-i", "localhost,", "-c", "local", "-vvv",
         "-e", "ansible_python_interpreter=%s" % sys.executable, "-m", "wandb_local.server.aws_storage",
         "-a", args] + list(options), cwd=str(playbooks.REPO), env=playbooks.ansible_env(), capture_output=True, text=True,
        timeout=120, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    result = json.loads(out[out.index("=> {") + 3:].split("\n}\n", 1)[0] + "\n}")
    return out, result


def test_in_process_on_the_controller_and_as_a_module_do_the_same(moto_endpoint, boto):
    # On the controller through the local connection aws_storage runs inside Ansible's Python (its action plugin,
    # plugin_utils/_in_process.py); wandb_local_in_process=false runs it as a module. Same steps, same result.
    out, made = _adhoc_aws_storage(moto_endpoint, "wandb-inproc-files")
    assert "> EXEC " not in out and made["changed"] is True
    assert "wandb-inproc-files" in [b["Name"] for b in boto("s3").list_buckets()["Buckets"]]
    out, again = _adhoc_aws_storage(moto_endpoint, "wandb-inproc-files", "-e", "wandb_local_in_process=false")
    assert "> EXEC " in out and again["changed"] is False
    out, inproc_again = _adhoc_aws_storage(moto_endpoint, "wandb-inproc-files")
    assert "> EXEC " not in out
    assert inproc_again == again
    # Check mode in-process: predicted, nothing made.
    out, predicted = _adhoc_aws_storage(moto_endpoint, "wandb-inproc-check", "--check")
    assert "> EXEC " not in out and predicted["changed"] is True
    assert "wandb-inproc-check" not in [b["Name"] for b in boto("s3").list_buckets()["Buckets"]]
    # A failure in-process fails the task with the module's own message.
    proc = subprocess.run(
        [playbooks.ansible_tool("ansible"), "localhost", "-i", "localhost,", "-c", "local",
         "-m", "wandb_local.server.aws_storage", "-a", "bucket=Bad_Name queue=q endpoint_url=%s" % moto_endpoint],
        cwd=str(playbooks.REPO), env=playbooks.ansible_env(), capture_output=True, text=True, timeout=120,
        check=False)
    assert proc.returncode != 0 and "FAILED" in proc.stdout and "Bad_Name" in proc.stdout, proc.stdout[-2000:]
