# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""ansible-playbook the way a user runs it from the checkout, for the tests.

`run_playbook()` runs `ansible-playbook` (by default `-vvv --diff` on localhost with `-c local` and this Python)
with the repository's ansible.cfg, no colours, extra vars from a 0600 file in a private temporary directory
(removed afterwards), bounded by `timeout` (its whole process group). The result has the combined output and
`recap()` (the PLAY RECAP counters).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def ansible_tool(name: str = "ansible-playbook") -> str:
    """The venv's ansible tool next to this Python, else the one on PATH."""
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else name


def ansible_env(extra: dict | None = None) -> dict:
    """os.environ plus the repository's ansible.cfg, no colours, no localhost/inventory warnings."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false")
    env.update(extra or {})
    return env


def strategy_env(strategy: str) -> dict:
    """The environment that runs ansible-playbook with this strategy: Ansible's own `linear` ({}), or Mitogen's
    `mitogen_linear` (README "Faster runs with Mitogen"; raises ImportError without the mitogen package)."""
    if strategy == "linear":
        return {}
    import ansible_mitogen  # pylint: disable=import-outside-toplevel  # optional: only this strategy needs it
    plugins = Path(ansible_mitogen.__file__).resolve().parent / "plugins" / "strategy"
    return {"ANSIBLE_STRATEGY_PLUGINS": str(plugins), "ANSIBLE_STRATEGY": strategy}


def recap(output: str, required: bool = True) -> dict:
    """PLAY RECAP counters of the (single) host, e.g. {'ok': 20, 'changed': 0, 'failed': 0, ...}; {} when there
    is no recap and required is False."""
    match = re.search(r"^\S+\s+:\s+(ok=.*)$", output.split("PLAY RECAP")[-1], re.MULTILINE)
    if not match:
        assert not required, "no PLAY RECAP in output:\n" + output[-3000:]
        return {}
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


class PlaybookResult:
    """Exit status and combined stdout+stderr of one ansible-playbook run."""

    def __init__(self, returncode: int, output: str, cmd: list):
        self.returncode = returncode
        self.output = output
        self.cmd = cmd

    @property
    def stdout(self) -> str:
        """The combined output (stdout and stderr as written)."""
        return self.output

    def recap(self, required: bool = True) -> dict:
        return recap(self.output, required)

    def __repr__(self) -> str:
        return "PlaybookResult(rc=%d, output=...%r)" % (self.returncode, self.output[-2000:])


def write_play(path, tasks: list | None = None, roles: list | None = None, name: str = "test play",
               play_vars: dict | None = None, hosts: str = "localhost") -> Path:
    """Write a one-play playbook (JSON, which is YAML) to path; return path."""
    play = {"name": name, "hosts": hosts, "gather_facts": False}
    if play_vars is not None:
        play["vars"] = play_vars
    if roles is not None:
        play["roles"] = roles
    if tasks is not None:
        play["tasks"] = tasks
    path = Path(path)
    path.write_text(json.dumps([play], indent=1))
    return path


def role_publish_tasks(role: str, published: str, dest) -> list:
    """Tasks: include_role wandb_local.server.<role>, then keep the variable it published (`published`, e.g.
    redis_server_settings) as JSON in dest (0600, no_log) for the test to read."""
    return [
        {"name": "Run the %s role" % role, "ansible.builtin.include_role": {"name": "wandb_local.server.%s" % role}},
        {"name": "Keep the published env for the test", "no_log": True,
         "ansible.builtin.copy": {"content": "{{ %s | to_json }}" % published, "dest": str(dest), "mode": "0600"}},
    ]


def run_playbook(playbook, extra_vars: dict | None = None, *options, local: bool = True, verbose: bool = True,
                 diff: bool = True, check: bool = False, timeout: int = 300, env: dict | None = None) -> PlaybookResult:
    """ansible-playbook [-i localhost, -c local] [-vvv] [--diff] [--check] -e @VARS OPTIONS... PLAYBOOK, from the
    checkout, within `timeout` seconds. local=False uses the inventory of ansible.cfg."""
    with tempfile.TemporaryDirectory(prefix="wandb-playbook-") as private:
        cmd = [ansible_tool()]
        if local:
            cmd += ["-i", "localhost,", "-c", "local", "-e", "ansible_python_interpreter=%s" % sys.executable]
        if verbose:
            cmd.append("-vvv")
        if diff:
            cmd.append("--diff")
        if check:
            cmd.append("--check")
        if extra_vars is not None:
            vars_file = Path(private) / "extra-vars.json"
            fd = os.open(str(vars_file), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(extra_vars, handle)
            cmd += ["-e", "@%s" % vars_file]
        cmd += [str(option) for option in options] + [str(playbook)]
        proc = subprocess.run(["timeout", str(timeout)] + cmd, cwd=str(REPO), env=ansible_env(env),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout + 60,
                              check=False)
    return PlaybookResult(proc.returncode, proc.stdout, cmd)


def run_tasks(workdir, tasks: list, extra_vars: dict | None = None, name: str = "test play",
              **options) -> PlaybookResult:
    """Write a play of `tasks` on localhost to workdir/play.yml and run it (run_playbook keyword options)."""
    return run_playbook(write_play(Path(workdir) / "play.yml", tasks, name=name), extra_vars, **options)
