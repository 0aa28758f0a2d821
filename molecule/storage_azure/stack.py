# Copyright (c) wandb_local.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start/stop Azurite and the local ARM/Event Grid fake for the storage_azure Molecule scenario.

`stack.py start DIR` starts both on 127.0.0.1 (free ports, each under `timeout`, own process group), writes a
random account key and client secret into DIR (mode 0600) and DIR/state.json (ports, pids). `stack.py stop DIR`
ends those process groups (by the recorded pids only).
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AZURITE_DIR = REPO / "tests" / "fixtures" / "azurite"
FAKE = REPO / "tests" / "fixtures" / "azure_fake" / "azure_fake.py"
ACCOUNT = "wandbmolecule"
RESOURCE_GROUP = "wandb-rg"
LIFETIME = "1800"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("nothing listens on 127.0.0.1:%d after %ss" % (port, seconds))


def secret_file(path, value):
    fd = os.open(str(path), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value)


def start(state_dir):
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    key = base64.b64encode(os.urandom(64)).decode("ascii")
    secret_file(state_dir / "account_key", key)
    secret_file(state_dir / "client_secret", secrets.token_urlsafe(24))
    binary = AZURITE_DIR / "node_modules" / ".bin" / "azurite"
    if not binary.exists():
        subprocess.run(["timeout", "600", "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                       cwd=str(AZURITE_DIR), check=True)
    blob, queue, table = free_port(), free_port(), free_port()
    azurite = subprocess.Popen(
        ["timeout", LIFETIME, str(binary), "--silent", "--location", str(state_dir / "azurite"),
         "--blobHost", "127.0.0.1", "--blobPort", str(blob), "--queueHost", "127.0.0.1", "--queuePort", str(queue),
         "--tableHost", "127.0.0.1", "--tablePort", str(table), "--skipApiVersionCheck", "--loose"],
        stdout=open(state_dir / "azurite.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True,
        env=dict(os.environ, AZURITE_ACCOUNTS="%s:%s" % (ACCOUNT, key)))
    port_file = state_dir / "fake.port"
    if port_file.exists():
        port_file.unlink()
    fake = subprocess.Popen(
        ["timeout", LIFETIME, sys.executable, str(FAKE), "--port", "0", "--port-file", str(port_file),
         "--resource-group", RESOURCE_GROUP, "--client-secret-file", str(state_dir / "client_secret"),
         "--account-key-file", "%s=%s" % (ACCOUNT, state_dir / "account_key")],
        stdout=open(state_dir / "fake.log", "wb"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    fake_port = int(port_file.read_text())
    for port in (blob, queue, fake_port):
        wait_port(port)
    state = {"account": ACCOUNT, "resource_group": RESOURCE_GROUP, "blob_port": blob, "queue_port": queue,
             "fake_port": fake_port, "pids": [azurite.pid, fake.pid]}
    (state_dir / "state.json").write_text(json.dumps(state))


def stop(state_dir):
    state_file = state_dir / "state.json"
    if not state_file.exists():
        return
    for pid in json.loads(state_file.read_text())["pids"]:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
    state_file.unlink()


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1]](Path(sys.argv[2]))
