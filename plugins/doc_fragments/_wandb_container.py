# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which server container and env file a module works on; the argument spec is ``container_argument_spec()``
in module_utils/_wandb_container.py."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  container_name:
    description: Name of the server container.
    type: str
    default: wandb-local
  env_file:
    description: The server's env file. Default C(/etc/wandb-local/<container_name>.env).
    type: path
  docker_host:
    description: Docker daemon URL. Default C(DOCKER_HOST) or the local socket.
    type: str
requirements:
  - docker (Python Docker SDK) >= 5.0
"""
