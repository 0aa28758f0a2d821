# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The test stack the benchmarks run on: emulators, stand-in instances, inventories, timed playbook runs.

Everything listens on 127.0.0.1 and is bounded: the emulators run as `support.procs.BackgroundProcess`
(`timeout`, own process group), every ansible-playbook run has a `timeout`. Every container and volume the bench
creates carries the session's name prefix, so `Stack.close()` finds and removes them all.
"""
from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(REPO / "tests"))

# pylint: disable=wrong-import-position  # support lives under tests/, added to the path just above
from support import emulators  # noqa: E402
from support.playbooks import ansible_env, ansible_tool, recap  # noqa: E402
from support.procs import BackgroundProcess, free_port, free_ports  # noqa: E402

STANDIN_IMAGE = os.environ.get("WANDB_BENCH_SERVER_IMAGE", "wandb-local-test/standin")
OIDC_FIXTURE = REPO / "tests" / "fixtures" / "oidc_provider"
SITE = REPO / "playbooks" / "site.yml"
# Fake credentials for moto; not a secret anywhere.
AWS_ENV = {"AWS_ACCESS_KEY_ID": "AKIAWANDBLOCALBENCH1", "AWS_SECRET_ACCESS_KEY": "wandbBenchFakeSecretKey0123456789abcd",
           "AWS_DEFAULT_REGION": "us-east-1"}
PLAYBOOK_TIMEOUT = 1800
# The Python of every host of the bench, as in the collection's own inventory (inventory/hosts.yml): Ansible's own.
# Module processes record their CPU seconds through bench/module_times/sitecustomize.py (the split of a run's CPU into
# controller process, workers and module processes: playbook()).
HOST_PYTHON = "{{ ansible_playbook_python }}"
MODULE_TIMES = BENCH / "module_times"
# The integrations a bench instance can have (Stack.group_vars).
ALL_PARTS = ("aws", "redis", "oidc", "slack")
EMULATOR_SECONDS = 4 * 3600


class RunFailed(RuntimeError):
    """An ansible-playbook run of the bench failed (its output tail is in the message)."""


class Stack:
    """moto, redis-server and oidc-provider for one bench session, plus the stand-in instances it creates."""

    def __init__(self, keep_workdir: bool = False):
        self.session = uuid.uuid4().hex[:6]
        self.prefix = "wandb-bench-%s-" % self.session
        self.workdir = Path(tempfile.mkdtemp(prefix="wandb-bench-"))
        self.keep_workdir = keep_workdir
        self.procs = []
        self.moto_url = None
        self.redis_port = None
        self.redis_password = uuid.uuid4().hex
        self.oidc_issuer = None
        # The bench's own tag of the stand-in image: tests running next to the bench rebuild :latest, and a moved
        # tag would make a no-change run an upgrade.
        self.image_tag = "bench-" + self.session

    # --- emulators -------------------------------------------------------------------------------------------
    def start(self) -> "Stack":
        """Start the emulators; on any failure stop what already started."""
        try:
            return self._start()
        except BaseException:
            self.close()
            raise

    def _start(self) -> "Stack":
        self._require_image()
        moto = emulators.moto(self.workdir / "moto.log", seconds=EMULATOR_SECONDS)
        self.procs.append(moto)
        self.redis_port = free_port()
        redis_conf = self.workdir / "redis.conf"
        redis_conf.write_text('bind 127.0.0.1\nport %d\nsave ""\nappendonly no\ndir %s\nrequirepass "%s"\n'
                              % (self.redis_port, self.workdir, self.redis_password))
        redis_conf.chmod(0o600)
        redis = BackgroundProcess(["redis-server", redis_conf], self.workdir / "redis.log",
                                  seconds=EMULATOR_SECONDS, ready_ports=(self.redis_port,)).start()
        self.procs.append(redis)
        oidc_port = free_port()
        oidc = BackgroundProcess(["node", "server.mjs"], self.workdir / "oidc.log", seconds=EMULATOR_SECONDS,
                                 env={"OIDC_PORT": str(oidc_port)}, cwd=OIDC_FIXTURE, capture_stdout=True).start()
        self.procs.append(oidc)
        line = oidc.read_line(30)
        if not line.startswith("listening "):
            raise RuntimeError("oidc-provider did not start (%r); run `npm ci` in %s" % (line, OIDC_FIXTURE))
        self.oidc_issuer = line.split(" ", 1)[1].strip()
        moto.wait_ready(60)
        redis.wait_ready(20)
        self.moto_url = moto.url
        return self

    def _require_image(self) -> None:
        found = subprocess.run(["docker", "image", "inspect", STANDIN_IMAGE + ":latest"], capture_output=True,
                               timeout=60, check=False)
        if found.returncode != 0:
            subprocess.run(["bash", str(REPO / "tests/fixtures/standin/build.sh"), STANDIN_IMAGE + ":latest"],
                           check=True, timeout=900)
        subprocess.run(["docker", "tag", STANDIN_IMAGE + ":latest", "%s:%s" % (STANDIN_IMAGE, self.image_tag)],
                       check=True, capture_output=True, timeout=60)

    def moto_requests(self) -> int:
        """How many requests moto answered so far (its access log), to count the cloud calls of a run."""
        log = self.workdir / "moto.log"
        if not log.exists():
            return 0
        return len(re.findall(r'"(?:GET|PUT|POST|HEAD|DELETE|OPTIONS) ', log.read_text(errors="replace")))

    # --- inventories -----------------------------------------------------------------------------------------
    def group_vars(self, parts=ALL_PARTS) -> dict:
        """What every instance shares: the stand-in image and admin key, and the integrations named in `parts`
        (aws: AWS storage on moto, redis, oidc, slack)."""
        group = {
            "ansible_connection": "local",
            "ansible_python_interpreter": HOST_PYTHON,
            "wandb_server_image": STANDIN_IMAGE, "wandb_server_image_tag": self.image_tag,
            "wandb_server_backup_dir": str(self.workdir / "backups"),
            "wandb_server_image_pull": "never", "wandb_server_bind_address": "127.0.0.1",
            "wandb_server_health_delay": 1, "wandb_server_health_timeout": 120,
            "wandb_server_extra_env": {"STANDIN_STARTUP_SECONDS": "1"},
            "wandb_server_admin_api_enabled": True,
        }
        integrations = {
            "aws": {"storage_provider": "aws", "storage_aws_region": "us-east-1",
                    "storage_aws_endpoint_url": self.moto_url},
            "redis": {"redis_host": "127.0.0.1", "redis_port": self.redis_port, "redis_password": self.redis_password},
            "oidc": {"oidc_issuer": self.oidc_issuer, "oidc_client_id": "wandb-implicit"},
            "slack": {"slack_client_id": "bench-slack-client", "slack_client_secret": "bench-slack-secret"},
        }
        for part in parts:
            group.update(integrations[part])
        return group

    def inventory(self, label: str, count: int, parts=ALL_PARTS) -> "Fleet":
        """An inventory of `count` instances on this machine, each its own container, port, volume, config dir,
        bucket and queue, with the integrations in `parts`; nothing is created until a playbook runs."""
        hosts = {}
        for index, port in enumerate(free_ports(count), start=1):
            name = "%s%s-%d" % (self.prefix, label, index)
            hosts["%s-%d" % (label, index)] = {
                "wandb_server_container_name": name, "wandb_server_data_volume": name,
                "wandb_server_port": port, "wandb_server_host": "http://127.0.0.1:%d" % port,
                "wandb_server_config_dir": str(self.workdir / "etc" / name),
                "storage_bucket": name, "storage_queue": name,
            }
        path = self.workdir / ("inventory-%s.json" % label)
        # localhost itself (where the storage role's API calls run, storage_api_host) with the same interpreter.
        path.write_text(json.dumps({"all": {
            "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": HOST_PYTHON}},
            "children": {"wandb_servers": {"hosts": hosts, "vars": self.group_vars(parts)}}}}, indent=1))
        path.chmod(0o600)
        return Fleet(self, path, hosts)

    # --- cleanup ---------------------------------------------------------------------------------------------
    def remove_containers(self, prefix: str | None = None) -> None:
        """Remove the containers and volumes whose names start with `prefix` (default: all of this session)."""
        prefix = prefix or self.prefix
        for kind in ("container", "volume"):
            listed = subprocess.run(["docker", kind, "ls", "-q"] + (["-a"] if kind == "container" else [])
                                    + ["--filter", "name=^%s" % prefix], capture_output=True, text=True,
                                    timeout=120, check=False).stdout.split()
            if listed:
                subprocess.run(["docker", kind, "rm", "-f"] + listed, capture_output=True, timeout=300,
                               check=False)

    def close(self) -> None:
        try:
            self.remove_containers()
            subprocess.run(["docker", "image", "rm", "%s:%s" % (STANDIN_IMAGE, self.image_tag)], capture_output=True,
                           timeout=120, check=False)
        finally:
            for proc in self.procs:
                proc.stop()
            if not self.keep_workdir:
                shutil.rmtree(self.workdir, ignore_errors=True)


class Fleet:
    """The instances of one inventory file."""

    def __init__(self, stack: Stack, path: Path, hosts: dict):
        self.stack = stack
        self.path = path
        self.hosts = hosts

    @property
    def prefix(self) -> str:
        return next(iter(self.hosts.values()))["wandb_server_container_name"].rsplit("-", 1)[0] + "-"

    def remove(self) -> None:
        self.stack.remove_containers(self.prefix)


def playbook(playbook_path, inventory, *options, forks: int | None = None, env: dict | None = None,
             expect_changed: bool | None = None) -> dict:
    """Time one ansible-playbook run: {'seconds' (wall), 'cpu' (user+system seconds of ansible-playbook and every
    process it waited for: forks, modules), 'split' (that CPU as 'controller': the ansible-playbook process itself,
    'modules': the module processes (bench/module_times, 'module_runs' of them), 'workers': the rest, i.e. the
    forked workers (task execution, templating, connection) and their shells), 'recap' (summed over hosts),
    'output'}. Raises RunFailed on a failed run; with expect_changed=False, warns about a run that changed something
    (a no-change run must be one)."""
    cmd = [ansible_tool(), "-i", str(inventory)] + [str(option) for option in options]
    if forks:
        cmd += ["--forks", str(forks)]
    cmd.append(str(playbook_path))
    with tempfile.TemporaryDirectory(prefix="wandb-bench-cpu-") as tmp:
        module_times, controller_times = Path(tmp) / "modules", Path(tmp) / "controller.json"
        env = dict(env or {})
        callbacks = ",".join(filter(None, [env.pop("ANSIBLE_CALLBACKS_ENABLED", ""), "wandb_bench_cpu"]))
        run_env = ansible_env(dict(AWS_ENV, ANSIBLE_STDOUT_CALLBACK="default", ANSIBLE_CALLBACKS_ENABLED=callbacks,
                                   ANSIBLE_CALLBACK_PLUGINS=str(BENCH / "callback_plugins"),
                                   PYTHONPATH=os.pathsep.join(filter(None, [str(MODULE_TIMES),
                                                                            os.environ.get("PYTHONPATH")])),
                                   BENCH_MODULE_TIMES=str(module_times),
                                   BENCH_CONTROLLER_TIMES=str(controller_times), **env))
        run_env.pop("AWS_PROFILE", None)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        proc = subprocess.run(["timeout", str(PLAYBOOK_TIMEOUT)] + cmd, cwd=str(REPO), env=run_env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=PLAYBOOK_TIMEOUT + 60, check=False)
        seconds = time.monotonic() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        split = cpu_split(cpu, module_times, controller_times)
    totals = host_totals(proc.stdout)
    if proc.returncode != 0:
        raise RunFailed("%s failed (rc %d):\n%s" % (" ".join(cmd), proc.returncode, proc.stdout[-4000:]))
    if expect_changed is False and totals.get("changed", 0):
        print("bench: WARNING: a no-change run changed %d task(s): %s"
              % (totals["changed"], "; ".join(changed_tasks(proc.stdout)[:5])), file=sys.stderr)
    return {"seconds": seconds, "cpu": cpu, "split": split, "recap": totals, "output": proc.stdout}


def cpu_split(cpu: float, module_times: Path, controller_times: Path) -> dict:
    """A run's CPU seconds as controller process / workers / module processes (see playbook())."""
    modules = [sum(float(field) for field in line.split()[:2])
               for line in (module_times.read_text().splitlines() if module_times.exists() else [])
               if len(line.split()) >= 2]
    controller = json.loads(controller_times.read_text())["self"] if controller_times.exists() else float("nan")
    return {"controller": round(controller, 3), "modules": round(sum(modules), 3),
            "workers": round(cpu - controller - sum(modules), 3), "module_runs": len(modules)}


def host_totals(output: str) -> dict:
    """PLAY RECAP counters summed over every host (and every batch)."""
    totals = {}
    for block in output.split("PLAY RECAP")[1:]:
        for line in block.splitlines():
            if re.match(r"^\S+\s+:\s+ok=", line):
                for key, value in re.findall(r"(\w+)=(\d+)", line):
                    totals[key] = totals.get(key, 0) + int(value)
    return totals or recap(output, required=False)


def changed_tasks(output: str) -> list:
    """Names of the tasks that reported `changed` in an ansible-playbook output (default callback)."""
    names, task = [], None
    for line in output.splitlines():
        match = re.match(r"^TASK \[(.*)\]", line)
        if match:
            task = match.group(1)
        elif line.startswith("changed: ") and task not in names:
            names.append(task)
    return names
