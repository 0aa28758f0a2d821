# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Command line of support.procs for Molecule prepare/cleanup playbooks: one bounded background process.

  background.py start DIR NAME [--seconds N] [--cwd DIR] [--env K=V]... [--wait-port PORT]... [--wait-seconds N]
                -- COMMAND [ARG...]
      runs `timeout N COMMAND...` in its own process group (stdin /dev/null, output to DIR/NAME.log), records its
      pid in DIR/NAME.pid and waits (bounded) until every --wait-port listens on 127.0.0.1; a process group
      recorded under the same name before is stopped first. Fails (and stops it) when it exits or is not ready.
  background.py stop DIR NAME
      ends the recorded process group (SIGTERM, SIGKILL after 10 s) and removes DIR/NAME.pid.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from support.procs import BackgroundProcess, stop_group  # noqa: E402


def stop(directory: Path, name: str) -> None:
    pid_file = directory / ("%s.pid" % name)
    if pid_file.exists():
        text = pid_file.read_text().strip()
        if text:
            stop_group(int(text))
        pid_file.unlink()


def start(args) -> None:
    directory = Path(args.dir)
    directory.mkdir(parents=True, exist_ok=True)
    stop(directory, args.name)
    env = dict(item.split("=", 1) for item in args.env)
    proc = BackgroundProcess(args.command, directory / ("%s.log" % args.name), seconds=args.seconds, env=env,
                             cwd=args.cwd, ready_ports=args.wait_port).start()
    (directory / ("%s.pid" % args.name)).write_text("%d\n" % proc.pid)
    try:
        proc.wait_ready(args.wait_seconds)
    except RuntimeError:
        stop(directory, args.name)
        raise


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="action", required=True)
    start_parser = commands.add_parser("start")
    stop_parser = commands.add_parser("stop")
    for sub in (start_parser, stop_parser):
        sub.add_argument("dir")
        sub.add_argument("name")
    start_parser.add_argument("--seconds", type=int, default=1800)
    start_parser.add_argument("--cwd")
    start_parser.add_argument("--env", action="append", default=[])
    start_parser.add_argument("--wait-port", type=int, action="append", default=[])
    start_parser.add_argument("--wait-seconds", type=float, default=30)
    start_parser.add_argument("command", nargs="+")
    args = parser.parse_args(argv)
    if args.action == "start":
        start(args)
    else:
        stop(Path(args.dir), args.name)


if __name__ == "__main__":
    main()
