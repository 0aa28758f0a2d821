#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: admin_check
short_description: Prove that a W&B server accepts an admin API key
version_added: 0.1.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - "Sends the GraphQL C(viewer) query to C(POST <base_url>/graphql) with C(Authorization: Basic base64(api:<key>)),
    the way C(wandb login) verifies a key (wandb/wandb core/internal/wbapi/authhandler.go); the key is accepted only
    when C(viewer) is not null."
  - Optionally waits for C(GET /ready) first and reads C(serverInfo).
  - One of O(api_key) and O(api_key_file) is required.
  - HTTP 401 and 403 fail at once with a clear message; connection refused and 5xx are retried with bounded
    exponential backoff.
options:
  require_admin:
    description: Fail when the server reports the viewer is not an admin (only when the server reports C(admin)).
    type: bool
    default: true
  wait_ready:
    description: Seconds to wait for C(/ready) before the query; V(0) does not wait.
    type: int
    default: 0
seealso:
  - module: wandb_local.server.settings
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
  - wandb_local.server._wandb_api
"""

EXAMPLES = r"""
- name: The admin key works
  wandb_local.server.admin_check:
    base_url: https://wandb.example.com
    api_key_file: /etc/wandb-local/admin-api-key
    wait_ready: 300
"""

RETURN = r"""
viewer:
  description: The key's user as the server reports it (id, username, email, admin when available).
  returned: success
  type: dict
  sample: {id: VXNlcjox, username: admin, email: admin@example.com, admin: true}
server_info:
  description: C(serverInfo) of the server; empty when the server does not offer it.
  returned: success
  type: dict
attempts:
  description: HTTP requests made (retries included).
  returned: always
  type: int
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import (
    WandbApiError,
    WandbAuthError,
    api_from_params,
    read_api_key,
    server_api_argument_spec,
)


def main():
    module = AnsibleModule(
        argument_spec=server_api_argument_spec(
            require_admin=dict(type="bool", default=True),
            wait_ready=dict(type="int", default=0),
        ),
        required_one_of=[("api_key", "api_key_file")],
        mutually_exclusive=[("api_key", "api_key_file")],
        supports_check_mode=True,
    )
    p = module.params
    try:
        client = api_from_params(p, read_api_key(module))
    except WandbApiError as exc:
        module.fail_json(msg=str(exc), attempts=0)
    try:
        if p["wait_ready"] > 0:
            client.wait_ready(p["wait_ready"])
        viewer = client.viewer()
        server_info = client.server_info()
    except WandbAuthError as exc:
        module.fail_json(msg="the admin API key was refused: %s" % exc, status=exc.status, attempts=client.attempts)
    except WandbApiError as exc:
        module.fail_json(msg=str(exc), status=exc.status, attempts=client.attempts)
    if p["require_admin"] and viewer.get("admin") is False:
        module.fail_json(msg="the key belongs to %s, who is not an admin; use the GLOBAL_ADMIN_API_KEY of the server"
                         % viewer.get("username"), attempts=client.attempts)
    module.exit_json(changed=False, viewer=viewer, server_info=server_info, attempts=client.attempts)


if __name__ == "__main__":
    main()
