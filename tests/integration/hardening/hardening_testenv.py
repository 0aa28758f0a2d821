# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Names and helpers of the hardening tests (a module of its own: `conftest` is ambiguous across directories).

- `make_secrets()`: one random, unmistakable token per secret a role takes;
- `run_case_playbook()`: ansible-playbook -vvv --diff (optionally --check) of one case's play, recording through
  the test-only `task_changes` callback which tasks changed;
- `docker_state()`, `files_state()`: what a run may have created on the Docker engine and on disk;
- `secret_hits()`: where secret values occur in a text or under a directory.
"""
from __future__ import annotations

import base64
import json
import os
import secrets
import stat
from pathlib import Path

from support import playbooks

HERE = Path(__file__).resolve().parent
CALLBACKS = HERE / "callback_plugins"

# The GCP fake's project and the server's service account (the fake knows only this one).
GCP_PROJECT = "wandb-hardening"
GCP_PROJECT_NUMBER = "434343434343"
GCP_SERVER_SA = "wandb-server@wandb-hardening.iam.gserviceaccount.com"
# The Azure names: Azurite serves one account, the ARM fake one resource group in one tenant.
AZURE_ACCOUNT = "wandbhardening"
AZURE_SUBSCRIPTION = "7a2b3c4d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"
AZURE_RESOURCE_GROUP = "wandb-hardening-rg"
AZURE_TENANT = "1b2c3d4e-0000-4000-8000-00000000bbbb"
AZURE_CLIENT_ID = "fake-client"

# Every secret the roles take from inventory (or, for AWS, from the environment the SDK reads).
SECRET_NAMES = ("admin_api_key", "license", "mysql_password", "oidc_secret", "slack_secret", "redis_password",
                "azure_storage_key", "azure_account_key", "azure_client_secret", "aws_secret_key")


def make_secrets() -> dict:
    """Random values, each with a marker no role output contains by chance. Letters and digits only (except the
    base64 Azure account key, which must be a key), so a URL or config file holds them verbatim."""
    def token(label):
        return "leak%s%s" % (label, secrets.token_hex(12))
    values = {name: token(name.replace("_", "")[:10]) for name in SECRET_NAMES}
    values["admin_api_key"] = "local-" + secrets.token_hex(20)  # the role's format: local- + 40 letters/digits
    # A compact JWS, as the license check wants; the payload part is the unmistakable token.
    values["license"] = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.%s.%s" % (token("license"), secrets.token_hex(8))
    values["azure_account_key"] = base64.b64encode(os.urandom(64)).decode("ascii")
    return values


def secret_marker(name: str, value: str) -> str:
    """The part of a secret that must never be shown: the random token (the license's payload; the whole value
    otherwise)."""
    return value.split(".")[1] if name == "license" else value


def secret_hits(text: str, wanted: dict) -> list:
    """Names of the secrets in `wanted` ({name: value}) whose marker occurs in text."""
    return sorted(name for name, value in wanted.items() if secret_marker(name, value) in text)


def files_with_secrets(root: Path, wanted: dict) -> dict:
    """{path relative to root: (mode, [secret names])} for every file under root holding a secret."""
    found = {}
    for path in sorted(Path(root).rglob("*")):
        if path.is_file() and not path.is_symlink():
            hits = secret_hits(path.read_text(errors="replace"), wanted)
            if hits:
                found[str(path.relative_to(root))] = (stat.S_IMODE(path.stat().st_mode), hits)
    return found


def files_state(root: Path) -> dict:
    """{relative path: (kind, mode, size)} of everything under root."""
    state = {}
    for path in sorted(Path(root).rglob("*")):
        info = path.lstat()
        kind = "dir" if stat.S_ISDIR(info.st_mode) else "file"
        state[str(path.relative_to(root))] = (kind, oct(stat.S_IMODE(info.st_mode)),
                                              0 if kind == "dir" else info.st_size)
    return state


def docker_state(client, tag: str) -> dict:
    """The containers (with status), volumes and networks whose names carry the case's tag. Other sessions use
    the same engine, so only names with the tag count."""
    return {
        "containers": sorted((c.name, c.status) for c in client.containers.list(all=True, filters={"name": tag})),
        "volumes": sorted(v.name for v in client.volumes.list() if tag in v.name),
        "networks": sorted(n.name for n in client.networks.list() if tag in n.name),
    }


class CaseRun:
    """One ansible-playbook run of a case: its output and the tasks that reported changed."""

    def __init__(self, result: playbooks.PlaybookResult, records: list):
        self.result = result
        self.output = result.output
        self.records = records

    @property
    def changed_tasks(self) -> set:
        return {record["task"] for record in self.records if record["changed"]}

    @property
    def changed(self) -> int:
        return self.result.recap()["changed"]


def run_case_playbook(play: Path, extra_vars: dict, runs_dir: Path, label: str, check: bool,
                      env: dict | None = None, timeout: int = 300, connection: tuple = ()) -> CaseRun:
    """ansible-playbook -vvv --diff [--check] PLAY, on localhost or with `connection` (inventory and connection
    options); fails the test when the run fails."""
    record = runs_dir / ("%s.changes.json" % label)
    run_env = {"ANSIBLE_STDOUT_CALLBACK": "default", "ANSIBLE_CALLBACK_PLUGINS": str(CALLBACKS),
               "ANSIBLE_CALLBACKS_ENABLED": "task_changes", "WANDB_TEST_TASK_CHANGES": str(record)}
    run_env.update(env or {})
    result = playbooks.run_playbook(play, extra_vars, *connection, local=not connection, check=check,
                                    timeout=timeout, env=run_env)
    (runs_dir / ("%s.log" % label)).write_text(result.output)
    assert result.returncode == 0, "%s failed:\n%s" % (label, result.output[-6000:])
    return CaseRun(result, json.loads(record.read_text()))


def write_case_play(path: Path, roles: list, gather_facts: bool, tasks: list | None = None,
                    hosts: str = "localhost") -> Path:
    """A one-play playbook on `hosts` running `roles` (FQCN names) and then `tasks`."""
    play = {"name": "hardening: " + ", ".join(roles), "hosts": hosts, "gather_facts": gather_facts,
            "roles": [{"role": "wandb_local.server." + role} for role in roles]}
    if tasks:
        play["tasks"] = tasks
    path.write_text(json.dumps([play], indent=1))
    return path
