# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start/stop the Google Cloud test stack of the storage_gcp Molecule scenario, all on 127.0.0.1.

`stack.py start DIR`: the Pub/Sub emulator of the Google Cloud CLI, gcp-storage-emulator and the API fake
(tests/fixtures/gcp_fake, forwarding bucket and topic/subscription calls to the two emulators after checking
them), each on a free port, under `timeout`, in its own process group; ports and pids go to DIR/state.json.
`stack.py events DIR PROJECT TOPIC`: also start fake-gcs-server publishing OBJECT_FINALIZE to that topic of the
Pub/Sub emulator (its port is added to state.json).
`stack.py stop DIR`: end the recorded process groups (by pid only).
Processes and emulator command lines: tests/support (shared with pytest).
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from support import emulators  # noqa: E402
from support.procs import stop_recorded, wait_port  # noqa: E402

PROJECT_NUMBER = "424242424242"
SERVER_SA = "wandb-server@wandb-molecule.iam.gserviceaccount.com"
LIFETIME = 1800


def start(state_dir):
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    pubsub = emulators.pubsub_emulator(state_dir / "pubsub.log", seconds=LIFETIME)
    storage = emulators.gcp_storage_emulator(state_dir / "storage.log", seconds=LIFETIME)
    fake = emulators.api_fake("gcp_fake", state_dir, [
        "--project-number", PROJECT_NUMBER, "--service-account", SERVER_SA, "--storage-upstream", storage.url,
        "--pubsub-upstream", pubsub.url], seconds=LIFETIME)
    state = {"pubsub_port": pubsub.port, "storage_port": storage.port, "pids": [pubsub.pid, storage.pid, fake.pid],
             "project_number": PROJECT_NUMBER, "server_sa": SERVER_SA}
    (state_dir / "state.json").write_text(json.dumps(state))
    state["fake_port"] = emulators.wait_api_fake(fake, 90)
    wait_port(pubsub.port, 90, proc=pubsub)
    wait_port(storage.port, 90, proc=storage)
    (state_dir / "state.json").write_text(json.dumps(state))


def events(state_dir, project, topic):
    state = json.loads((state_dir / "state.json").read_text())
    proc = emulators.fake_gcs_server(state_dir / "fake-gcs.log", "127.0.0.1:%d" % state["pubsub_port"], project,
                                     topic, seconds=LIFETIME)
    state["pids"].append(proc.pid)
    state["gcs_events_port"] = proc.port
    (state_dir / "state.json").write_text(json.dumps(state))
    wait_port(proc.port, 30, proc=proc)
    print(proc.port)


def stop(state_dir):
    stop_recorded(state_dir / "state.json")


if __name__ == "__main__":
    command, directory = sys.argv[1], Path(sys.argv[2])
    if command == "events":
        events(directory, sys.argv[3], sys.argv[4])
    else:
        {"start": start, "stop": stop}[command](directory)
