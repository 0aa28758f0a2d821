#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: users_info
short_description: Read the users of a W&B server
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Lists users with the GraphQL query the public C(wandb) SDK sends for C(wandb.Api().users(query))
    (C(SearchUsers), wandb/apis/_generated/operations.py), and, with O(active), whether each is active from SCIM
    (C(GET /scim/Users), wandb/docs platform/hosting/iam/scim.mdx).
  - Needs the server's super-admin key. HTTP 401/403 and a GraphQL C(permission denied) fail at once saying so;
    HTTP 429 and 5xx are retried with a jittered backoff, nothing else.
options:
  email:
    description: Only the user with this e-mail (exact, case-insensitive).
    type: str
  query:
    description: A part of a username or e-mail, as the SDK's C(Api.users(query)) takes it. Unset lists every user
      the server finds for an empty query.
    type: str
  active:
    description: Also read each user's C(active) from SCIM (one more request per user). Otherwise each user's C(active)
      is null.
    type: bool
    default: false
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
  - wandb_local.server._wandb_api
  - wandb_local.server._ca_certificates
seealso:
  - module: wandb_local.server.user
"""

EXAMPLES = r"""
- name: Users of example.com
  wandb_local.server.users_info:
    api_key_file: /etc/wandb-local/admin-api-key
    query: "@example.com"
  register: wandb_users
"""

RETURN = r"""
users:
  description: The users found, each C(id), C(email), C(username), C(name), C(admin), C(active) (null unless
    O(active)).
  returned: success
  type: list
  elements: dict
  sample: [{id: VXNlcjoxMDAw, email: alice@example.com, username: alice, name: alice, admin: false, active: null}]
"""

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import WandbApiError
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_org import (
    fail,
    org_client,
    org_module,
    user_view,
)


def main():
    module = org_module(
        email=dict(type="str"),
        query=dict(type="str"),
        active=dict(type="bool", default=False),
    )
    p = module.params
    org = org_client(module)
    try:
        if p["email"]:
            node = org.find_user(p["email"].strip())
            nodes = [node] if node else []
        else:
            nodes = org.search_users(p["query"] or "")
        users = []
        for node in nodes:
            scim = org.scim_user(node["email"]) if p["active"] and node.get("email") else None
            users.append(user_view(node, scim))
    except WandbApiError as exc:
        fail(module, exc, "reading users")
    module.exit_json(changed=False, users=users)


if __name__ == "__main__":
    main()
