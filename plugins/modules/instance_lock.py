#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: instance_lock
short_description: Take or release the lock that lets one run at a time change a W&B instance
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Two runs at once on one instance (two operators, or CI and a person) would write the same env file and replace
    the same container; one would fail with a Docker name conflict, and a run could report success while the other
    run's settings are deployed. The wandb_server role holds this lock from writing the env file until the health
    check, so runs on one instance take turns.
  - The lock is a file (mode 0600) created atomically beside the env file; it names who holds it and since when.
    C(state=present) waits for it at most O(timeout) seconds, then fails naming the holder. C(state=absent)
    releases it, only if O(token) is the one that took it.
  - A run killed outright leaves its lock behind; a lock older than O(stale_after) seconds is taken over (the
    result says so), or remove the file by hand when no run is active.
  - In check mode the lock is neither taken nor waited for; a held lock is reported in a warning.
  - Never reports C(changed), since the lock lasts for one run and changes nothing that stays.
attributes:
  check_mode:
    support: full
    description: Neither takes nor waits for the lock; warns when another run holds it.
  diff_mode:
    support: none
    description: The lock is not part of the instance's state; there is nothing to diff.
options:
  path:
    description: The lock file.
    type: path
    required: true
  state:
    description: C(present) takes the lock, C(absent) releases it.
    type: str
    choices: [present, absent]
    default: present
  owner:
    description: Who takes the lock, shown to a run that waits for it (for example the user and the playbook).
    type: str
    default: ""
  token:
    description: With C(state=absent), the O(token) the C(present) call returned.
    type: str
  held_token:
    description:
      - With C(state=present), the token of a lock this run already holds (a restore that converges the server it
        restored, under the same lock). While the lock is still that one it is not waited for and RV(reentered) is
        true; the task that took it releases it. Otherwise (taken over, removed) the lock is taken as usual.
    type: str
  timeout:
    description: Seconds to wait for a lock another run holds.
    type: int
    default: 600
  stale_after:
    description: Seconds after which a lock is taken to be left behind by a run that died, and taken over.
    type: int
    default: 3600
"""

EXAMPLES = r"""
- name: Take the instance's lock
  wandb_local.server.instance_lock:
    path: /etc/wandb-local/wandb-local.lock
    owner: "{{ lookup('ansible.builtin.env', 'USER') }}: site.yml"
  register: lock

- name: Release it
  wandb_local.server.instance_lock:
    path: /etc/wandb-local/wandb-local.lock
    state: absent
    token: "{{ lock.token }}"
"""

RETURN = r"""
token:
  description: The token that releases the lock (C(state=present)); empty in check mode.
  returned: always
  type: str
waited:
  description: Seconds spent waiting for another run's lock.
  returned: always
  type: float
took_over:
  description: The stale lock that was taken over, and why; empty when none was.
  returned: always
  type: str
held_by:
  description: In check mode, who holds the lock now; empty when nobody does.
  returned: always
  type: str
reentered:
  description: With O(held_token), whether the lock was the one held already (then release it only where it was taken).
  returned: always
  type: bool
released:
  description: With C(state=absent), whether this token's lock was there and was removed.
  returned: when state is absent
  type: bool
"""

import time

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils import _env_file
from ansible_collections.wandb_local.server.plugins.module_utils import _instance_lock as lock


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            owner=dict(type="str", default=""),
            token=dict(type="str", no_log=False),
            held_token=dict(type="str", no_log=False),
            timeout=dict(type="int", default=600),
            stale_after=dict(type="int", default=3600),
        ),
        required_if=[("state", "absent", ["token"])],
        supports_check_mode=True,
    )
    p = module.params
    result = dict(changed=False, token="", waited=0.0, took_over="", held_by="", reentered=False, path=p["path"])
    if module.check_mode:
        current = lock.holder(p["path"]) if p["state"] == "present" else None
        if current is not None and lock.stale_reason(p["path"], p["stale_after"]) is None:
            result["held_by"] = lock.describe(current)
            module.warn("another run holds %s: %s; a real run would wait for it" % (p["path"], result["held_by"]))
        module.exit_json(**result)
    if p["state"] == "absent":
        try:
            result["released"] = lock.release(p["path"], p["token"])
        except OSError as exc:
            module.fail_json(msg="could not release the lock %s (%s); remove it by hand if no run is active"
                             % (p["path"], exc), **result)
        module.exit_json(**result)
    started = time.monotonic()
    try:
        record = lock.acquire(p["path"], p["owner"], p["timeout"], p["stale_after"], held_token=p["held_token"])
    except lock.LockTimeout as exc:
        result["waited"] = round(time.monotonic() - started, 1)
        module.fail_json(msg=str(exc), **result)
    except OSError as exc:
        # Named like a failed env file (the lock is written first): the file, its directory, what to fix.
        error = _env_file.write_error(exc, p["path"], "lock file", existed=False)
        kept = "the env file was not written and the server container was not touched"
        module.fail_json(msg=error.message(also_kept=kept), **result)
    result.update(token=record["token"], waited=round(time.monotonic() - started, 1),
                  took_over=record.get("took_over", ""), reentered=record.get("reentered", False))
    if result["took_over"]:
        module.warn("took over a lock left behind: %s" % result["took_over"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
