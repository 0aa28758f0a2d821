# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time per W&B instance: a lock file beside the instance's env file.

Ansible runs each task in a new process, so an ``flock`` could not outlive the task that took it. The lock is a
file created with ``O_EXCL`` (atomic on every local file system) that holds a JSON record of its holder: a token
only the holder knows (to release it), who took it and when. A run releases its lock when it ends, failed or not;
a run killed outright (Ctrl-C twice, a lost controller) leaves it behind, and a lock older than ``stale_after``
seconds is then taken over. Waiting is bounded by ``timeout``.

``acquire(path, owner, timeout, stale_after, delay=1.0, held_token=None) -> dict``
    The record written (its ``token`` releases the lock); raises ``LockTimeout`` naming the holder. With
    ``held_token``, the token of a lock this run already holds (a restore that converges the server it restored):
    while the lock is still that one, its record is returned with ``reentered`` True and nothing waits; the caller
    that took it releases it.
``release(path, token) -> bool``
    Removes the lock when it is the one ``token`` took; False when it was not (taken over, or removed).
``holder(path) -> dict or None``
    The current record, if any.
"""
from __future__ import annotations

import errno
import json
import os
import secrets
import socket
import time


class LockTimeout(Exception):
    """Another run held the lock for the whole wait."""

    def __init__(self, message, record):
        super().__init__(message)
        self.record = record


def lock_path_for(env_file):
    """The lock of the instance whose env file is ``env_file``: ``/etc/wandb-local/wandb-local.env`` ->
    ``/etc/wandb-local/wandb-local.lock`` (where the wandb_server role keeps it too)."""
    base = env_file[:-len(".env")] if env_file.endswith(".env") else env_file
    return base + ".lock"


def holder(path):
    """The lock's record, None when there is no lock; an unreadable record is an empty dict (still a lock)."""
    try:
        with open(path) as handle:
            text = handle.read()
    except (IOError, OSError) as exc:
        if exc.errno == errno.ENOENT:
            return None
        raise
    try:
        record = json.loads(text)
        return record if isinstance(record, dict) else {}
    except ValueError:
        return {}  # a lock file being written at this very moment, or damaged: its age decides


def stale_reason(path, stale_after, now=None):
    """Why the lock at ``path`` no longer protects anything, or None while it does."""
    now = time.time() if now is None else now
    try:
        age = now - os.stat(path).st_mtime
    except OSError:
        return "it is gone"
    if age > stale_after:
        return "it is %d s old (older than %d s)" % (age, stale_after)
    return None


def describe(record):
    """Who holds a lock, for messages."""
    if not record:
        return "an unknown run"
    return "%s (since %s, on %s)" % (record.get("owner") or "a run", record.get("since", "?"), record.get("host", "?"))


def _create(path, record):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(record, handle)
    except BaseException:
        # A lock that could not be filled (a full file system) must not stay behind and block the next run.
        try:
            os.remove(path)
        except OSError:
            pass
        raise


def acquire(path, owner, timeout, stale_after, delay=1.0, held_token=None):
    """Take the lock at ``path`` within ``timeout`` seconds; see the module docstring."""
    if held_token:
        current = holder(path)
        if current and current.get("token") == held_token:
            os.utime(path)  # held on: not stale while this run still works under it
            return dict(current, reentered=True)
    record = dict(token=secrets.token_hex(16), owner=owner, host=socket.gethostname(),
                  since=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    deadline = time.monotonic() + max(0, timeout)
    while True:
        try:
            _create(path, record)
            return record
        except (IOError, OSError) as exc:
            if exc.errno != errno.EEXIST:
                raise
        current = holder(path)
        if current is not None:
            reason = stale_reason(path, stale_after)
            if reason:
                # Take a stale lock over by renaming it away first: of two runs that both see it stale, one rename
                # wins. A rename that caught a newer lock (the other run's, made in between) puts it back.
                aside = "%s.stale-%s" % (path, record["token"][:8])
                try:
                    os.rename(path, aside)
                    moved = holder(aside)
                    if (moved or {}).get("token") != current.get("token"):
                        os.link(aside, path)
                    os.remove(aside)
                except OSError:
                    pass
                record["took_over"] = "%s: %s" % (describe(current), reason)
                continue
        if time.monotonic() >= deadline:
            raise LockTimeout("another run holds %s: %s; waited %d s. Wait for it to finish and run again, or, if "
                              "no run is active, remove the file." % (path, describe(current), timeout), current)
        time.sleep(min(delay, max(0.05, deadline - time.monotonic())))


def release(path, token):
    """Remove the lock at ``path`` if ``token`` took it."""
    current = holder(path)
    if not current or current.get("token") != token:
        return False
    try:
        os.remove(path)
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise
        return False
    return True
