# Copyright (c) wandb_local.server contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start/stop Azurite and the local ARM/Event Grid fake for the storage_azure Molecule scenario.

`stack.py start DIR` starts both on 127.0.0.1 (free ports, each under `timeout`, own process group), writes a
random account key and client secret into DIR (mode 0600) and DIR/state.json (ports, pids). The fake serves HTTPS
with a test CA it makes in DIR/tls (ca.pem: the modules' ca_path). `stack.py stop DIR`
ends those process groups (by the recorded pids only). Processes and emulators: tests/support (shared with pytest).
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from support import emulators  # noqa: E402
from support.procs import stop_recorded  # noqa: E402

ACCOUNT = "wandbmolecule"
RESOURCE_GROUP = "wandb-rg"
LIFETIME = 1800


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
    azurite = emulators.azurite(state_dir / "azurite", state_dir / "azurite.log", ACCOUNT, key, seconds=LIFETIME)
    fake = emulators.api_fake("azure_fake", state_dir, [
        "--tls-dir", state_dir / "tls", "--resource-group", RESOURCE_GROUP, "--client-secret-file", state_dir / "client_secret",
        "--account-key-file", "%s=%s" % (ACCOUNT, state_dir / "account_key")], seconds=LIFETIME)
    try:
        fake_port = emulators.wait_api_fake(fake, 60)
        azurite.wait_ready(60)
    except BaseException:
        azurite.stop()
        fake.stop()
        raise
    state = {"account": ACCOUNT, "resource_group": RESOURCE_GROUP, "blob_port": azurite.ports["blob"],
             "queue_port": azurite.ports["queue"], "fake_port": fake_port, "pids": [azurite.pid, fake.pid]}
    (state_dir / "state.json").write_text(json.dumps(state))


def stop(state_dir):
    stop_recorded(state_dir / "state.json")


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1]](Path(sys.argv[2]))
