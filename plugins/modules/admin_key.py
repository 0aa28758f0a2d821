#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: admin_key
version_added: 0.2.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Keep the W&B server's super-admin API key in a 0600 file, generated once (deprecated)
deprecated:
  removed_in: 1.0.0
  why: One module keeps every secret of this collection that is given, else kept, else generated.
  alternative: >-
    Use M(wandb_local.server.kept_secret) with I(value) instead of I(key), C(prefix: local-), C(length: 40),
    C(alphabet: 0123456789abcdef), and its result's C(value) instead of C(key).
description:
  - Chooses the super-admin API key the server starts with (C(GLOBAL_ADMIN_API_KEY)) and keeps it in a file
    that the other modules of this collection read (C(api_key_file)). A given I(key) wins, else the key already
    kept in I(path), else a new one (C(local-) and 40 hexadecimal digits) is generated.
  - Writes the file atomically with mode 0600 only when its content or mode differs; a file that cannot be read is
    an error, never a reason to replace the key in it.
  - One module run does what reading, choosing and writing the key took three for (bench/run, README Benchmarks).
  - Deprecated; M(wandb_local.server.kept_secret) does the same for any secret, and also sets the file's owner.
    This module runs the same code with the key's format and leaves the owner of an existing file as it is.
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

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils import _kept_secret

PREFIX = "admin_key: "
KEY_PREFIX = "local-"
MODE = _kept_secret.MODE
# Deprecated (meta/runtime.yml plugin_routing warns whoever calls it): the same code as kept_secret, with the
# key's format and the option/return names of version 0.2.0; the owner of an existing file is left as it is.


def new_key():
    """A key shaped like the ones this collection always generated: local- and 40 hexadecimal digits."""
    return _kept_secret.generate(40, KEY_PREFIX, _kept_secret.HEX)


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
        module.fail_json(msg=PREFIX + "the key must not contain white space (wandb_server_admin_api_key)")
    try:
        kept = _kept_secret.keep(path, given, new_key, module.check_mode, owner=None, what="admin API key")
    except _kept_secret.KeptSecretError as exc:
        module.fail_json(msg=PREFIX + str(exc), path=path, errno=exc.errno)
    result = dict(changed=kept["changed"], source=kept["source"], diff=kept["diff"])
    if kept["source"] != "given":
        result["key"] = kept["value"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
