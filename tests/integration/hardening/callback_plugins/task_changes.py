# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-only callback: which tasks reported `changed`, written as JSON to $WANDB_TEST_TASK_CHANGES.

The hardening tests compare the tasks a --check run reports changed with those the real run changes. Parsing
the default callback's text would depend on its layout; this records, per finished task, only its name (role
prefix included) and its status - never a result, so the file cannot carry a secret.
"""
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: task_changes
type: aggregate
short_description: records which tasks changed (tests only)
description: Writes a JSON list of {task, status, changed} to the file named by $WANDB_TEST_TASK_CHANGES.
requirements: [enabled in ANSIBLE_CALLBACKS_ENABLED]
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_changes"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.records = []

    def _record(self, result, status):
        task = result._task  # pylint: disable=protected-access  # the task of this result
        self.records.append({"task": task.get_name(), "status": status,
                             "changed": bool(result._result.get("changed"))})  # pylint: disable=protected-access

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._record(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("WANDB_TEST_TASK_CHANGES")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(self.records, handle, indent=1)
