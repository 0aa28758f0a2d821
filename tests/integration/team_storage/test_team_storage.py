# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The team_storage role through ansible-playbook (-vvv --diff), AWS and Google Cloud team buckets in one play.

AWS runs against moto in server mode (S3, IAM, KMS); Google Cloud against gcp-storage-emulator (buckets, CORS,
CMEK name read back) behind the GCP API fake (bucket IAM policies; every request checked against Google's API
description). Proven here: converge, second run changed=0, check mode on new names creates nothing, buckets private
and encrypted, CORS read back, the node IAM policy rendered and attached, the server's bucket roles on GCP, no queue
or notification made, `team_storage_connectors` exactly as expected, no secret in -vvv output, and bad input
failing before any API call with a message naming the variable.
"""
from __future__ import annotations

import json

import pytest
import requests

from gcp_testenv import PROJECT, SERVER_SA  # tests/integration/gcp/gcp_testenv.py, on sys.path through the conftest here
from support.emulators import moto_node_role_and_key
from support.playbooks import run_playbook, write_play
HOST = "https://wandb.example.test"
INTERNAL = "https://wandb-internal.example.test"
CMEK = "projects/%s/locations/us/keyRings/wandb/cryptoKeys/team-vision" % PROJECT

BUCKETS = [
    {"team": "secure-ml", "provider": "aws", "bucket": "wandb-team-secure-ml", "encryption_key": "alias/wandb-team"},
    {"team": "research", "provider": "aws", "bucket": "wandb-team-research", "region": "eu-west-1"},
    {"team": "research-2", "provider": "aws", "bucket": "wandb-team-research", "region": "eu-west-1"},
    {"team": "vision", "provider": "gcp", "bucket": "wandb-team-vision", "encryption_key": CMEK},
    {"team": "audio", "provider": "gcp", "bucket": "wandb-team-audio", "cors_origins": [HOST, INTERNAL]},
]


def play_vars(moto, fake, tmp, buckets=None):
    return {
        "wandb_server_host": HOST,
        "team_storage_buckets": BUCKETS if buckets is None else buckets,
        "team_storage_aws_endpoint_url": moto,
        "team_storage_aws_iam_role_name": "wandb-team-node",
        "team_storage_aws_iam_policy_file": str(tmp / "team-policy.json"),
        "team_storage_gcp_project": PROJECT,
        "team_storage_gcp_service_account": SERVER_SA,
        "team_storage_gcp_storage_endpoint": fake.url + "/storage/v1",
        "team_storage_gcp_iam_endpoint": fake.url + "/v1",
    }


def run_play(tmp, name, variables, extra_args=()):
    """Run the role in a play on localhost; returns (rc, output, changed count or None)."""
    out_file = tmp / ("%s-connectors.json" % name)
    book = write_play(tmp / ("%s.yml" % name), name="Team storage (%s)" % name, play_vars=variables,
                      roles=[{"role": "wandb_local.server.team_storage"}],
                      tasks=[{"name": "Save team_storage_connectors", "check_mode": False, "changed_when": False,
                              "ansible.builtin.copy": {"content": "{{ team_storage_connectors | to_json }}",
                                                       "dest": str(out_file), "mode": "0600"}}])
    result = run_playbook(book, None, *extra_args, env={"ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    changed = result.recap(required=False).get("changed")
    connectors = json.loads(out_file.read_text()) if out_file.exists() else None
    return result.returncode, result.output, changed, connectors


def api_requests(fake):
    return [r for r in fake.state.requests if not r.get("path", "").startswith("/__fake__/")]


@pytest.fixture(scope="module")
def converged(moto_endpoint, team_gcp_fake, tmp_path_factory):
    key_arn = moto_node_role_and_key(moto_endpoint, "wandb-team-node", "alias/wandb-team", "wandb team secure-ml")
    tmp = tmp_path_factory.mktemp("team_storage")
    variables = play_vars(moto_endpoint, team_gcp_fake, tmp)
    first = run_play(tmp, "converge", variables)
    assert first[0] == 0, first[1][-6000:]
    second = run_play(tmp, "converge-again", variables)
    assert second[0] == 0, second[1][-6000:]
    return {"tmp": tmp, "vars": variables, "first": first, "second": second, "key_arn": key_arn}


def test_converges_then_second_run_changes_nothing(converged):
    assert converged["first"][2] == 6  # bucket, CORS, policy file, policy attached; GCP bucket, roles
    assert converged["second"][2] == 0, converged["second"][1][-5000:]


def test_connectors_are_exactly_the_team_form_values(converged):
    expected = [
        {"team": "secure-ml", "provider": "aws", "bucket": "wandb-team-secure-ml", "kms_key_id": converged["key_arn"]},
        {"team": "research", "provider": "aws", "bucket": "wandb-team-research", "kms_key_id": ""},
        {"team": "research-2", "provider": "aws", "bucket": "wandb-team-research", "kms_key_id": ""},
        {"team": "vision", "provider": "gcp", "bucket": "wandb-team-vision", "kms_key_id": ""},
        {"team": "audio", "provider": "gcp", "bucket": "wandb-team-audio", "kms_key_id": ""},
    ]
    assert converged["first"][3] == expected
    assert converged["second"][3] == expected


def test_message_says_how_to_create_each_team(converged):
    out = converged["second"][1]
    assert ("Create the team 'secure-ml' with these values: Storage type External storage (New bucket); Cloud "
            "provider AWS; Name wandb-team-secure-ml; KMS key ARN %s." % converged["key_arn"]) in out
    assert ("Create the team 'vision' with these values: Storage type External storage (New bucket); Cloud "
            "provider GCP; Name wandb-team-vision; KMS key ARN (leave empty).") in out


def test_aws_buckets_are_private_and_encrypted(converged, boto):
    s3 = boto("s3")
    for bucket in ("wandb-team-secure-ml", "wandb-team-research"):
        assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    rule = s3.get_bucket_encryption(Bucket="wandb-team-secure-ml")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms",
                                                          "KMSMasterKeyID": converged["key_arn"]}
    rule = s3.get_bucket_encryption(Bucket="wandb-team-research")["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    assert s3.get_bucket_location(Bucket="wandb-team-research")["LocationConstraint"] == "eu-west-1"


def test_aws_cors_allows_the_server_to_get_and_put(converged, boto):
    rules = boto("s3").get_bucket_cors(Bucket="wandb-team-secure-ml")["CORSRules"]
    assert len(rules) == 1
    assert rules[0]["AllowedOrigins"] == [HOST]
    assert sorted(rules[0]["AllowedMethods"]) == ["GET", "PUT"]
    assert rules[0]["AllowedHeaders"] == ["*"]


def test_aws_node_policy_covers_team_buckets_and_key_and_is_attached(converged, boto):
    doc = json.loads((converged["tmp"] / "team-policy.json").read_text())
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    assert sorted(by_sid) == ["WandbTeamBuckets", "WandbTeamKmsKeys", "WandbTeamObjects"]
    assert sorted(by_sid["WandbTeamBuckets"]["Resource"]) == [
        "arn:aws:s3:::wandb-team-research", "arn:aws:s3:::wandb-team-secure-ml"]
    assert sorted(by_sid["WandbTeamObjects"]["Resource"]) == [
        "arn:aws:s3:::wandb-team-research/*", "arn:aws:s3:::wandb-team-secure-ml/*"]
    assert by_sid["WandbTeamKmsKeys"]["Resource"] == [converged["key_arn"]]
    actions = [a for s in doc["Statement"] for a in s["Action"]]
    assert "s3:PutObject" in actions and "s3:GetObject" in actions and "kms:GenerateDataKey*" in actions
    assert not [a for a in actions if a in ("*", "s3:*", "kms:*") or a.startswith("sqs:")]
    attached = boto("iam").get_role_policy(RoleName="wandb-team-node", PolicyName="wandb-local-team-storage")
    assert attached["PolicyDocument"] == doc


def test_no_queue_and_no_notification_for_team_buckets(converged, boto, team_gcp_fake):
    assert not boto("sqs").list_queues().get("QueueUrls")
    assert not boto("sqs", "eu-west-1").list_queues().get("QueueUrls")
    s3 = boto("s3")
    for bucket in ("wandb-team-secure-ml", "wandb-team-research"):
        conf = s3.get_bucket_notification_configuration(Bucket=bucket)
        assert not conf.get("QueueConfigurations") and not conf.get("TopicConfigurations")
    assert not [r for r in api_requests(team_gcp_fake) if "notificationConfigs" in r.get("path", "")]


def test_gcp_buckets_are_private_encrypted_with_cors(converged, storage_emulator):
    base = storage_emulator + "/storage/v1/b/"
    vision = requests.get(base + "wandb-team-vision", timeout=10).json()
    audio = requests.get(base + "wandb-team-audio", timeout=10).json()
    for bucket in (vision, audio):
        assert bucket["storageClass"] == "STANDARD"
        assert bucket["iamConfiguration"]["uniformBucketLevelAccess"]["enabled"] is True
        assert bucket["iamConfiguration"]["publicAccessPrevention"] == "enforced"
    assert vision["encryption"] == {"defaultKmsKeyName": CMEK}
    assert "defaultKmsKeyName" not in (audio.get("encryption") or {})
    assert vision["cors"] == [{"origin": [HOST], "method": ["GET", "PUT"], "responseHeader": ["*"],
                               "maxAgeSeconds": 3600}]
    assert sorted(audio["cors"][0]["origin"]) == sorted([HOST, INTERNAL])


def test_gcp_server_service_account_gets_its_bucket_roles(converged, team_gcp_fake):
    member = "serviceAccount:" + SERVER_SA
    for bucket in ("wandb-team-vision", "wandb-team-audio"):
        bindings = team_gcp_fake.state.policies["buckets/" + bucket]["bindings"]
        assert sorted(b["role"] for b in bindings if member in b["members"]) == [
            "roles/storage.legacyBucketReader", "roles/storage.objectAdmin"]


def test_gcp_cmek_note_names_the_service_agent_role(converged):
    out = converged["first"][1]
    assert "roles/cloudkms.cryptoKeyEncrypterDecrypter" in out
    assert "--authorize-cmek=%s" % CMEK in out


def test_no_secret_in_verbose_output(converged, fake_secret_key):
    for run in (converged["first"], converged["second"]):
        assert fake_secret_key not in run[1]


def test_check_mode_on_new_names_creates_nothing(converged, moto_endpoint, team_gcp_fake, boto, storage_emulator,
                                                 fake_secret_key):
    tmp = converged["tmp"]
    buckets = [
        {"team": "check-aws", "provider": "aws", "bucket": "wandb-team-check", "encryption_key": "alias/wandb-team"},
        {"team": "check-gcp", "provider": "gcp", "bucket": "wandb-team-check-gcp"},
    ]
    variables = play_vars(moto_endpoint, team_gcp_fake, tmp, buckets)
    variables["team_storage_aws_iam_policy_file"] = str(tmp / "check-policy.json")
    before = len(api_requests(team_gcp_fake))
    policy_before = boto("iam").get_role_policy(RoleName="wandb-team-node", PolicyName="wandb-local-team-storage")
    rc, out, changed, connectors = run_play(tmp, "check", variables, extra_args=["--check"])
    assert rc == 0, out[-5000:]
    assert changed >= 4
    assert "wandb-team-check" not in [b["Name"] for b in boto("s3").list_buckets()["Buckets"]]
    assert requests.get(storage_emulator + "/storage/v1/b/wandb-team-check-gcp", timeout=10).status_code == 404
    assert not [r for r in api_requests(team_gcp_fake)[before:] if r.get("method") != "GET"]
    assert not (tmp / "check-policy.json").exists()
    policy_after = boto("iam").get_role_policy(RoleName="wandb-team-node", PolicyName="wandb-local-team-storage")
    assert policy_after["PolicyDocument"] == policy_before["PolicyDocument"]
    assert connectors == [
        {"team": "check-aws", "provider": "aws", "bucket": "wandb-team-check", "kms_key_id": converged["key_arn"]},
        {"team": "check-gcp", "provider": "gcp", "bucket": "wandb-team-check-gcp", "kms_key_id": ""}]
    assert fake_secret_key not in out


GOOD_AWS = {"team": "never-aws", "provider": "aws", "bucket": "wandb-team-never"}
GOOD_GCP = {"team": "never-gcp", "provider": "gcp", "bucket": "wandb-team-never-gcp"}


@pytest.mark.parametrize("bad, overrides, expected", [
    ({"team": "x", "provider": "aws", "bucket": "Bad_Bucket"}, {},
     "team_storage_buckets[2] (team x, aws): bucket 'Bad_Bucket' must be a valid S3 bucket name"),
    ({"team": "x", "provider": "aws", "bucket": "wandb..team"}, {},
     "bucket 'wandb..team' must be a valid S3 bucket name"),
    ({"team": "x", "provider": "gcp", "bucket": "my-google-files"}, {},
     "team_storage_buckets[2] (team x, gcp): bucket 'my-google-files' must be a Cloud Storage bucket name"),
    ({"team": "x", "provider": "azure", "bucket": "wandb-team-az"}, {},
     "value of provider must be one of: aws, gcp, got: azure found in team_storage_buckets"),
    ({"team": "never-aws", "provider": "aws", "bucket": "wandb-team-never-2"}, {},
     "team_storage_buckets lists a team more than once (never-aws)"),
    ({"team": "x", "provider": "gcp", "bucket": "wandb-team-x"}, {"team_storage_gcp_project": ""},
     "needs a Google Cloud project ID: set team_storage_gcp_project"),
    ({"provider": "aws", "bucket": "wandb-team-x"}, {},
     "missing required arguments: team found in team_storage_buckets"),
    ({"team": "x", "provider": "aws", "bucket": "wandb-team-x", "encryption_key": "my key"}, {},
     "team_storage_buckets[2] (team x, aws): encryption_key 'my key' must be empty or a KMS key id, key ARN, "
     "alias/NAME or alias ARN."),
    ({"team": "x", "provider": "aws", "bucket": "wandb-team-x", "region": "eu-west"}, {},
     "team_storage_buckets[2] (team x, aws): region 'eu-west' must be an AWS region such as eu-west-1."),
    ({"team": "x", "provider": "aws", "bucket": "wandb-team-never", "region": "eu-west-1"}, {},
     "the teams using bucket 'wandb-team-never' must give it the same"),
], ids=["s3-name", "s3-dots", "gcs-google", "provider", "duplicate-team", "gcp-project", "missing-team",
        "kms-key", "aws-region", "shared-bucket-mismatch"])
def test_bad_input_fails_before_any_call_naming_the_variable(bad, overrides, expected, moto_endpoint, team_gcp_fake,
                                                             boto, tmp_path):
    variables = play_vars(moto_endpoint, team_gcp_fake, tmp_path, [GOOD_AWS, GOOD_GCP, bad])
    variables.update(overrides)
    before = len(api_requests(team_gcp_fake))
    rc, out, dummy_changed, connectors = run_play(tmp_path, "bad", variables)
    assert rc != 0
    assert expected in out, out[-4000:]
    if "bucket name" in expected:  # the message names only what is wrong: here the bucket, not region or key
        assert "must be an AWS region" not in out and "must be empty or" not in out, out[-4000:]
    assert connectors is None
    assert len(api_requests(team_gcp_fake)) == before
    names = [b["Name"] for b in boto("s3").list_buckets()["Buckets"]]
    assert "wandb-team-never" not in names and "wandb-team-x" not in names
