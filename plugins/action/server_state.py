# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""server_state runs inside Ansible's Python when the server's host is the controller itself, with this very Python
(plugin_utils/_in_process.py): the Docker SDK, imported here, is imported once per run instead of once per host.
Only with the same Python: the check says whether the host's Python has the Docker SDK the converge path needs."""
from __future__ import annotations

from ansible_collections.wandb_local.server.plugins.module_utils import _wandb_container
from ansible_collections.wandb_local.server.plugins.plugin_utils._in_process import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    MODULE = "ansible_collections.wandb_local.server.plugins.modules.server_state"
    SDK_READY = _wandb_container.HAS_DOCKER
    SAME_PYTHON = True
