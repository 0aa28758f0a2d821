"""Bench only (bench_stack.playbook puts this directory on PYTHONPATH): a module process appends its own user and
system CPU seconds, one line "U S", to $BENCH_MODULE_TIMES when it ends; the "modules" share of a run's CPU.

A module process is a Python that imported Ansible's module code but not its controller: the ansible-playbook process
and its forked workers (which run in-process modules, plugins/plugin_utils/_in_process.py) hold ansible.cli."""
import atexit
import os
import resource
import sys


def _record_module_cpu():
    if "ansible.module_utils.basic" not in sys.modules or "ansible.cli" in sys.modules:
        return
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with open(os.environ["BENCH_MODULE_TIMES"], "a", encoding="utf-8") as times:
        times.write("%.3f %.3f\n" % (usage.ru_utime, usage.ru_stime))


if os.environ.get("BENCH_MODULE_TIMES"):
    atexit.register(_record_module_cpu)
