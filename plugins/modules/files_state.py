#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: files_state
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Whether directories and files are exactly as wanted, in one read-only look
description:
  - Finds in one process whether directories exist with their owner, group and mode, and whether files hold exactly a
    given text with their owner, group and mode, the way M(ansible.builtin.file) and M(ansible.builtin.copy) with
    C(content) would leave them. A role runs it first and its install tasks only when something differs, so a run
    that changes nothing costs one module run instead of one per file (the backup role does so).
  - Never changes anything. Drift messages name paths and what differs, never a file's content.
options:
  secret_files:
    description: Like O(files), for files whose text is secret (never shown, not even in C(-vvv)); the paths,
      owners and modes are shown.
    type: list
    elements: dict
    default: []
    suboptions:
      path: {description: The file., type: path, required: true}
      content: {description: Its text., type: str, required: true}
      owner: {description: User name or uid., type: raw}
      group: {description: Group name or gid., type: raw}
      mode: {description: Octal mode such as V(0600)., type: raw}
  probe:
    description: Paths whose existence is reported in RV(exists) (such as C(/run/systemd/system)), saving a
      M(ansible.builtin.stat) each.
    type: list
    elements: path
    default: []
extends_documentation_fragment:
  - wandb_local.server._checked_paths
  - wandb_local.server._attributes.read_only
"""

EXAMPLES = r"""
- name: Check whether the runner and its configuration are installed as wanted (read only)
  wandb_local.server.files_state:
    directories:
      - {path: /etc/wandb-local-backup, owner: root, group: root, mode: "0700"}
    files:
      - {path: /etc/wandb-local-backup/wandb-local.json, content: "{{ config | to_nice_json }}\n", mode: "0600"}
    probe: [/run/systemd/system]
  register: installed

- name: Install (something differs)
  ansible.builtin.include_tasks: install.yml
  when: not installed.in_sync
"""

RETURN = r"""
in_sync:
  description: Whether every directory and file is as wanted.
  returned: always
  type: bool
drift:
  description: What differs, one line each (paths and attributes, never content).
  returned: always
  type: list
  elements: str
  sample: ["file /etc/wandb-local-backup/wandb-local.json: content differs"]
exists:
  description: For each O(probe) path, whether it exists.
  returned: always
  type: dict
  sample: {/run/systemd/system: false}
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils import _server_state as ss


def main():
    checked_paths = ss.checked_paths_argument_spec()
    # The texts of secret files are masked (no_log on the text alone: masking the whole list would mask every path
    # and mode in the output).
    secret_file_options = dict(checked_paths["files"]["options"], content=dict(type="str", required=True, no_log=True))
    module = AnsibleModule(
        argument_spec=dict(
            secret_files=dict(type="list", elements="dict", default=[], options=secret_file_options, no_log=False),
            probe=dict(type="list", elements="path", default=[]),
            **checked_paths
        ),
        supports_check_mode=True,
    )
    p = module.params
    bad = ss.bad_mode(p["directories"] + p["files"] + p["secret_files"])
    if bad:
        module.fail_json(msg="files_state: mode %r of %s is not an octal mode such as '0700'" % bad)
    drift = ss.check_paths(p["directories"], p["files"] + p["secret_files"])
    exists = dict((path, os.path.exists(path)) for path in p["probe"])
    module.exit_json(changed=False, in_sync=not drift, drift=drift, exists=exists)


if __name__ == "__main__":
    main()
