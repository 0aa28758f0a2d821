from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.filter.storage_name_problems import storage_name_problems


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
