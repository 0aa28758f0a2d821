# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Start/stop moto for the team_storage Molecule scenario, on 127.0.0.1.

`aws_stack.py start DIR`: moto_server on a free port under `timeout`, in its own process group; then the node IAM
role and a KMS key with the alias alias/wandb-team-molecule; port, pid and key ARN go to DIR/state.json.
`aws_stack.py stop DIR`: end the recorded process group (by pid only).
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

LIFETIME = "1800"
ROLE = "wandb-team-molecule-node"
ALIAS = "alias/wandb-team-molecule"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(state_dir):
    import boto3

    state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(state_dir, 0o700)
    port = free_port()
    with open(state_dir / "moto.log", "wb") as log:
        proc = subprocess.Popen(  # pylint: disable=consider-using-with
            ["timeout", LIFETIME, str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    state = {"port": port, "pid": proc.pid, "endpoint": "http://127.0.0.1:%d" % port, "role": ROLE}
    (state_dir / "state.json").write_text(json.dumps(state))
    deadline = time.monotonic() + 30
    while True:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit("moto_server did not start on 127.0.0.1:%d" % port)
        time.sleep(0.2)
    kwargs = {"endpoint_url": state["endpoint"], "region_name": "us-east-1"}
    boto3.client("iam", **kwargs).create_role(RoleName=ROLE, AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "ec2.amazonaws.com"}}]}))
    kms = boto3.client("kms", **kwargs)
    key = kms.create_key(Description="wandb team molecule")["KeyMetadata"]
    kms.create_alias(AliasName=ALIAS, TargetKeyId=key["KeyId"])
    state["key_arn"] = key["Arn"]
    (state_dir / "state.json").write_text(json.dumps(state))


def stop(state_dir):
    state_file = state_dir / "state.json"
    if not state_file.exists():
        return
    try:
        os.killpg(json.loads(state_file.read_text())["pid"], signal.SIGTERM)
    except ProcessLookupError:
        pass
    state_file.unlink()


if __name__ == "__main__":
    {"start": start, "stop": stop}[sys.argv[1]](Path(sys.argv[2]))
