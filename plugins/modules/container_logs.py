#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: container_logs
version_added: 0.1.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Last lines of a container's log, credentials redacted
description:
  - Reads the last lines of a container's log through the Docker Engine API, for error messages such as
    "the W&B server never became ready". Lines that look like they carry a password, secret, token or API key
    have the value replaced, since the server prints temporary credentials there (LOCAL_RESTORE).
  - Never changes anything.
options:
  name:
    description: Container name or id.
    type: str
    required: true
  tail:
    description: Number of lines from the end.
    type: int
    default: 40
  docker_host:
    description: Docker Engine API URL.
    type: str
    default: unix:///var/run/docker.sock
    aliases: [docker_url]
  timeout:
    description: Seconds to wait for the Docker Engine API.
    type: int
    default: 60
requirements:
  - docker (Python Docker SDK)
"""

EXAMPLES = r"""
- name: Show why the server did not start
  wandb_local.server.container_logs:
    name: wandb-local
    tail: 50
  register: logs
"""

RETURN = r"""
exists:
  description: Whether the container exists.
  returned: always
  type: bool
lines:
  description: The last lines of the log, credentials redacted.
  returned: always
  type: list
  elements: str
status:
  description: Container state (running, exited, ...), empty when it does not exist.
  returned: always
  type: str
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container as wc


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            tail=dict(type="int", default=40),
            docker_host=dict(type="str", default="unix:///var/run/docker.sock", aliases=["docker_url"]),
            timeout=dict(type="int", default=60),
        ),
        supports_check_mode=True,
    )
    wc.require_docker(module)
    name = module.params["name"]
    try:
        api = wc.client(module.params["docker_host"], module.params["timeout"])
        attrs = wc.inspect(api, name)
        if attrs is None:
            module.exit_json(changed=False, exists=False, lines=[], status="")
        text = wc.logs(api, name, tail=module.params["tail"])
    except Exception as exc:  # the Docker SDK raises several unrelated types (APIError, requests errors)
        module.fail_json(msg="Cannot read the log of container %s through %s: %s. Is Docker running?"
                         % (name, module.params["docker_host"], exc))
    lines = [wc.redact(line) for line in text.splitlines()]
    module.exit_json(changed=False, exists=True, lines=lines, status=attrs["State"]["Status"])


if __name__ == "__main__":
    main()
