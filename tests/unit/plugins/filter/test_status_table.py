"""The plain-text table of playbooks/status.yml."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.wandb_local.server.plugins.filter.status_table import status_table


def test_columns_are_as_wide_as_their_widest_cell():
    lines = status_table([{"instance": "a", "image": "wandb/local:0.74.0"}, {"instance": "bbbbbb", "image": "x"}])
    assert lines == ["instance  image",
                     "--------  ------------------",
                     "a         wandb/local:0.74.0",
                     "bbbbbb    x"]


def test_missing_values_lists_and_booleans_print_readably():
    lines = status_table([{"a": None, "b": ["x", "y"], "c": True, "d": ""}], ["a", "b", "c", "d"])
    assert lines[2].split() == ["-", "x,", "y", "yes", "-"]


def test_no_rows_gives_just_the_header():
    assert status_table([], ["instance"]) == ["instance", "--------"]


def test_rejects_what_is_not_a_list_of_dicts():
    with pytest.raises(AnsibleFilterError, match="list of dicts"):
        status_table("nope")
