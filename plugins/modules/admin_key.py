#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: admin_key
version_added: 0.2.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Keep the W&B server's super-admin API key in a 0600 file, generated once
description:
  - Chooses the super-admin API key the server starts with (C(GLOBAL_ADMIN_API_KEY)) and keeps it in a file
    that the other modules of this collection read (C(api_key_file)). A given I(key) wins, else the key already
    kept in I(path), else a new one (C(local-) and 40 hexadecimal digits) is generated.
  - Writes the file atomically with mode 0600 only when its content or mode differs; a file that cannot be read is
    an error, never a reason to replace the key in it.
  - One module run does what reading, choosing and writing the key took three for (bench/run, README Benchmarks).
  - Check mode reports what would change without writing; a key generated in check mode is never kept.
options:
  path:
    description: The file that keeps the key. Its directory must exist (except in check mode).
    type: path
    required: true
  key:
    description: The key to keep (e.g. from Ansible Vault). Empty means keep the kept key, or generate one.
    type: str
    default: ""
notes:
  - Register the result with C(no_log=true). It carries the key, which the server needs in its environment.
  - The diff never shows the key, only whether it changes.
"""

EXAMPLES = r"""
- name: Keep the admin API key (given > kept > new)
  wandb_local.server.admin_key:
    path: /etc/wandb-local/admin-api-key
  register: admin_key
  no_log: true
"""

RETURN = r"""
key:
  description:
    - The key the server should start with, when it was kept or generated. Secret.
    - Not returned for a given I(key). Ansible masks a no_log option's value in results, so use the given key.
  returned: when I(key) is empty
  type: str
source:
  description: Where the key came from.
  returned: success
  type: str
  sample: kept
"""

import errno
import os
import secrets
import stat

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils import _env_file

KEY_PREFIX = "local-"
MODE = 0o600


def new_key():
    """A key shaped like the ones this collection always generated: local- and 40 hexadecimal digits."""
    return KEY_PREFIX + secrets.token_hex(20)


def read_kept(path):
    """The kept key ('' when the file is missing or empty) and the file's mode (None when missing)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip(), stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
    except IOError as exc:
        if exc.errno == errno.ENOENT:
            return "", None
        raise


def choose(given, kept):
    """(key, source): given > kept > new."""
    if given:
        return given, "given"
    if kept:
        return kept, "kept"
    return new_key(), "generated"


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            key=dict(type="str", default="", no_log=True),
        ),
        supports_check_mode=True,
    )
    path = module.params["path"]
    given = (module.params["key"] or "").strip()
    if any(char.isspace() for char in given):
        module.fail_json(msg="admin_key: the key must not contain white space (wandb_server_admin_api_key)")
    directory = os.path.dirname(path) or "."
    directory_missing = not os.path.isdir(directory)
    if directory_missing and not module.check_mode:
        module.fail_json(msg="admin_key: directory %s does not exist; create it first" % directory)
    try:
        kept, mode = ("", None) if directory_missing else read_kept(path)
    except (IOError, OSError, UnicodeDecodeError) as exc:
        module.fail_json(msg="admin_key: cannot read the kept key in %s (%s); fix the file's permissions or move "
                             "it away (a new key replaces the old one everywhere it was used)" % (path, exc))
    key, source = choose(given, kept)
    content_changed = key != kept
    changed = content_changed or mode != MODE
    if changed and not module.check_mode:
        try:
            if content_changed:
                _env_file.write(path, key + "\n", MODE, what="admin API key file")
            else:
                os.chmod(path, MODE)
        except (IOError, OSError) as exc:
            exc = _env_file.write_error(exc, path, "admin API key file", mode is not None,
                                        "write" if content_changed else "change the mode of")
            module.fail_json(msg=exc.message("admin_key: "), path=path, errno=exc.errno)
    # The key itself never enters the diff: only whether it is there, changes, and the file's mode.
    before = "" if mode is None else "admin API key: %s, mode %s\n" % (
        _env_file.MASK if kept else "(empty)", oct(mode))
    after = "admin API key: %s, mode %s\n" % (
        _env_file.CHANGED_MASK if content_changed and kept else _env_file.MASK, oct(MODE))
    result = dict(changed=changed, source=source,
                  diff=dict(before_header=path, after_header=path, before=before, after=after))
    if source != "given":
        result["key"] = key
    module.exit_json(**result)


if __name__ == "__main__":
    main()
