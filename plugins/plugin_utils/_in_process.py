# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a module of this collection inside Ansible's own Python when it runs on the controller.

The storage roles call their cloud APIs from the controller (`storage_api_host: localhost`), and the server's state
check (one task per no-change run) runs there for a server on the controller. As a module, every such task starts a
new Python that imports ansible's module code and its SDK again (boto3 alone ~0.2-0.45 CPU s, the Docker SDK ~0.1)
for a handful of API calls. As an action plugin running the same module's `main()` in the task's worker process, the SDK
is imported once per run: the linear strategy loads an action plugin's class in the controller process before it
forks the workers, so the SDK imported at the top of the action plugin's file is already there in every worker.

The module runs unchanged: the same arguments (with module_defaults, check mode, diff and no_log flags, as
`_execute_module` sends them), the same argument spec, the same JSON result. It runs in-process only when running it
as a module would run it on this machine as this user anyway: the local connection, no become, no `environment`
keyword, no async, and the SDK importable here. Anything else, or `wandb_local_in_process: false`, runs the module as
usual (the host's interpreter, its SDK).
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import sys

from ansible.module_utils import basic
from ansible.module_utils.common.json import Direction, get_module_encoder
from ansible.module_utils.parsing.convert_bool import boolean
from ansible.plugins.action import ActionBase
from ansible.utils.vars import merge_hash

# The profile Ansible serialises this collection's module arguments and results with (modules that declare none).
PROFILE = "legacy"
LOCAL_CONNECTIONS = ("local", "ansible.builtin.local", "ansible.legacy.local")
SWITCH = "wandb_local_in_process"


class InProcessModuleAction(ActionBase):
    """Action plugin of a module (`MODULE`: its import path) that runs it in-process when it can (see above).

    `SDK_READY`: whether the module's SDK imported in this Python (the subclass imports it at the top of its file).
    `SAME_PYTHON`: run in-process only when the host's Python is this very one (ansible_python_interpreter is
    ansible_playbook_python), for a module whose result describes the Python that later modules of the host use."""

    _supports_check_mode = True
    _supports_async = True
    MODULE = ""
    SDK_READY = False
    SAME_PYTHON = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp  # no longer has any effect
        task_vars = task_vars or {}
        if self._runs_in_process(task_vars):
            return merge_hash(result, self._run_in_process(task_vars))
        wrap_async = self._task.async_val and not self._connection.has_native_async
        result = merge_hash(result, self._execute_module(task_vars=task_vars, wrap_async=wrap_async))
        if not wrap_async:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        return result

    def _runs_in_process(self, task_vars):
        """True where a module run would be this Python's machine and user anyway."""
        if not self.SDK_READY or not boolean(task_vars.get(SWITCH, True), strict=False):
            return False
        if self.SAME_PYTHON and self._templar.template(task_vars.get("ansible_python_interpreter")) != sys.executable:
            return False
        return (self._connection.transport in LOCAL_CONNECTIONS
                and not self._play_context.become
                and not self._task.async_val
                # The keyword is a list of mappings (play, block, task): [{}] when none sets it.
                and not any(self._task.environment or []))

    def _run_in_process(self, task_vars):
        module_args = dict(self._task.args)
        self._update_module_args(self._task.action, module_args, task_vars)
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": module_args},
                             cls=get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE))
        module = importlib.import_module(self.MODULE)
        # AnsibleModule reads its arguments from these globals when they are set (the module's own stdin otherwise);
        # the worker process ends with this task, so nothing of them outlives it.
        basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = payload.encode(), PROFILE
        output = io.StringIO()
        rc = 0
        try:
            with contextlib.redirect_stdout(output):
                module.main()
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        finally:
            basic._ANSIBLE_ARGS, basic._ANSIBLE_PROFILE = None, None
        data = self._parse_returned_data({"rc": rc, "stdout": output.getvalue(), "stderr": ""}, PROFILE)
        data.pop("_ansible_suppress_tmpdir_delete", None)
        return data
