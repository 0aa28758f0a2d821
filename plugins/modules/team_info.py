#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: team_info
short_description: Read a team of a W&B server, its members and service accounts
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - Reads a team with the GraphQL query the public C(wandb) SDK sends for C(wandb.Api().team(name))
    (C(GetTeamEntity), wandb/apis/_generated/operations.py). Service accounts' keys are never returned.
  - Needs the server's super-admin key (or the key of a member of the team). HTTP 401/403 and a GraphQL
    C(permission denied) fail at once saying so; HTTP 429 and 5xx are retried with a jittered backoff, nothing else.
options:
  name:
    description: The team's name.
    type: str
    required: true
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
  - wandb_local.server._wandb_api
  - wandb_local.server._ca_certificates
seealso:
  - module: wandb_local.server.team
"""

EXAMPLES = r"""
- name: Who is in team research
  wandb_local.server.team_info:
    api_key_file: /etc/wandb-local/admin-api-key
    name: research
  register: research
"""

RETURN = r"""
exists:
  description: Whether the team exists.
  returned: success
  type: bool
team:
  description: As the M(wandb_local.server.team) module returns it; C({}) when it does not exist.
  returned: success
  type: dict
  sample:
    name: research
    members: [{username: alice, email: alice@example.com, role: admin, account_type: USER, pending: false}]
    service_accounts: [{id: VXNlcjoxMDAz, name: ci, username: research-sa-1003}]
"""

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import WandbApiError
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_org import (
    fail,
    org_client,
    org_module,
    team_view,
)


def main():
    module = org_module(name=dict(type="str", required=True))
    org = org_client(module)
    try:
        entity = org.team(module.params["name"])
    except WandbApiError as exc:
        fail(module, exc, "reading team %s" % module.params["name"])
    module.exit_json(changed=False, exists=bool(entity), team=team_view(entity) if entity else {})


if __name__ == "__main__":
    main()
