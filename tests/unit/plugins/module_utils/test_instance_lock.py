"""The instance lock (module_utils/_instance_lock.py): one run at a time per W&B instance."""
from __future__ import annotations

import json
import os
import time

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils import _instance_lock as lock


def test_the_lock_lies_beside_the_env_file():
    assert lock.lock_path_for("/etc/wandb-local/wandb-local.env") == "/etc/wandb-local/wandb-local.lock"
    assert lock.lock_path_for("/etc/w/custom") == "/etc/w/custom.lock"


def test_acquire_is_exclusive_0600_and_release_needs_the_token(tmp_path):
    path = str(tmp_path / "w.lock")
    record = lock.acquire(path, "alice running 'site.yml'", timeout=0, stale_after=3600)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert json.loads(open(path).read())["owner"] == "alice running 'site.yml'"
    with pytest.raises(lock.LockTimeout) as raised:
        lock.acquire(path, "bob", timeout=1, stale_after=3600, delay=0.2)
    assert "alice running 'site.yml'" in str(raised.value) and path in str(raised.value)
    assert not lock.release(path, "not-the-token") and os.path.exists(path)
    assert lock.release(path, record["token"]) and not os.path.exists(path)
    assert not lock.release(path, record["token"])  # already gone


def test_the_wait_is_bounded_by_its_timeout(tmp_path):
    path = str(tmp_path / "w.lock")
    lock.acquire(path, "alice", timeout=0, stale_after=3600)
    started = time.monotonic()
    with pytest.raises(lock.LockTimeout):
        lock.acquire(path, "bob", timeout=2, stale_after=3600, delay=0.5)
    assert 1.9 <= time.monotonic() - started < 3.5


def test_a_stale_lock_is_taken_over_and_says_whose_it_was(tmp_path):
    path = str(tmp_path / "w.lock")
    lock.acquire(path, "a run killed long ago", timeout=0, stale_after=3600)
    old = time.time() - 7200
    os.utime(path, (old, old))
    record = lock.acquire(path, "bob", timeout=0, stale_after=3600)
    assert "a run killed long ago" in record["took_over"] and "older than 3600 s" in record["took_over"]
    assert lock.holder(path)["owner"] == "bob"
    assert sorted(os.listdir(str(tmp_path))) == ["w.lock"]  # nothing left aside


def test_a_lock_being_written_counts_as_held(tmp_path):
    path = tmp_path / "w.lock"
    path.write_text("")  # created, not yet filled by its run
    with pytest.raises(lock.LockTimeout):
        lock.acquire(str(path), "bob", timeout=0, stale_after=3600)


def test_a_lock_that_cannot_be_filled_is_not_left_behind(tmp_path, monkeypatch):
    path = str(tmp_path / "w.lock")

    def full(*_args, **_kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lock.json, "dump", full)
    with pytest.raises(OSError):
        lock.acquire(path, "alice", timeout=0, stale_after=3600)
    assert not os.path.exists(path)


def test_a_lock_held_by_this_run_is_reentered_and_released_by_its_taker(tmp_path):
    """A restore holds the lock and converges the server under it: the converge's take returns at once (reentered)
    and its release is skipped by the caller; the restore's release ends it. Another token still waits."""
    path = str(tmp_path / "w.lock")
    outer = lock.acquire(path, "alice running 'restore.yml'", timeout=0, stale_after=3600)
    old = time.time() - 600
    os.utime(path, (old, old))
    inner = lock.acquire(path, "alice running 'restore.yml'", timeout=0, stale_after=3600, held_token=outer["token"])
    assert inner["reentered"] is True and inner["token"] == outer["token"]
    assert time.time() - os.stat(path).st_mtime < 60  # refreshed: not taken for stale while still held
    with pytest.raises(lock.LockTimeout):
        lock.acquire(path, "bob", timeout=0, stale_after=3600, held_token="another-runs-token")
    assert lock.release(path, outer["token"]) and not os.path.exists(path)
    # The held lock is gone (taken over, removed): taken anew, not reentered.
    fresh = lock.acquire(path, "alice", timeout=0, stale_after=3600, held_token=outer["token"])
    assert "reentered" not in fresh and fresh["token"] != outer["token"]
