# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bench only (bench/run enables it): at the end of a playbook, write the CPU seconds of the ansible-playbook
process itself (the controller's main process: strategy, templating, results) and of every process it waited for
(workers and, through them, modules) to the JSON file $BENCH_CONTROLLER_TIMES."""
from __future__ import annotations

import json
import os
import resource

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: wandb_bench_cpu
type: aggregate
short_description: CPU seconds of the controller process, for bench/run
description:
  - Writes the user + system CPU seconds of the ansible-playbook process and of its waited-for children to the file
    named by the environment variable C(BENCH_CONTROLLER_TIMES) when the playbook ends.
requirements:
  - enabled in callbacks_enabled
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "wandb_bench_cpu"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_stats(self, stats):
        path = os.environ.get("BENCH_CONTROLLER_TIMES")
        if not path:
            return
        own = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        with open(path, "w", encoding="utf-8") as out:
            json.dump({"self": own.ru_utime + own.ru_stime, "children": children.ru_utime + children.ru_stime}, out)
