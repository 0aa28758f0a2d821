"""The one deadline-wait helper (plugins/module_utils/_wait.py), on a fake clock: a probe that hangs for its whole
budget cannot carry a wait past its deadline, and the result / error say how long it took and what was seen last."""
from __future__ import annotations

import socket
import threading
import time

import pytest

from ansible_collections.wandb_local.server.plugins.module_utils._wait import (
    MIN_PROBE,
    WaitTimeout,
    seconds,
    wait_until,
)


class FakeClock(object):
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, value):
        assert value >= 0
        self.sleeps.append(value)
        self.now += value


def hung_probe(clock, budgets, observation="timed out"):
    """A probe against a server that accepts and never answers: it takes its whole budget, then fails."""
    def probe(budget):
        budgets.append(budget)
        clock.now += budget
        return False, "%s after %ss" % (observation, seconds(budget)), None
    return probe


def test_hung_probes_end_at_the_deadline_not_after_a_request_timeout_per_probe():
    clock, budgets = FakeClock(), []
    with pytest.raises(WaitTimeout) as info:
        wait_until(hung_probe(clock, budgets), timeout=30, delay=5, request_timeout=10,
                   what="http://x/ready did not answer 200", clock=clock, sleep=clock.sleep)
    elapsed = clock.now - 1000.0
    # The defect: 4 probes x (10 s + 5 s) = about 60 s for a 30 s timeout. Now one deadline.
    assert 30 - MIN_PROBE <= elapsed <= 30 + 1e-9, elapsed
    assert max(budgets) == 10 and sum(budgets) + sum(clock.sleeps) == pytest.approx(elapsed)
    err = info.value
    assert err.elapsed == pytest.approx(elapsed) and err.attempts == len(budgets) and err.timeout == 30
    assert str(err).startswith("http://x/ready did not answer 200 within 30s: waited 30.0s, %d attempt(s), last: "
                               "timed out after" % len(budgets)), str(err)
    assert err.as_dict() == {"elapsed": 30.0, "attempts": len(budgets), "last": err.last}


@pytest.mark.parametrize("timeout,delay,request_timeout", [(6, 1, 10), (7, 2, 3), (1, 5, 10), (30, 0, 4)])
def test_wait_never_passes_its_deadline(timeout, delay, request_timeout):
    clock, budgets = FakeClock(), []
    with pytest.raises(WaitTimeout):
        wait_until(hung_probe(clock, budgets), timeout, delay, request_timeout, clock=clock, sleep=clock.sleep)
    assert clock.now - 1000.0 <= timeout + 1e-9
    assert all(0 < budget <= request_timeout for budget in budgets)


def test_success_returns_elapsed_attempts_and_the_last_observation():
    clock = FakeClock()
    answers = iter([(False, "connection refused", None), (False, "HTTP 503", 503), (True, "HTTP 200", 200)])

    def probe(budget):
        clock.now += 0.25
        return next(answers)

    waited = wait_until(probe, 60, 2, 10, clock=clock, sleep=clock.sleep)
    assert waited.value == 200 and waited.attempts == 3 and waited.last == "HTTP 200"
    assert waited.elapsed == pytest.approx(0.75 + 4) and clock.sleeps == [2, 2]


def test_the_last_observation_is_kept_with_its_value():
    clock = FakeClock()

    def probe(budget):
        clock.now += 1
        return False, "HTTP 503", 503

    with pytest.raises(WaitTimeout, match=r"within 5s: waited 5\.0s, \d attempt\(s\), last: HTTP 503") as info:
        wait_until(probe, 5, 1, 10, what="it did not answer", clock=clock, sleep=clock.sleep)
    assert info.value.value == 503


def test_timeout_zero_probes_once_with_a_full_request_timeout():
    clock, budgets = FakeClock(), []
    with pytest.raises(WaitTimeout, match="within 0s: waited 10.0s, 1 attempt"):
        wait_until(hung_probe(clock, budgets), 0, 2, 10, clock=clock, sleep=clock.sleep)
    assert budgets == [10]


def test_the_last_probe_gets_only_the_time_left():
    clock, budgets = FakeClock(), []
    with pytest.raises(WaitTimeout):
        wait_until(hung_probe(clock, budgets), 25, 5, 10, clock=clock, sleep=clock.sleep)
    # 0-10 probe, 10-15 pause, 15-25 probe: the deadline; no third probe.
    assert budgets == [10, 10] and clock.sleeps == [5]
    clock, budgets = FakeClock(), []
    with pytest.raises(WaitTimeout):
        wait_until(hung_probe(clock, budgets), 22, 5, 10, clock=clock, sleep=clock.sleep)
    assert budgets == [10, 7] and clock.now - 1000.0 == pytest.approx(22)


def test_a_probe_that_raises_ends_the_wait_at_once():
    clock = FakeClock()

    def probe(budget):
        raise ValueError("certificate verify failed")

    with pytest.raises(ValueError, match="certificate"):
        wait_until(probe, 30, 1, 10, clock=clock, sleep=clock.sleep)
    assert clock.sleeps == []


def test_request_timeout_must_be_positive():
    with pytest.raises(ValueError):
        wait_until(lambda budget: (True, "", None), 1, 1, 0)


def test_seconds_reads_like_the_user_wrote_it():
    assert seconds(30) == "30" and seconds(30.0) == "30" and seconds(2.5) == "2.5"


def test_real_clock_against_a_socket_that_never_answers():
    """The real thing: a listener that accepts and never answers; every probe is a real socket read."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()

    def probe(budget):
        with socket.create_connection(listener.getsockname(), timeout=budget) as sock:
            sock.sendall(b"GET /ready HTTP/1.0\r\n\r\n")
            try:
                sock.recv(1)
            except socket.timeout:
                return False, "timed out after %ss" % seconds(round(budget, 1)), None
        return True, "answered", None

    start = time.monotonic()
    try:
        with pytest.raises(WaitTimeout, match=r"within 1\.5s: waited 1\.\ds, \d attempt\(s\), last: timed out"):
            wait_until(probe, 1.5, 0.2, 10, what="the socket did not answer")
    finally:
        stop.set()
        thread.join(2)
        listener.close()
        for sock in held:
            sock.close()
    assert time.monotonic() - start < 1.5 + 0.5
