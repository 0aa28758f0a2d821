# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmarks of the collection on the test stack (local Docker engine, emulators, stand-in server image).

    bench/run [--runs N] [--scale-runs N] [--instances 1,5,20] [--forks 5,20] [--json FILE] [--profile]
              [--strategy linear|free|mitogen_linear] [SCENARIO...]

Scenarios (default: all, in this order):
  compare  the no-change run of site.yml next to a hand-written playbook doing the same server job
           (bench/playbooks/handwritten.yml: community.docker, copy, uri, and the amazon.aws / community.aws
           modules for AWS storage) and to ping, in one run: server only, server + AWS storage on moto, and
           site.yml with AWS + Redis + OIDC + Slack; first converges too
  site     first converge of playbooks/site.yml for one instance (AWS storage on moto, Redis, OIDC, Slack, admin
           key), then the no-change re-run, next to a bare ansible.builtin.ping playbook on the same host
  floor    the cost of a module run here: a playbook running ansible.builtin.stat as often as a no-change site.yml
           run runs modules (19), next to ping
  scale    the no-change run of site.yml, server only, over 5, 10, 20 instances (--instances) with forks 10
           (--forks), next to ping
  aws      the AWS storage steps: the storage role, this collection's aws_* modules and the community modules
           (amazon.aws / community.aws), first run and no-change run
  profile  one no-change site.yml run with ansible.posix.profile_tasks: the slowest tasks (also: --profile)

--strategy free runs every playbook with Ansible's free strategy (hosts do not wait for each other at each task);
--strategy mitogen_linear runs every playbook with Mitogen for Ansible's strategy (`pip install mitogen`; not a
dependency of the collection): it keeps one Python interpreter per host and caches imported modules, which is
where most of a module run's time goes here.

