# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""aws_storage runs inside Ansible's Python on the controller (plugin_utils/_in_process.py): boto3, imported here,
is imported once per run instead of once per task."""
from __future__ import annotations

from ansible_collections.wandb_local.server.plugins.module_utils import _aws
from ansible_collections.wandb_local.server.plugins.plugin_utils._in_process import InProcessModuleAction


class ActionModule(InProcessModuleAction):
    MODULE = "ansible_collections.wandb_local.server.plugins.modules.aws_storage"
    SDK_READY = _aws.HAS_BOTO3
