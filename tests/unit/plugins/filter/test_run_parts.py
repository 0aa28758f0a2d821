"""Which parts of site.yml a run changes, reads or skips, from --tags and --skip-tags."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.filter.run_parts import run_parts

ALL_APPLY = {"docker_host": "apply", "team_storage": "apply", "server": "apply", "storage": "apply",
             "redis": "apply", "oidc": "apply", "slack": "apply"}


def test_no_tags_converges_everything():
    assert run_parts(["all"], []) == ALL_APPLY


def test_server_tag_reads_the_integrations_instead_of_dropping_their_settings():
    parts = run_parts(["server"], [])
    assert parts["server"] == "apply" and parts["docker_host"] == "apply"
    assert {parts[name] for name in ("storage", "redis", "oidc", "slack")} == {"read"}
    assert parts["team_storage"] == "skip"


def test_settings_tag_converges_the_server_only():
    parts = run_parts(["settings"], [])
    assert parts["server"] == "apply" and parts["docker_host"] == "skip"
    assert parts["storage"] == "read"


def test_an_integration_tag_applies_it_and_its_settings_on_the_server():
    parts = run_parts(["oidc"], [])
    assert parts["oidc"] == "apply" and parts["server"] == "apply"
    assert parts["storage"] == "read" and parts["docker_host"] == "skip"


def test_skipping_an_integration_keeps_it_as_it_is():
    parts = run_parts(["all"], ["storage"])
    assert parts["storage"] == "read" and parts["server"] == "apply"


def test_skipping_the_server_changes_only_the_integrations():
    parts = run_parts(["storage"], ["server"])
    assert parts == {"docker_host": "skip", "team_storage": "skip", "server": "skip", "storage": "apply",
                     "redis": "skip", "oidc": "skip", "slack": "skip"}


def test_team_storage_alone_leaves_the_server_alone():
    parts = run_parts(["team_storage"], [])
    assert parts["team_storage"] == "apply" and parts["server"] == "skip" and parts["storage"] == "skip"


def test_unknown_tag_names_the_known_ones():
    with pytest.raises(AnsibleFilterError, match="no part tagged bogus.*storage"):
        run_parts(["bogus"], [])