Each figure is the median of --runs runs (wall time of the whole ansible-playbook process). Markdown tables go to
stdout, every single measurement to --json. Everything started here stops at the end (emulators, containers,
volumes; the emulators also by their own timeout).
"""
from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# pylint: disable=wrong-import-position  # the bench's own module, next to this file
from bench_stack import ALL_PARTS, BENCH, HOST_PYTHON, SITE, RunFailed, Stack, playbook  # noqa: E402
from support.playbooks import strategy_env  # noqa: E402  # tests/support, on the path bench_stack sets

PING = BENCH / "playbooks" / "ping.yml"
FLOOR = BENCH / "playbooks" / "floor.yml"
HANDWRITTEN = BENCH / "playbooks" / "handwritten.yml"
# (label, integrations, compared with the hand-written playbook)
COMPARE_VARIANTS = (("server only", (), True), ("server + AWS storage", ("aws",), True),
                    ("AWS + Redis + OIDC + Slack", ALL_PARTS, False))
# (label, playbook, extra vars). moto refuses community.aws.s3_bucket_notification's capitalised filter rule names
# (500), so the community run leaves the notification out, and so does one of ours, to compare the same steps.
AWS_RUNS = (("storage role (`wandb_local.server.storage`), 5 steps", BENCH / "playbooks" / "aws_role.yml", {}),
            ("`wandb_local.server.aws_*` modules, 5 steps", BENCH / "playbooks" / "aws_ours.yml", {}),
            ("`wandb_local.server.aws_*` modules, 4 steps (no notification)", BENCH / "playbooks" / "aws_ours.yml",
             {"bench_skip_notification": True}),
            ("`amazon.aws` / `community.aws` modules, 4 steps (no notification)",
             BENCH / "playbooks" / "aws_community.yml", {"bench_skip_notification": True}))
SCENARIOS = ("compare", "site", "floor", "scale", "aws", "profile")


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def spread(values) -> str:
    return "%.1f–%.1f" % (min(values), max(values)) if values else ""


class Bench:
    def __init__(self, stack: Stack, runs: int):
        self.stack = stack
        self.runs = runs
        self.results = {"machine": machine(), "runs": runs, "scenarios": {}}

    def record(self, scenario: str, key: str, run: dict) -> None:
        entry = self.results["scenarios"].setdefault(scenario, {}).setdefault(key, [])
        split = run.get("split") or {}
        entry.append({"seconds": round(run["seconds"], 3), "cpu": round(run["cpu"], 3), "recap": run["recap"],
                      "calls": run.get("calls"), "split": split})
        print("  %-52s %6.1f s wall %6.1f s CPU (controller %.1f, workers %.1f, %d modules %.1f)  %s" % (
            key, run["seconds"], run["cpu"], split.get("controller", float("nan")),
            split.get("workers", float("nan")), split.get("module_runs", 0), split.get("modules", float("nan")),
            run["recap"]), file=sys.stderr, flush=True)

    def seconds(self, scenario: str, key: str, measure: str = "seconds") -> list:
        return [run[measure] for run in self.results["scenarios"].get(scenario, {}).get(key, [])]

    def split(self, scenario: str, key: str, per: int = 1) -> str:
        """'controller / workers / modules (module runs)': medians of a measurement's CPU split, divided by `per`."""
        runs = [run.get("split") or {} for run in self.results["scenarios"].get(scenario, {}).get(key, [])]

        def med(part):
            return median([split[part] for split in runs if part in split]) / per
        return "%.2f / %.2f / %.2f (%d)" % (med("controller"), med("workers"), med("modules"),
                                            round(med("module_runs")))

    def cells(self, scenario: str, key: str) -> str:
        """'wall median | wall range | CPU median' of one measurement."""
        wall, cpu = self.seconds(scenario, key), self.seconds(scenario, key, "cpu")
        return "%.1f | %s | %.1f" % (median(wall), spread(wall), median(cpu))

    def ratio(self, scenario: str, key: str, base: str) -> str:
        """'wall ratio | CPU ratio' of the medians of two measurements."""
        return "%.1fx | %.1fx" % tuple(median(self.seconds(scenario, key, measure))
                                       / median(self.seconds(scenario, base, measure))
                                       for measure in ("seconds", "cpu"))

    # --- site.yml next to the hand-written playbook and ping --------------------------------------------------
    def compare(self) -> str:
        print("compare: no-change site.yml vs a hand-written playbook vs ping, one instance", file=sys.stderr)
        rows = ["| 1 instance, no change | wall s | wall range s | CPU s | wall / ping | wall / hand-written "
                "| CPU / hand-written | CPU s: controller / workers / modules (module runs) |",
                "|---|---:|---:|---:|---:|---:|---:|---:|"]
        converge_rows = ["| 1 instance, first converge | wall s | wall range s | CPU s |", "|---|---:|---:|---:|"]
        for number, (label, parts, handwritten) in enumerate(COMPARE_VARIANTS, start=1):
            fleets = {"site.yml": self.stack.inventory("cmp%d-site" % number, 1, parts)}
            if handwritten:
                fleets["hand-written"] = self.stack.inventory("cmp%d-hand" % number, 1, parts)
            books = {"site.yml": SITE, "hand-written": HANDWRITTEN}
            try:
                for who, fleet in fleets.items():
                    self.record("compare", "%s, %s: first converge" % (label, who), playbook(books[who], fleet.path))
                for _index in range(self.runs):
                    # ping and the no-change runs alternate, so a load change on the machine hits them alike
                    self.record("compare", "%s: ping" % label, playbook(PING, fleets["site.yml"].path))
                    for who, fleet in fleets.items():
                        self.record("compare", "%s, %s: no change" % (label, who),
                                    playbook(books[who], fleet.path, expect_changed=False))
            finally:
                for fleet in fleets.values():
                    fleet.remove()
            ping = "%s: ping" % label
            rows.append("| ping playbook (%s inventory) | %s | 1.0x | | | %s |" % (
                label, self.cells("compare", ping), self.split("compare", ping)))
            for who in fleets:
                key = "%s, %s: no change" % (label, who)
                versus_hand = (self.ratio("compare", key, "%s, hand-written: no change" % label)
                               if handwritten else "| ")
                rows.append("| `%s`, %s | %s | %s | %s | %s |" % (
                    who, label, self.cells("compare", key), self.ratio("compare", key, ping).split(" | ")[0],
                    versus_hand, self.split("compare", key)))
                converge_rows.append("| `%s`, %s | %s |" % (
                    who, label, self.cells("compare", "%s, %s: first converge" % (label, who))))
        return "\n".join(rows + [""] + converge_rows)

    # --- scenario 1 and 2 ----------------------------------------------------------------------------------
    def site(self) -> str:
        print("site: first converge and no-change re-run of site.yml, one instance", file=sys.stderr)
        fleet = None
        for index in range(1, self.runs + 1):
            if fleet is not None:
                fleet.remove()  # keep only the last converged instance (for the no-change runs)
            fleet = self.stack.inventory("site%d" % index, 1)
            self.record("site", "first converge", playbook(SITE, fleet.path))
        for _index in range(self.runs):
            # ping and the no-change run alternate, so a load change on the machine hits both alike
            self.record("site", "ping", playbook(PING, fleet.path))
            self.record("site", "no-change re-run", playbook(SITE, fleet.path, expect_changed=False))
        fleet.remove()
        rows = ["| 1 instance (AWS storage on moto, Redis, OIDC, Slack, admin key) | wall s | wall range s | CPU s "
                "| CPU s: controller / workers / modules (module runs) |",
                "|---|---:|---:|---:|---:|"]
        for label, key in (("`site.yml` first converge", "first converge"),
                           ("`site.yml` no-change re-run", "no-change re-run"),
                           ("`ansible.builtin.ping` playbook, same host", "ping")):
            rows.append("| %s | %s | %s |" % (label, self.cells("site", key), self.split("site", key)))
        rows.append("| no-change re-run / ping | %s | |" % self.ratio("site", "no-change re-run", "ping").replace(
            " | ", " | | "))
        return "\n".join(rows)

    # --- what one module run costs on this machine ----------------------------------------------------------
    def floor(self, module_runs: int = 19) -> str:
        print("floor: %d trivial module runs vs ping" % module_runs, file=sys.stderr)
        fleet = self.stack.inventory("floor", 1)  # nothing of it is created: neither playbook touches the instance
        extra = ["-e", json.dumps({"bench_module_runs": module_runs})]
        for _index in range(self.runs):
            self.record("floor", "ping", playbook(PING, fleet.path))
            self.record("floor", "stat", playbook(FLOOR, fleet.path, *extra))
        stat = self.seconds("floor", "stat")
        ping = self.seconds("floor", "ping")
        per_run = (median(stat) - median(ping)) / module_runs
        per_run_cpu = (median(self.seconds("floor", "stat", "cpu")) - median(self.seconds("floor", "ping", "cpu"))) \
            / module_runs
        return "\n".join([
            "| 1 host | wall s | wall range s | CPU s |", "|---|---:|---:|---:|",
            "| `ansible.builtin.ping` playbook | %s |" % self.cells("floor", "ping"),
            "| %d runs of `ansible.builtin.stat` | %s |" % (module_runs, self.cells("floor", "stat")),
            "| one module run (difference / %d) | %.2f | | %.2f |" % (module_runs, per_run, per_run_cpu)])

    # --- scenario 3 ----------------------------------------------------------------------------------------
    def scale(self, counts, forks_list, runs: int | None = None, also_free: bool = False) -> str:
        print("scale: no-change site.yml over %s instances, forks %s" % (counts, forks_list), file=sys.stderr)
        runs = runs or self.runs
        for count in counts:
            fleet = self.stack.inventory("scale%d" % count, count, parts=())
            try:
                self.record("scale", "%d instances: first converge (forks %d)" % (count, max(forks_list)),
                            playbook(SITE, fleet.path, forks=max(forks_list)))
                for forks in forks_list:
                    for _index in range(runs):
                        self.record("scale", "%d instances, forks %d: ping" % (count, forks),
                                    playbook(PING, fleet.path, forks=forks))
                        self.record("scale", "%d instances, forks %d: no-change" % (count, forks),
                                    playbook(SITE, fleet.path, forks=forks, expect_changed=False))
                        if also_free:
                            # the same run with the free strategy, alternating with the others (paired)
                            self.record("scale", "%d instances, forks %d: no-change, free" % (count, forks),
                                        playbook(SITE, fleet.path, forks=forks, expect_changed=False,
                                                 env={"ANSIBLE_STRATEGY": "free"}))
            finally:
                fleet.remove()
        rows = ["| instances | forks | no-change `site.yml` wall s | wall range s | CPU s | wall s per instance "
                "| ping wall s | ping CPU s | ratio wall | ratio CPU | CPU s per instance above ping "
                "| CPU s per instance: controller / workers / modules (module runs) |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for count in counts:
            for forks in forks_list:
                site_key = "%d instances, forks %d: no-change" % (count, forks)
                ping_key = "%d instances, forks %d: ping" % (count, forks)
                rows.append("| %d | %d | %s | %.2f | %.1f | %.1f | %s | %.2f | %s |" % (
                    count, forks, self.cells("scale", site_key), median(self.seconds("scale", site_key)) / count,
                    median(self.seconds("scale", ping_key)), median(self.seconds("scale", ping_key, "cpu")),
                    self.ratio("scale", site_key, ping_key),
                    (median(self.seconds("scale", site_key, "cpu")) - median(self.seconds("scale", ping_key, "cpu")))
                    / count, self.split("scale", site_key, per=count)))
        if also_free:
            rows += ["", "| instances | forks | no-change, strategy free: wall s | wall range s | CPU s | wall / linear "
                     "| CPU / linear |", "|---:|---:|---:|---:|---:|---:|---:|"]
            for count in counts:
                for forks in forks_list:
                    key = "%d instances, forks %d: no-change" % (count, forks)
                    rows.append("| %d | %d | %s | %s |" % (count, forks, self.cells("scale", key + ", free"),
                                                           self.ratio("scale", key + ", free", key)))
        converge_key = "%d instances: first converge (forks " + str(max(forks_list)) + ")"
        converge = ["| %d | %s |" % (count, self.cells("scale", converge_key % count)) for count in counts]
        rows += ["", "| instances | first converge (forks %d) wall s | wall range s | CPU s |" % max(forks_list),
                 "|---:|---:|---:|---:|"] + converge
        return "\n".join(rows)

    # --- scenario 4 ----------------------------------------------------------------------------------------
    def aws(self) -> str:
        print("aws: storage role vs our modules vs community modules on moto", file=sys.stderr)
        for index in range(1, self.runs + 1):
            for number, (label, path, extra_vars) in enumerate(AWS_RUNS, start=1):
                names = "%saws%d-%d" % (self.stack.prefix, number, index)
                extra = ["-e", json.dumps(dict(extra_vars, bench_bucket=names, bench_queue=names,
                                               bench_endpoint_url=self.stack.moto_url,
                                               ansible_python_interpreter=HOST_PYTHON))]
                for phase, expect_changed in (("first run", None), ("no-change run", False)):
                    calls = self.stack.moto_requests()
                    run = playbook(path, "localhost,", *extra, expect_changed=expect_changed)
                    run["calls"] = self.stack.moto_requests() - calls
                    self.record("aws", "%s: %s" % (label, phase), run)
        rows = ["| AWS storage steps on moto (bucket, queue, queue policy, notification, CORS) | first run wall s "
                "| wall range s | CPU s | API calls | no-change run wall s | wall range s | CPU s | API calls |",
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for label, _path, _extra in AWS_RUNS:
            rows.append("| %s | %s | %s | %s | %s |" % (
                label, self.cells("aws", "%s: first run" % label),
                median(self.seconds("aws", "%s: first run" % label, "calls")),
                self.cells("aws", "%s: no-change run" % label),
                median(self.seconds("aws", "%s: no-change run" % label, "calls"))))
        return "\n".join(rows)

    # --- where the time goes -------------------------------------------------------------------------------
    def profile(self, top: int = 25) -> str:
        print("profile: one no-change site.yml run with profile_tasks", file=sys.stderr)
        fleet = self.stack.inventory("profile", 1)
        try:
            playbook(SITE, fleet.path)
            run = playbook(SITE, fleet.path, expect_changed=False, env={
                "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
                "PROFILE_TASKS_TASK_OUTPUT_LIMIT": str(top)})
        finally:
            fleet.remove()
        summary = run["output"].rsplit("=" * 20, 1)[-1].strip("=\n ")
        lines = [line for line in summary.splitlines() if line.strip()]
        split = run["split"]
        self.results["scenarios"]["profile"] = {"seconds": round(run["seconds"], 3), "cpu": round(run["cpu"], 3),
                                                "split": split, "top": lines}
        return ("no-change site.yml, 1 instance, %.1f s wall, %.1f s CPU (controller %.1f, workers %.1f, %d module "
                "runs %.1f); slowest tasks:\n```\n%s\n```" % (
                    run["seconds"], run["cpu"], split["controller"], split["workers"], split["module_runs"],
                    split["modules"], "\n".join(lines)))


def machine() -> dict:
    cpu = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), "")
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kib = int(meminfo.read_text().split("MemTotal:", 1)[1].split()[0])
        memory = "%.0f GiB" % (kib / 1024 / 1024)
    docker = subprocess.run(["docker", "version", "--format", "{{.Server.Version}}"], capture_output=True,
                            text=True, timeout=60, check=False).stdout.strip()
    core = subprocess.run([str(Path(sys.executable).parent / "ansible"), "--version"], capture_output=True,
                          text=True, timeout=60, check=False).stdout.splitlines()[:1]
    commit = subprocess.run(["git", "-C", str(BENCH.parent), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True, timeout=60, check=False).stdout.strip()
    return {"commit": commit or os.environ.get("WANDB_BENCH_COMMIT", "unknown"),
            "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "cpus": os.cpu_count(), "cpu": cpu, "memory": memory, "kernel": platform.release(),
            "python": platform.python_version(), "docker": docker, "ansible": core[0] if core else ""}


def use_strategy(name: str) -> str:
    """Set the strategy of every playbook the bench runs (through the environment it passes on); return a label."""
    if name == "free":
        # Ansible's own: each host runs its tasks as fast as it can, without waiting for the others at each task.
        os.environ["ANSIBLE_STRATEGY"] = "free"
        return "strategy free"
    try:
        os.environ.update(strategy_env(name))
    except ImportError as exc:
        raise SystemExit("bench/run: --strategy %s needs Mitogen for Ansible in this virtualenv (pip install "
                         "mitogen): %s" % (name, exc)) from exc
    if name == "linear":
        return "strategy linear"
    return "strategy %s (Mitogen %s)" % (name, importlib.metadata.version("mitogen"))


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="bench/run", description=__doc__.split("\n", 1)[0])
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO",
                        help="compare, site, floor, scale, aws, profile (default: compare site floor scale aws)")
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median); default 3")
    parser.add_argument("--scale-runs", type=int, help="runs per figure of the scale scenario (default: --runs)")
    parser.add_argument("--instances", default="5,10,20", help="instance counts of the scale scenario")
    parser.add_argument("--forks", default="10", help="forks of the scale scenario")
    parser.add_argument("--scale-free", action="store_true",
                        help="scale: also each no-change run with the free strategy, alternating (paired)")
    parser.add_argument("--json", type=Path, help="write every measurement to this file")
    parser.add_argument("--profile", action="store_true", help="also run the profile scenario")
    parser.add_argument("--keep-workdir", action="store_true", help="keep the inventories and emulator logs")
    parser.add_argument("--strategy", default="linear", choices=("linear", "free", "mitogen_linear"),
                        help="Ansible strategy of every run: linear (default), free, or mitogen_linear (needs mitogen)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        parser.error("unknown scenario(s) %s; choose from %s" % (", ".join(unknown), ", ".join(SCENARIOS)))
    args.scenarios = list(args.scenarios) or ["compare", "site", "floor", "scale", "aws"]
    if args.profile and "profile" not in args.scenarios:
        args.scenarios.append("profile")
    args.instances = [int(value) for value in args.instances.split(",") if value]
    args.forks = [int(value) for value in args.forks.split(",") if value]
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # SIGTERM (e.g. from `timeout`) unwinds like Ctrl-C, so the finally below removes what the bench created.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    strategy = use_strategy(args.strategy)
    stack = Stack(keep_workdir=args.keep_workdir)
    bench = Bench(stack, args.runs)
    bench.results["machine"]["strategy"] = strategy
    sections = []
    status = 0
    try:
        stack.start()
        for scenario in args.scenarios:
            if scenario == "scale":
                sections.append(bench.scale(args.instances, args.forks, args.scale_runs, args.scale_free))
            else:
                sections.append(getattr(bench, scenario)())
    except RunFailed as exc:
        print("bench: %s" % exc, file=sys.stderr)
        status = 1
    finally:
        stack.close()
        if args.keep_workdir:
            print("bench: work directory kept: %s" % stack.workdir, file=sys.stderr)
        # also when interrupted: what was measured so far is kept
        if args.json:
            args.json.write_text(json.dumps(bench.results, indent=1) + "\n")
    info = bench.results["machine"]
    header = "Measured %s at commit %s on %d CPU(s) %s, %s RAM, kernel %s, Docker %s, %s, Python %s, %s" % (
        info["date"], info["commit"], info["cpus"], info["cpu"], info["memory"], info["kernel"], info["docker"],
        info["ansible"], info["python"], strategy)
    print("%s; median of %d run(s).\n" % (header, args.runs))
    print("\n\n".join(sections))
    return status


if __name__ == "__main__":
    sys.exit(main())
