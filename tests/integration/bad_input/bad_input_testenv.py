"""Helpers of the bad-input tests: a tripwire port and one ansible-playbook run per wrong inventory."""
from __future__ import annotations

import json
import re
import socket
import sys
import threading
from pathlib import Path

from support.playbooks import REPO, run_playbook, write_play
from support.procs import LOCALHOST

SITE = REPO / "playbooks" / "site.yml"
PLAYBOOKS = {"site": SITE, "validate": REPO / "playbooks" / "validate.yml"}
HOST = "bad-input"
# One line per task result, so each failure is one JSON document after "=> ".
_FATAL = re.compile(r"^fatal: \[%s\]: FAILED! => (\{.*\})$" % re.escape(HOST), re.MULTILINE)


class Tripwire:
    """A TCP port on 127.0.0.1 that accepts and counts connections (closing each at once): wherever a wrong
    inventory would send an API call, a Redis PING or an OIDC discovery request, the count says it did."""

    def __init__(self):
        self._sock = socket.socket()
        self._sock.bind((LOCALHOST, 0))
        self._sock.listen(16)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.url = "http://%s:%d" % (LOCALHOST, self.port)
        self.connections = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stopping.is_set():
            try:
                conn, _addr = self._sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections += 1
            conn.close()

    def stop(self):
        self._stopping.set()
        self._thread.join(5)
        self._sock.close()


def write_inventory(path: Path, host_vars: dict) -> Path:
    """An inventory (JSON is YAML) with one host in wandb_servers, run locally with this Python."""
    host = dict(host_vars, ansible_connection="local", ansible_python_interpreter=sys.executable)
    path.write_text(json.dumps({"all": {"children": {"wandb_servers": {"hosts": {HOST: host}}}}}, indent=1))
    return path


def role_playbook(path: Path, role: str) -> Path:
    """A play that runs one role's entry point on the inventory's wandb_servers."""
    return write_play(path, tasks=[{"name": "Run the %s role" % role,
                                    "ansible.builtin.include_role": {"name": "wandb_local.server.%s" % role}}],
                      hosts="wandb_servers")


def run_case(workdir: Path, host_vars: dict, role: str | None = None, playbook: str = "site"):
    """ansible-playbook site.yml (validate.yml with playbook='validate', or a play of `role`) on an inventory of
    host_vars; returns the result and the failures of the host (the JSON results of its `fatal:` lines)."""
    workdir.mkdir(parents=True, exist_ok=True)
    inventory = write_inventory(workdir / "inventory.json", host_vars)
    playbook = PLAYBOOKS[playbook] if role is None else role_playbook(workdir / "play.json", role)
    result = run_playbook(playbook, None, "-i", inventory, local=False, verbose=False, diff=False, timeout=180,
                          env={"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_CALLBACK_RESULT_FORMAT": "json"})
    failures = [json.loads(match) for match in _FATAL.findall(result.output)]
    return result, failures
