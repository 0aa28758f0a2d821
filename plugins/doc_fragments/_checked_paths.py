# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Directories and files a read-only state check compares (server_state, files_state); the argument spec is
``checked_paths_argument_spec()`` in module_utils/_server_state.py."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  directories:
    description: Directories that must exist with this owner, group and mode (unset ones are not compared).
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: The directory., type: path, required: true}
      owner: {description: User name or uid., type: raw}
      group: {description: Group name or gid., type: raw}
      mode: {description: Octal mode such as V(0700)., type: raw}
  files:
    description: Files that must hold exactly this text (as M(ansible.builtin.copy) with C(content) writes it), with
      this owner, group and mode.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: The file., type: path, required: true}
      content: {description: Its text., type: str, required: true}
      owner: {description: User name or uid., type: raw}
      group: {description: Group name or gid., type: raw}
      mode: {description: Octal mode such as V(0644)., type: raw}
"""
