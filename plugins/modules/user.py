#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: user
short_description: A user of a W&B server (present or absent, admin, active)
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Creates a user by e-mail with the GraphQL mutation the public C(wandb) SDK sends (C(createUser(input:{email,
    admin})), the SDK's C(wandb.Api().create_user)), finds users with the SDK's C(SearchUsers) query.
  - "Where only SCIM does the job (wandb/docs platform/hosting/iam/scim.mdx): deactivating and reactivating
    (C(PATCH /scim/Users/{id}) C(active)), making an existing user an admin or not (C(organizationRole) C(admin) or
    C(member)), and deleting a user (C(DELETE /scim/Users/{id}); the SDK has no way to)."
  - Needs the server's super-admin key (C(GLOBAL_ADMIN_API_KEY) with C(GORILLA_INSECURE_ALLOW_API_KEY_ADMIN_ACCESS=true)).
    HTTP 401/403 and a GraphQL C(permission denied) fail at once saying so; HTTP 429 and 5xx are retried with a
    jittered backoff, nothing else.
  - The W&B server chooses the username (from the e-mail); it cannot be set here.
attributes:
  check_mode:
    support: full
    description: Reports what would change; changes nothing.
  diff_mode:
    support: full
    description: The user (e-mail, username, admin, active) before and after.
options:
  email:
    description: The user's e-mail address; matched case-insensitively.
    type: str
    required: true
  state:
    description: V(absent) deletes the user (SCIM C(DELETE)), which cannot be undone; to keep the user's record and
      only stop the user from signing in, use O(active=false).
    type: str
    choices: [present, absent]
    default: present
  admin:
    description: Whether the user is an instance admin. Unset leaves an existing user as it is (a new one is not).
    type: bool
  active:
    description: V(false) deactivates the user through SCIM, V(true) reactivates. Unset leaves it as it is.
    type: bool
extends_documentation_fragment:
  - wandb_local.server._wandb_api
  - wandb_local.server._ca_certificates
seealso:
  - module: wandb_local.server.users_info
  - module: wandb_local.server.team
"""

EXAMPLES = r"""
- name: Alice, an admin
  wandb_local.server.user:
    base_url: https://wandb.example.com
    api_key_file: /etc/wandb-local/admin-api-key
    email: alice@example.com
    admin: true

- name: Bob may not sign in any more (his record and runs stay)
  wandb_local.server.user:
    api_key_file: /etc/wandb-local/admin-api-key
    email: bob@example.com
    active: false
"""

RETURN = r"""
user:
  description: The user after the change (as it would be, in check mode); C({}) when absent.
  returned: success
  type: dict
  contains:
    id: {description: GraphQL id (null for a user still to be created in check mode), type: str}
    email: {description: E-mail, type: str}
    username: {description: Username the server chose, type: str}
    admin: {description: Instance admin, type: bool}
    active: {description: Active (from SCIM; null when not read), type: bool}
  sample: {id: VXNlcjoxMDAw, email: alice@example.com, username: alice, admin: true, active: true}
"""

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import WandbApiError
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_org import (
    fail,
    org_client,
    org_module,
    user_view,
)


def _diff_view(user):
    return {k: user[k] for k in ("email", "username", "admin", "active")} if user else {}


def main():
    module = org_module(
        email=dict(type="str", required=True),
        state=dict(type="str", choices=["present", "absent"], default="present"),
        admin=dict(type="bool"),
        active=dict(type="bool"),
    )
    p = module.params
    email = p["email"].strip()
    if "@" not in email:
        module.fail_json(msg="email must be an e-mail address, got %r" % email)
    org = org_client(module)
    changed = False
    try:
        node = org.find_user(email)
        needs_scim = p["state"] == "absent" or p["active"] is not None or p["admin"] is not None
        scim = None
        if node:
            try:
                scim = org.scim_user(email)
            except WandbApiError as exc:
                if needs_scim or exc.status != 404:  # without SCIM, only active is not known
                    raise
        before = user_view(node, scim) if node else {}
        if node and scim is None and needs_scim:
            module.fail_json(msg="user %s is known to GraphQL but SCIM GET /scim/Users finds no such e-mail; "
                                 "nothing was changed" % email, user=before)
        if p["state"] == "absent":
            after = {}
            if node:
                changed = True
                if not module.check_mode:
                    org.scim_delete_user(scim["id"])
        elif not node:
            changed = True
            after = {"id": None, "email": email, "username": None, "name": None, "admin": bool(p["admin"]),
                     "active": True if p["active"] is None else p["active"]}
            if not module.check_mode:
                created = org.create_user(email, p["admin"])
                if p["active"] is False:
                    new_scim = org.scim_user(email)
                    if new_scim is None:
                        module.fail_json(msg="user %s was created, but SCIM does not find it to deactivate it" % email)
                    org.scim_patch_user(new_scim["id"], [{"op": "replace", "value": {"active": False}}])
                after = user_view(created, {"active": p["active"] is not False})
        else:
            operations, after = [], dict(before)
            if p["admin"] is not None and bool(before["admin"]) != p["admin"]:
                operations.append({"op": "replace", "path": "organizationRole",
                                   "value": "admin" if p["admin"] else "member"})
                after["admin"] = p["admin"]
            if p["active"] is not None and before["active"] != p["active"]:
                operations.append({"op": "replace", "value": {"active": p["active"]}})
                after["active"] = p["active"]
            if operations:
                changed = True
                if not module.check_mode:
                    org.scim_patch_user(scim["id"], operations)
                    node = org.find_user(email) or node
                    scim = org.scim_user(email) or scim
                    after = user_view(node, scim)
    except WandbApiError as exc:
        fail(module, exc, "user %s" % email)
    result = dict(changed=changed, user=after)
    if module._diff:
        result["diff"] = {"before": _diff_view(before), "after": _diff_view(after)}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
