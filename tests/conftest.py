"""Shared pytest helpers.

Makes `ansible_collections.wandb_local.server` importable from the checkout (through the
`collections/` symlink) and the shared test support package `support` (tests/support: processes, emulators,
ansible-playbook runs) importable, and gives tests `run_module`, which runs a module's `main()` in-process the
way Ansible would and returns its JSON result.
"""
from __future__ import annotations

import io
import json
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT / "collections"))
if str(REPO_ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "tests"))

from ansible.module_utils.testing import patch_module_args  # noqa: E402


class ModuleResult(dict):
    """A module's result dict; `.failed` and `.changed` for readable asserts."""

    @property
    def failed(self) -> bool:
        return bool(self.get("failed"))

    @property
    def changed(self) -> bool:
        return bool(self.get("changed"))


def run_module(module, args: dict, check_mode: bool = False, diff: bool = False) -> ModuleResult:
    """Run `module.main()` with `args`; return the parsed result (exit_json or fail_json)."""
    full_args = dict(args)
    full_args["_ansible_check_mode"] = check_mode
    full_args["_ansible_diff"] = diff
    out = io.StringIO()
    with patch_module_args(full_args), redirect_stdout(out):
        with pytest.raises(SystemExit):
            module.main()
    text = out.getvalue()
    return ModuleResult(json.loads(text[text.index("{"):]))


@pytest.fixture(name="run_module")
def run_module_fixture():
    return run_module
