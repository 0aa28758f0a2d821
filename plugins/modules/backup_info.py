#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: backup_info
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: List the backups of a W&B server in a directory, choose one and verify its checksums
description:
  - Lists the backups P(wandb_local.server.server_backup#module) wrote for O(container_name) in O(path), newest
    first, and chooses one (RV(selected)), O(backup) or the newest complete one, reading its manifest
    (C(X.manifest.json) beside C(X.tar.gz)).
  - With O(verify), checks every file of the chosen backup against the size and SHA-256 its manifest records; what
    does not match is in RV(selected.problems) (the module does not fail for it, so a playbook can say what it would
    have done). A backup without a manifest (incomplete, or made before 0.3.0) is a problem unless O(verify=false).
  - Fails when there is no such backup, listing what there is.
  - The restore and migrate playbooks run it before anything is overwritten.
options:
  path:
    description: The directory of the backups on the host (the wandb_server role's C(wandb_server_backup_dir)).
    type: path
    required: true
  container_name:
    description: The container the backups were taken of (their names start with it). Required unless O(backup) is
      given.
    type: str
  backup:
    description: The backup to choose, its archive's file name in O(path) or an absolute path (its manifest
      beside it). Empty chooses the newest complete backup of O(container_name).
    type: str
    default: ""
  verify:
    description: Check the chosen backup's files against its manifest's sizes and SHA-256.
    type: bool
    default: true
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
"""

EXAMPLES = r"""
- name: The newest backup of wandb-local, verified
  wandb_local.server.backup_info:
    path: /var/backups/wandb-local
    container_name: wandb-local
  register: found

- name: Refuse a corrupt one
  ansible.builtin.assert:
    that: found.selected.problems | length == 0
    fail_msg: "{{ found.selected.problems | join('; ') }}"
"""

RETURN = r"""
backups:
  description: The backups of O(container_name) in O(path), newest first (empty without O(container_name)).
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The archive.
      type: str
    manifest:
      description: Its manifest, null when there is none (incomplete).
      type: str
    dump:
      description: The external MySQL dump beside it, null when there is none.
      type: str
    created:
      description: When it was taken (UTC, from its name), ISO 8601.
      type: str
    complete:
      description: Whether it has a manifest (not verified here).
      type: bool
selected:
  description: The chosen backup.
  returned: success
  type: dict
  contains:
    path:
      description: The archive.
      type: str
    name:
      description: The archive's file name.
      type: str
    manifest_path:
      description: Its manifest's path, null when there is none.
      type: str
    manifest:
      description: The manifest (settings masked as written), null when there is none or it cannot be read.
      type: dict
    dump:
      description: The external MySQL dump beside it, null when there is none.
      type: str
    size:
      description: Size of the archive in bytes.
      type: int
    sha256:
      description: SHA-256 of the archive as the manifest records it (empty without a manifest).
      type: str
    verified:
      description: Whether every file was checked against the manifest and matched.
      type: bool
    problems:
      description: What does not match, or why it could not be checked; empty when it verifies (or O(verify=false)).
      type: list
      elements: str
  sample:
    path: /var/backups/wandb-local/wandb-local-20261130T120000Z-0.74.0.tar.gz
    name: wandb-local-20261130T120000Z-0.74.0.tar.gz
    verified: true
    problems: []
"""

import os

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils import _backup


def _listing(backups):
    return [dict(path=b["archive"], manifest=b["manifest"], dump=b["dump"], complete=b["complete"],
                 created=b["created"].strftime("%Y-%m-%dT%H:%M:%SZ")) for b in backups]


def choose(path, container_name, backup, backups):
    """The archive path chosen, or (None, why) when there is none."""
    if backup:
        archive = backup if os.path.isabs(backup) else os.path.join(path, backup)
        if not archive.endswith(_backup.ARCHIVE_SUFFIX):
            archive += _backup.ARCHIVE_SUFFIX
        if os.path.isfile(archive):
            return archive, None
        return None, "backup %s does not exist" % archive
    complete = [b for b in backups if b["complete"]]
    if complete:
        return complete[0]["archive"], None
    if backups:
        return None, ("%s has no complete backup of %s (none has its manifest; the newest is %s): take a new one, or "
                      "name one with backup" % (path, container_name, backups[0]["archive"]))
    return None, "%s has no backup of %s" % (path, container_name)


def describe(archive, verify):
    """The ``selected`` result of ``archive``."""
    manifest_path = _backup.manifest_path(archive)
    dump = _backup.dump_path(archive)
    selected = dict(path=archive, name=os.path.basename(archive), manifest_path=None, manifest=None,
                    dump=dump if os.path.isfile(dump) else None, size=os.path.getsize(archive), sha256="",
                    verified=False, problems=[])
    if not os.path.isfile(manifest_path):
        if verify:
            selected["problems"] = ["%s has no manifest %s (an incomplete backup, or one made before manifests "
                                    "existed): its checksums cannot be verified"
                                    % (archive, os.path.basename(manifest_path))]
        return selected
    selected["manifest_path"] = manifest_path
    try:
        manifest = _backup.read_manifest(manifest_path)
    except ValueError as exc:
        selected["problems"] = [str(exc)] if verify else []
        return selected
    selected["manifest"] = manifest
    entry = next((f for f in manifest["files"] if isinstance(f, dict) and f.get("name") == selected["name"]), None)
    if entry is None:
        selected["problems"] = ["manifest %s does not list %s" % (manifest_path, selected["name"])] if verify else []
        return selected
    selected["sha256"] = entry.get("sha256") or ""
    if verify:
        selected["problems"] = _backup.verify_backup(manifest_path)
        selected["verified"] = not selected["problems"]
    return selected


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            container_name=dict(type="str"),
            backup=dict(type="str", default=""),
            verify=dict(type="bool", default=True),
        ),
        required_one_of=[("container_name", "backup")],
        supports_check_mode=True,
    )
    params = module.params
    path, container_name = params["path"], params["container_name"]
    backups = _backup.list_backups(path, container_name) if container_name else []
    result = dict(changed=False, backups=_listing(backups))
    archive, why = choose(path, container_name, params["backup"].strip(), backups)
    if archive is None:
        there = ", ".join(os.path.basename(b["archive"]) for b in backups[:10]) or "none"
        module.fail_json(msg="%s. Backups of %s there, newest first: %s." % (why, container_name or "it", there),
                         **result)
    try:
        result["selected"] = describe(archive, params["verify"])
    except OSError as exc:
        module.fail_json(msg="cannot read backup %s: %s" % (archive, exc), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
