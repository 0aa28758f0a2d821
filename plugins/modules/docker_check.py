#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
module: docker_check
version_added: 0.2.0
author: wandb_local.server maintainers (!UNKNOWN)
short_description: Tell whether a host has a Docker Engine socket and a Python Docker SDK Ansible can use
description:
  - Looks for the Docker Engine's socket and tries to import the Python Docker SDK in the interpreter Ansible runs
    modules with, the two things the C(docker_host) role needs before the server's container can be managed.
  - Both answers come from one module run (the role used to need a C(stat) and a C(command) for them).
  - Reads only; never changes anything.
options:
  socket:
    description: Path of the Docker Engine's Unix socket.
    type: path
    default: /var/run/docker.sock
"""

EXAMPLES = r"""
- name: Look for a Docker Engine and the Python Docker SDK
  wandb_local.server.docker_check:
    socket: /var/run/docker.sock
  register: docker_check
"""

RETURN = r"""
socket_exists:
  description: Whether the socket exists and is a socket.
  returned: always
  type: bool
sdk_version:
  description: Version of the importable Python Docker SDK; empty when it cannot be imported.
  returned: always
  type: str
  sample: 7.2.0
sdk_error:
  description: Why the SDK could not be imported; empty when it can.
  returned: always
  type: str
python:
  description: The interpreter this module ran with (Ansible's on this host).
  returned: always
  type: str
  sample: /usr/bin/python3
"""

import os
import stat
import sys

from ansible.module_utils.basic import AnsibleModule


def socket_exists(path):
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def sdk():
    """(version, error) of the Python Docker SDK in this interpreter."""
    try:
        import docker  # pylint: disable=import-outside-toplevel  # the question this module answers
    except Exception as exc:  # pylint: disable=broad-except  # any failure to import means "not usable"
        return "", "%s: %s" % (type(exc).__name__, exc)
    return str(getattr(docker, "__version__", "unknown")), ""


def main():
    module = AnsibleModule(argument_spec=dict(socket=dict(type="path", default="/var/run/docker.sock")),
                           supports_check_mode=True)
    version, error = sdk()
    module.exit_json(changed=False, socket_exists=socket_exists(module.params["socket"]), sdk_version=version,
                     sdk_error=error, python=sys.executable)


if __name__ == "__main__":
    main()
