# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plain-text table, for playbooks/status.yml."""
from __future__ import annotations

DOCUMENTATION = r"""
name: status_table
version_added: 0.2.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Lines of a plain-text table from a list of dicts
description:
  - Returns the lines of a table (header, rule, one row per item) with each column as wide as its widest cell,
    for C(ansible.builtin.debug) output such as the fleet status of C(playbooks/status.yml).
  - Missing values print as C(-); lists are joined with commas.
options:
  _input:
    description: The rows.
    type: list
    elements: dict
    required: true
  columns:
    description: Keys of the rows to show, in order; default the keys of the first row.
    type: list
    elements: str
"""

EXAMPLES = r"""
- name: Show the fleet
  ansible.builtin.debug:
    msg: "{{ rows | wandb_local.server.status_table(['instance', 'image', 'health']) }}"
"""

RETURN = r"""
_value:
  description: The table's lines.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


def _cell(value):
    if value is None or value == "":
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(item) for item in value) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def status_table(rows, columns=None):
    if not isinstance(rows, (list, tuple)) or not all(isinstance(row, dict) for row in rows):
        raise AnsibleFilterError("status_table expects a list of dicts, got %s" % type(rows).__name__)
    columns = list(columns or (list(rows[0]) if rows else []))
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max([len(column)] + [len(line[index]) for line in cells]) for index, column in enumerate(columns)]

    def line(values):
        return "  ".join(value.ljust(width) for value, width in zip(values, widths)).rstrip()

    return [line(columns), line("-" * width for width in widths)] + [line(values) for values in cells]


class FilterModule:
    """Table filter."""

    def filters(self):
        return {"status_table": status_table}
