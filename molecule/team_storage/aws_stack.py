# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start/stop moto for the team_storage Molecule scenario, on 127.0.0.1.

`aws_stack.py start DIR`: moto_server on a free port under `timeout`, in its own process group; then the node IAM
role and a KMS key with the alias alias/wandb-team-molecule; port, pid and key ARN go to DIR/state.json.
`aws_stack.py stop DIR`: end the recorded process group (by pid only).
Processes and the moto command line: tests/support (shared with pytest).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from support import emulators  # noqa: E402
from support.procs import stop_recorded  # noqa: E402

LIFETIME = 1800
ROLE = "wandb-team-molecule-node"
ALIAS = "alias/wandb-team-molecule"


def start(state_dir):
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    proc = emulators.moto(state_dir / "moto.log", seconds=LIFETIME)
    state = {"port": proc.port, "pid": proc.pid, "endpoint": proc.url, "role": ROLE}
    (state_dir / "state.json").write_text(json.dumps(state))
    proc.wait_ready(30)
    key_arn = emulators.moto_node_role_and_key(proc.url, ROLE, ALIAS, "wandb team molecule")
    state["key_arn"] = key_arn
    (state_dir / "state.json").write_text(json.dumps(state))


def stop(state_dir):
    stop_recorded(state_dir / "state.json")


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1]](Path(sys.argv[2]))
