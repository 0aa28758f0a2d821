from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.filter.storage_name_problems import storage_name_problems
from ansible_collections.wandb_local.server.plugins.module_utils import _storage


@pytest.mark.parametrize("name, kind", [("my-bucket", "s3"), ("my_bucket.data", "gcs"), ("wandb-files", "azure_container")])
def test_valid_names_have_no_problems(name, kind):
    assert storage_name_problems(name, kind) == []


@pytest.mark.parametrize("name, kind, words", [
    ("Bad_Bucket", "s3", "lowercase"),
    ("xn--bucket", "s3", "xn--"),
    ("bucket-s3alias", "s3", "-s3alias"),
    ("192.168.1.1", "s3", "IP address"),
    ("my-google-bucket", "gcs", "google"),
    ("a--b-", "azure_container", "single hyphens"),
])
def test_invalid_names_say_which_rule(name, kind, words):
    assert any(words in problem for problem in storage_name_problems(name, kind))


def test_unknown_kind_refused():
    with pytest.raises(AnsibleFilterError, match="kind must be one of"):
        storage_name_problems("x", "ftp")


# --- every naming rule lives in module_utils/_storage.py (NAME_RULES); the filter, the modules and the settings
# --- checks of the URLs call the same functions.
@pytest.mark.parametrize("kind, good, bad, words", [
    ("sqs_queue", "acme-wandb_files", "acc events!", "1-80 letters, digits"),
    ("sqs_queue", "q", "", "is empty"),
    ("azure_account", "wandbfiles", "Wandb-Files", "3-24 lowercase letters and digits"),
    ("azure_queue", "wandb-file-events", "Events_Q", "single hyphens"),
    ("azure_subscription_id", "00000000-1111-2222-3333-444444444444", "my-subscription", "GUID"),
    ("azure_resource_group", "wandb(prod)_rg", "rg.", "not ending with '.'"),
    ("azure_event_subscription", "wandb-files", "wandb files", "3-64 letters"),
    ("aws_region", "eu-west-1", "Europe", "such as eu-west-1"),
    ("aws_kms_key", "alias/wandb", "my key", "KMS key id, key ARN"),
    ("aws_kms_key", "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", "arn:aws:kms:x", "alias ARN"),
    ("aws_kms_key", "", "alias/with space", "alias/NAME"),
    ("gcp_project", "acme-ml-123", "My Project", "6-30 lowercase letters"),
    ("pubsub_id", "wandb-files", "goog-files", "must not start with 'goog'"),
    ("pubsub_id", "Files.v1~x", "1files", "a letter, then"),
    ("gcp_kms_key", "projects/p/locations/l/keyRings/r/cryptoKeys/k", "projects/p/cryptoKeys/k", "projects/P/locations/L"),
    ("gcp_kms_key", "", "key", "Cloud KMS key"),
    ("gcp_service_account", "wandb@acme-ml-123.iam.gserviceaccount.com", "wandb", "service-account e-mail"),
])
def test_each_rule_by_kind(kind, good, bad, words):
    assert storage_name_problems(good, kind) == []
    problems = storage_name_problems(bad, kind)
    assert problems and any(words in problem for problem in problems), problems


def test_the_filter_uses_the_module_utils_rules():
    assert _storage.NAME_RULES["sqs_queue"] is _storage.sqs_queue_name_problems
    assert set(_storage.NAME_RULES) >= {"s3", "gcs", "azure_container", "azure_queue", "azure_account", "sqs_queue",
                                        "aws_region", "aws_kms_key", "gcp_project", "pubsub_id", "gcp_kms_key"}


def test_the_modules_use_the_same_rules():
    """The modules' validators and the roles' filter refuse the same names (one set of rules)."""
    from ansible_collections.wandb_local.server.plugins.module_utils import _azure, _gcp
    for name in ["My Project", "acme-ml-123", "ab", "a" * 31]:
        assert (_gcp.validate_project(name) is None) == (storage_name_problems(name, "gcp_project") == [])
    for name in ["goog-x", "wandb-files", "1x", "Files.v1"]:
        assert (_gcp.validate_pubsub_id("topic", name) is None) == (storage_name_problems(name, "pubsub_id") == [])
    for name in ["wandbfiles", "Wandb-Files", "ab", "a" * 25]:
        assert (_azure.validate_account_name(name) is None) == (storage_name_problems(name, "azure_account") == [])
    for name in ["rg", "rg.", "wandb(prod)_rg", "a" * 91]:
        assert ((_azure.validate_resource_group(name) is None)
                == (storage_name_problems(name, "azure_resource_group") == []))


@pytest.mark.parametrize("url, words", [
    ("s3://", "S3 bucket name (s3://BUCKET) is empty"),
    ("s3://WB_Files", "only lowercase letters"),
    ("s3:///b", "3 to 63 characters"),
    ("s3://KEY:SECRET@minio:9000/Bad_Bucket", "path after the store's host"),
    ("s3://:SECRET@minio:9000/wandb-files", "KEY:SECRET"),
    ("s3://KEY:SECRET@/wandb-files", "the store's host"),
    ("gs://goog-files", "must not start with 'goog'"),
    ("gs://", "Cloud Storage bucket name (gs://BUCKET) is empty"),
    ("az://", "storage account name (az://ACCOUNT/CONTAINER) is empty"),
    ("az://wandbfiles/Files", "blob container name"),
    ("ftp://x", "s3://, gs:// or az://"),
])
def test_bucket_url_problems(url, words):
    problems = _storage.bucket_url_problems(url)
    assert any(words in problem for problem in problems), problems


@pytest.mark.parametrize("url", ["s3://acme-files", "s3://acme-files/prefix", "s3:///acme-files",
                                 "s3://KEY:SECRET@minio:9000/acme-files?tls=true", "s3://K:S/x+y@minio.local/acme",
                                 "s3://minio:9000/acme-files", "gs://acme-files/prefix", "az://wandbfiles/wandb-files"])
def test_bucket_url_forms_accepted(url):
    assert _storage.bucket_url_problems(url) == []


@pytest.mark.parametrize("url, words", [
    ("sqs://", "SQS queue name (sqs://NAME) is empty"),
    ("sqs://acc events!", "1-80 letters"),
    ("sqs://sqs.eu-west-1.amazonaws.com/123456789012/acc events!", "1-80 letters"),
    ("sqs:///123456789012/q", "queue's host"),
    ("pubsub:/", "three non-empty parts"),
    ("pubsub:/acme-ml-123/files", "three non-empty parts"),
    ("pubsub:/acme-ml-123/goog/server", "must not start with 'goog'"),
    ("az://", "storage account name (az://ACCOUNT/QUEUE) is empty"),
    ("az://wandbfiles/Q", "storage queue name"),
    ("http://q", "sqs://, pubsub:/ or az://"),
])
def test_queue_url_problems(url, words):
    problems = _storage.queue_url_problems(url)
    assert any(words in problem for problem in problems), problems


@pytest.mark.parametrize("url", ["sqs://acme-events", "sqs://sqs.eu-west-1.amazonaws.com/123456789012/acme-events",
                                 "sqs://127.0.0.1:9324/000000000000/acme-events", "internal://",
                                 "pubsub:/acme-ml-123/files/files-server", "az://wandbfiles/wandb-file-events"])
def test_queue_url_forms_accepted(url):
    assert _storage.queue_url_problems(url) == []
