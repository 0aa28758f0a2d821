"""Running ansible-playbook the way a user does, from the checkout."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def playbook(playbook_path, extra_vars, *options, timeout=600, env=None):
    """Run ansible-playbook; return CompletedProcess with .stdout (stdout+stderr)."""
    run_env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
                   ANSIBLE_FORCE_COLOR="0", ANSIBLE_STDOUT_CALLBACK="default")
    run_env.update(env or {})
    cmd = ["ansible-playbook", str(playbook_path), "-e", json.dumps(extra_vars)] + list(options)
    return subprocess.run(cmd, cwd=REPO, env=run_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout, check=False)


def recap(output):
    """PLAY RECAP counters of the (single) host, e.g. {'ok': 20, 'changed': 0, 'failed': 0, ...}."""
    match = re.search(r"^\S+\s+:\s+(ok=.*)$", output.split("PLAY RECAP")[-1], re.MULTILINE)
    assert match, "no PLAY RECAP in output:\n" + output[-3000:]
    return dict((key, int(value)) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1)))
