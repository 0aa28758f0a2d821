# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Processes the tests start: free ports on 127.0.0.1, bounded background processes, bounded waits.

Every background process runs as `timeout SECONDS command...` in its own session (so its process group is its
pid), its output goes to a log file, and `stop()` ends that process group only: SIGTERM, then SIGKILL after a
bounded wait. Every wait here has a deadline.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

LOCALHOST = "127.0.0.1"
# Direct connections only: everything the tests start is on 127.0.0.1, no proxy may be involved.
DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    return free_ports(1)[0]


def free_ports(count: int) -> list:
    """`count` distinct free TCP ports on 127.0.0.1 (all sockets held until every port is picked)."""
    sockets = []
    try:
        for _index in range(count):
            sock = socket.socket()
            sockets.append(sock)
            sock.bind((LOCALHOST, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def port_open(port: int, host: str = LOCALHOST) -> bool:
    """Whether something accepts TCP connections on host:port."""
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((host, int(port))) == 0


def url_status(url: str, timeout: float = 2) -> int | None:
    """The HTTP status a GET of url gets, None when no HTTP server answers (refused, dropped, timed out)."""
    try:
        with DIRECT.open(url, timeout=timeout) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code
    except (OSError, ValueError):
        return None


def wait_until(check, what: str, seconds: float = 30, interval: float = 0.2, proc=None, log=None) -> None:
    """Poll check() until it is true; RuntimeError naming `what` after `seconds`, or at once when `proc`
    (a Popen or BackgroundProcess) has exited. `log` (a path) is quoted in the error."""
    deadline = time.monotonic() + seconds
    while True:
        if check():
            return
        if proc is not None and proc.poll() is not None:
            problem = "%s: the process exited with %s" % (what, proc.poll())
            break
        if time.monotonic() > deadline:
            problem = "%s: not within %ss" % (what, seconds)
            break
        time.sleep(interval)
    if log is not None and Path(log).exists():
        problem += "\n--- %s (end) ---\n%s" % (log, Path(log).read_text(errors="replace")[-3000:])
    raise RuntimeError(problem)


def wait_port(port: int, seconds: float = 30, proc=None, log=None, host: str = LOCALHOST) -> None:
    """Wait (bounded) until something listens on host:port."""
    wait_until(lambda: port_open(port, host), "nothing listens on %s:%d" % (host, port), seconds, proc=proc, log=log)


def wait_url(url: str, seconds: float = 30, proc=None, log=None, status: int | None = None) -> None:
    """Wait (bounded) until an HTTP server answers at url (with `status` when given, else any status)."""
    def answered():
        got = url_status(url)
        return got is not None and (status is None or got == status)
    what = "no HTTP answer at %s" % url if status is None else "no HTTP %d from %s" % (status, url)
    wait_until(answered, what, seconds, proc=proc, log=log)


def wait_file(path, seconds: float = 30, proc=None) -> str:
    """Wait (bounded) until the file at path has content; return it stripped (e.g. a port file)."""
    path = Path(path)

    def has_content():
        return path.exists() and bool(path.read_text().strip())
    wait_until(has_content, "%s was not written" % path, seconds, interval=0.1, proc=proc)
    return path.read_text().strip()


def group_alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_group(pid: int, seconds: float = 10, popen=None) -> None:
    """End the process group `pid` (a process started in its own session by these helpers): SIGTERM, wait up to
    `seconds` for the whole group to exit, then SIGKILL what is left. `popen`, when the group leader is our child,
    is reaped."""
    def signal_group(sig):
        try:
            os.killpg(pid, sig)
            return True
        except ProcessLookupError:
            return False

    if signal_group(signal.SIGTERM):
        deadline = time.monotonic() + seconds
        if popen is not None:
            try:
                popen.wait(seconds)
            except subprocess.TimeoutExpired:
                pass
        while group_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        signal_group(signal.SIGKILL)
    if popen is not None:
        popen.wait(seconds)


def stop_recorded(state_file) -> None:
    """Stop the process groups recorded in a JSON state file (`pids` list and/or `pid`), then remove the file."""
    state_file = Path(state_file)
    if not state_file.exists():
        return
    state = json.loads(state_file.read_text())
    for pid in list(state.get("pids", [])) + ([state["pid"]] if "pid" in state else []):
        stop_group(pid)
    state_file.unlink()


class BackgroundProcess:
    """`timeout SECONDS args...` in its own session, stdout+stderr to `log` (or stdout piped with
    capture_stdout=True, stderr to `log`).

    env: variables added to os.environ (or the whole environment with replace_env=True). ready_ports / ready_url:
    what wait_ready() waits for (ready_status: the HTTP status ready_url must give, default any). port / url / ports (a dict): where it listens, for the caller.
    """

    def __init__(self, args, log, *, seconds: int = 900, env: dict | None = None, replace_env: bool = False,
                 cwd=None, user=None, capture_stdout: bool = False, ready_ports=(), ready_url: str | None = None,
                 ready_status: int | None = None, port: int | None = None, url: str | None = None, ports: dict | None = None):
        self.args = ["timeout", str(seconds)] + [str(arg) for arg in args]
        self.log = Path(log)
        self.env = dict(env or {}) if replace_env else dict(os.environ, **(env or {}))
        self.cwd = cwd
        self.user = user
        self.capture_stdout = capture_stdout
        self.ready_ports = tuple(ready_ports)
        self.ready_url = ready_url
        self.ready_status = ready_status
        self.port = port
        self.url = url
        self.ports = dict(ports or {})
        self.popen = None

    def start(self) -> "BackgroundProcess":
        with open(self.log, "wb") as log:
            if self.capture_stdout:
                stdout, stderr = subprocess.PIPE, log
            else:
                stdout, stderr = log, subprocess.STDOUT
            self.popen = subprocess.Popen(  # pylint: disable=consider-using-with  # stopped by stop()
                self.args, stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, start_new_session=True,
                env=self.env, cwd=self.cwd, user=self.user, text=self.capture_stdout or None)
        return self

    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self):
        return self.popen.poll()

    def running(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def wait(self, seconds: float) -> int:
        """Wait (bounded) for the process to exit; its exit status."""
        return self.popen.wait(timeout=seconds)

    def wait_ready(self, seconds: float = 30) -> "BackgroundProcess":
        """Wait (bounded) for ready_ports to listen and ready_url to answer; fails at once if the process exits."""
        for port in self.ready_ports:
            wait_port(port, seconds, proc=self, log=self.log)
        if self.ready_url is not None:
            wait_url(self.ready_url, seconds, proc=self, log=self.log, status=self.ready_status)
        return self

    def read_line(self, seconds: float = 30) -> str:
        """The next line of stdout (capture_stdout=True), '' when none came within `seconds`."""
        lines = []
        reader = threading.Thread(target=lambda: lines.append(self.popen.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=seconds)
        return lines[0] if lines else ""

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def stop(self, seconds: float = 10) -> None:
        """End the process group (idempotent)."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            stop_group(self.popen.pid, seconds, popen=self.popen)
        if self.popen.stdout is not None:
            self.popen.stdout.close()

    def __enter__(self) -> "BackgroundProcess":
        if self.popen is None:
            self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
