"""Helpers of the organisation tests: the real wandb SDK as the referee, in its own process and home."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

# Reads, with the public SDK (wandb.Api), the users and the given teams: their members and service accounts.
_READ_BACK = r"""
import json, sys
import wandb
url, key, teams = sys.argv[1], sys.argv[2], sys.argv[3:]
api = wandb.Api(api_key=key, overrides={"base_url": url}, timeout=30)
out = {"users": sorted(user.email for user in api.users("") if user.email), "teams": {}}
for name in teams:
    team = api.team(name)
    members = [dict(member._attrs) for member in team.members]
    def kind(m):
        return str(m.get("account_type") or m.get("accountType") or "USER").upper()
    out["teams"][name] = {
        "members": {m.get("email") or m.get("username"): "admin" if m.get("admin") else "member"
                    for m in members if kind(m) != "SERVICE"},
        "service_accounts": sorted(m.get("name") or "" for m in members if kind(m) == "SERVICE"),
    }
print(json.dumps(out))
"""


def sdk_env(home: Path) -> dict:
    """This environment without WANDB_* settings, with its own HOME, netrc and wandb config dir."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WANDB_")}
    env.update(HOME=str(home), WANDB_CONFIG_DIR=str(home / ".config" / "wandb"), NETRC=str(home / ".netrc"),
               NO_PROXY="127.0.0.1,localhost", WANDB_SILENT="true")
    return env


def sdk_read_back(home: Path, url: str, key: str, teams) -> dict:
    """{'users': [emails], 'teams': {name: {'members': {email or username: role}, 'service_accounts': [names]}}}"""
    proc = subprocess.run([sys.executable, "-c", _READ_BACK, url, key] + list(teams), env=sdk_env(home),
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def wandb_login(home: Path, url: str, key: str) -> subprocess.CompletedProcess:
    """`wandb login --relogin --host URL KEY` with the venv's CLI, in its own home."""
    cli = Path(sys.executable).parent / "wandb"
    return subprocess.run([str(cli) if cli.exists() else "wandb", "login", "--relogin", "--host", url, key],
                          env=sdk_env(home), capture_output=True, text=True, timeout=120, check=False)
