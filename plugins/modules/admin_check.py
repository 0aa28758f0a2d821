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
  - HTTP 401 and 403 fail at once with a clear message; connection refused, timeouts and 5xx are retried with
    bounded exponential backoff.
  - "One deadline bounds the whole run: with O(wait_ready), the module ends within O(wait_ready) + O(timeout)
    seconds, also against a server that accepts connections and never answers; without it, within
    O(timeout) x (O(retries) + 1). A failure says how long it waited (measured) and what it last saw
    (C(HTTP 503), C(connection refused), C(timed out after 10s))."
options:
  require_admin:
    description: Fail when the server reports the viewer is not an admin (only when the server reports C(admin)).
    type: bool
    default: true
  wait_ready:
    description:
      - Seconds the whole check may take, starting with waiting for C(/ready) (one probe every 2 seconds, each given
        at most O(timeout) and never more than the time left); the queries after it share the rest of that time,
        and get at least one O(timeout). So the module ends within O(wait_ready) + O(timeout) seconds.
      - V(0) does not wait for C(/ready); the queries then end within O(timeout) x (O(retries) + 1) seconds.
    type: int
    default: 0
seealso:
  - module: wandb_local.server.settings
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
  - wandb_local.server._wandb_api
  - wandb_local.server._ca_certificates
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
elapsed:
  description: Seconds the module spent waiting for the server and asking it (measured).
  returned: always
  type: float
"""

import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import (
    WandbApiError,
    WandbAuthError,
    api_from_params,
    read_api_key,
    server_api_argument_spec,
)
from ansible_collections.wandb_local.server.plugins.module_utils._custom_ca import ca_certificates_argument_spec


def main():
    module = AnsibleModule(
        argument_spec=server_api_argument_spec(
            require_admin=dict(type="bool", default=True),
            wait_ready=dict(type="int", default=0),
            **ca_certificates_argument_spec()
        ),
        required_one_of=[("api_key", "api_key_file")],
        mutually_exclusive=[("api_key", "api_key_file")],
        supports_check_mode=True,
    )
    p = module.params
    start = time.monotonic()
    try:
        client = api_from_params(p, read_api_key(module))
    except WandbApiError as exc:
        module.fail_json(msg=str(exc), attempts=0, elapsed=0.0)

    def elapsed():
        return round(time.monotonic() - start, 1)

    try:
        # One deadline for the whole check (see DOCUMENTATION): the /ready wait ends by start + wait_ready, the
        # queries after it by the same time, or one request timeout after the server became ready.
        if p["wait_ready"] > 0:
            client.wait_ready(p["wait_ready"])
            until = max(start + p["wait_ready"], time.monotonic() + p["timeout"])
        else:
            until = start + client.deadline
        viewer = client.viewer(until=until)
        # serverInfo is informational: only asked when time is left.
        server_info = client.server_info(until=until) if until - time.monotonic() > 0.1 else {}
    except WandbAuthError as exc:
        module.fail_json(msg="the admin API key was refused: %s" % exc, status=exc.status, attempts=client.attempts,
                         elapsed=elapsed())
    except WandbApiError as exc:
        module.fail_json(msg="%s (the check gave up after %.1fs)" % (exc, time.monotonic() - start),
                         status=exc.status, attempts=client.attempts, elapsed=elapsed())
    if p["require_admin"] and viewer.get("admin") is False:
        module.fail_json(msg="the key belongs to %s, who is not an admin; use the GLOBAL_ADMIN_API_KEY of the server"
                         % viewer.get("username"), attempts=client.attempts, elapsed=elapsed())
    module.exit_json(changed=False, viewer=viewer, server_info=server_info, attempts=client.attempts,
                     elapsed=elapsed())


if __name__ == "__main__":
    main()
