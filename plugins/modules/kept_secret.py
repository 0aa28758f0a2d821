#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: kept_secret
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Keep a secret in a 0600 file on the managed host, given or generated once
description:
  - Chooses a secret and keeps it in a file on the managed host (one line, mode 0600, owned by root unless told).
    A given I(value) wins (and replaces the kept one), else the value already kept in I(path), else a new one is
    generated (I(prefix) and I(length) characters of I(alphabet)) and kept, so it is generated only once.
  - The collection keeps the server's super-admin API key (C(local-) and 40 hexadecimal digits) and the local
    Redis password (48 letters and digits) this way.
  - Writes the file atomically only when its content differs; the temporary file has mode 0600 (and the owner)
    before its first byte, so there is no moment with a wider mode. An existing file with another mode or owner is
    fixed without a new value. A file that cannot be read is an error, never a reason to replace the value in it.
  - Check mode reports what would change without writing; a value generated in check mode is never kept.
options:
  path:
    description: The file that keeps the secret. Its directory must exist (except in check mode).
    type: path
    required: true
  value:
    description:
      - The secret to keep (e.g. from Ansible Vault); surrounding white space is removed. Empty means reuse the
        kept value, or generate one.
    type: str
    default: ""
  length:
    description:
      - How many characters of I(alphabet) a generated value has (not counting I(prefix)). At least 16.
      - Only for generating; a kept or given value is used as it is.
    type: int
    default: 48
  prefix:
    description: Text a generated value starts with (e.g. C(local-) for a W&B API key).
    type: str
    default: ""
  alphabet:
    description:
      - The characters a generated value is drawn from, each listed once, at least two, no white space
        (e.g. C(0123456789abcdef) for hexadecimal digits).
    type: str
    default: abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789
  owner:
    description: User (name or number) that owns the file.
    type: str
    default: root
  group:
    description: Group (name or number) of the file.
    type: str
    default: root
notes:
  - Register the result with C(no_log=true). It carries the secret (when kept or generated), which the caller needs.
  - The diff never shows the secret, only whether the file exists, whether the secret changes, its mode and owner.
  - Failure messages name the file, its directory and what to fix, never the secret.
"""

EXAMPLES = r"""
- name: Keep the admin API key (given > kept > new; local- and 40 hexadecimal digits)
  wandb_local.server.kept_secret:
    path: /etc/wandb-local/admin-api-key
    value: "{{ wandb_server_admin_api_key }}"
    prefix: local-
    length: 40
    alphabet: 0123456789abcdef
  register: admin_key
  no_log: true

- name: Use it (a given value is masked in results, so take that one from the variable)
  ansible.builtin.set_fact:
    admin_api_key: "{{ (wandb_server_admin_api_key | trim) or admin_key.value }}"
  no_log: true

- name: Keep a Redis password (48 letters and digits, the defaults)
  wandb_local.server.kept_secret:
    path: /etc/wandb-local/redis/wandb-redis.password
  register: redis_password
  no_log: true
"""

RETURN = r"""
value:
  description:
    - The secret, when it was kept or generated. Register the result with C(no_log=true).
    - Not returned for a given I(value). Ansible masks a no_log option's value in results, so use the given one.
  returned: when I(value) is empty
  type: str
source:
  description: Where the secret came from, C(given), C(kept) or C(generated).
  returned: success
  type: str
  sample: kept
path:
  description: The file that keeps the secret.
  returned: always
  type: str
  sample: /etc/wandb-local/admin-api-key
"""

import grp
import pwd

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils import _kept_secret

PREFIX = "kept_secret: "


def resolve(module, name, lookup, option):
    """uid/gid of a user/group name or number; fail_json naming the option when there is none."""
    if name.isdigit():
        return int(name)
    try:
        return lookup(name)[2]
    except KeyError:
        module.fail_json(msg="%s%s '%s' is not a %s on this host. Nothing was changed. To fix: set %s to an "
                             "existing one (name or number), then run again"
                             % (PREFIX, option, name, "user" if option == "owner" else "group", option),
                         path=module.params["path"])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            value=dict(type="str", default="", no_log=True),
            length=dict(type="int", default=48),
            prefix=dict(type="str", default=""),
            alphabet=dict(type="str", default=_kept_secret.ALPHANUMERIC),
            owner=dict(type="str", default="root"),
            group=dict(type="str", default="root"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    path = params["path"]
    problem = _kept_secret.check_generator(params["length"], params["prefix"], params["alphabet"])
    if problem:
        module.fail_json(msg="%s%s (file %s)" % (PREFIX, problem, path), path=path)
    owner = (resolve(module, params["owner"], pwd.getpwnam, "owner"),
             resolve(module, params["group"], grp.getgrnam, "group"))

    def new_value():
        return _kept_secret.generate(params["length"], params["prefix"], params["alphabet"])

    try:
        kept = _kept_secret.keep(path, params["value"], new_value, module.check_mode, owner=owner,
                                 what="kept secret")
    except _kept_secret.KeptSecretError as exc:
        module.fail_json(msg=PREFIX + str(exc), path=path, errno=exc.errno)
    result = dict(changed=kept["changed"], source=kept["source"], path=path, diff=kept["diff"])
    if kept["source"] != "given":
        result["value"] = kept["value"]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
