#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
---
module: server_info
short_description: The version a W&B server runs and whether it is out of date
version_added: 0.3.0
author: wandb_local.server maintainers (!UNKNOWN)
description:
  - "Asks the server's GraphQL C(serverInfo { cliVersionInfo latestLocalVersionInfo { outOfDate latestVersionString
    versionOnThisInstanceString } }) (wandb/wandb core/api/graphql/query_server_info.graphql), with an API key (the
    server refuses it without one)."
  - HTTP 401/403 fail at once saying so; HTTP 429 and 5xx are retried with a jittered backoff, nothing else.
extends_documentation_fragment:
  - wandb_local.server._attributes.read_only
  - wandb_local.server._wandb_api
  - wandb_local.server._ca_certificates
seealso:
  - module: wandb_local.server.admin_check
"""

EXAMPLES = r"""
- name: Version of the server
  wandb_local.server.server_info:
    api_key_file: /etc/wandb-local/admin-api-key
  register: wandb_server_info
"""

RETURN = r"""
version:
  description: The version this instance runs (C(versionOnThisInstanceString)); null when the server does not say.
  returned: success
  type: str
  sample: 0.74.0
latest_version:
  description: The latest version the server knows of (C(latestVersionString)); null when it does not say.
  returned: success
  type: str
out_of_date:
  description: Whether the server says it is out of date (C(outOfDate)); null when it does not say.
  returned: success
  type: bool
cli_version_info:
  description: C(cliVersionInfo) (the SDK versions the server supports, e.g. C(max_cli_version)), when present.
  returned: when the server answers it
  type: dict
"""

import json

from ansible_collections.wandb_local.server.plugins.module_utils._wandb_api import WandbApiError
from ansible_collections.wandb_local.server.plugins.module_utils._wandb_org import fail, org_client, org_module


def main():
    module = org_module()
    org = org_client(module)
    try:
        info = org.server_info()
    except WandbApiError as exc:
        fail(module, exc, "reading serverInfo")
    local = info.get("latestLocalVersionInfo") or {}
    result = dict(changed=False, version=local.get("versionOnThisInstanceString"),
                  latest_version=local.get("latestVersionString"), out_of_date=local.get("outOfDate"))
    cli = info.get("cliVersionInfo")
    if isinstance(cli, str):  # a JSON scalar on some servers
        try:
            cli = json.loads(cli)
        except ValueError:
            cli = {"text": cli}
    if cli:
        result["cli_version_info"] = cli
    module.exit_json(**result)


if __name__ == "__main__":
    main()
