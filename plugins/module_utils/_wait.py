# -*- coding: utf-8 -*-
# Copyright: contributors to wandb_local.server
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waits with one deadline: the one way this collection waits for something (``/ready``, a log line, ...).

A wait of ``timeout`` seconds probes, pauses ``delay`` seconds, probes again, until a probe succeeds or the
deadline ``start + timeout`` passes. Each probe is given ``min(request_timeout, time left)`` seconds, so a probe
that hangs (a server that accepts connections and never answers) cannot carry the wait past its deadline: a wait
ends by ``timeout`` (plus what a probe needs beyond the time it is given, e.g. closing a socket), or by
``request_timeout`` when ``timeout`` is 0 (one probe). The result and the error both say how long the wait took
(measured) and what the last probe saw.

``wait_until(probe, timeout, delay, request_timeout) -> Waited``
    ``probe(seconds)`` is called with the seconds this attempt may take and returns ``(done, observation,
    value)``: ``done`` ends the wait, ``observation`` is a short text of what it saw (``HTTP 503``,
    ``connection refused``, ``timed out after 10 s``), ``value`` is handed back in ``Waited.value``. An
    exception raised by the probe ends the wait at once (a failure that waiting cannot fix) and propagates.
    Raises ``WaitTimeout`` when the deadline passes.
``seconds(value) -> str``
    ``30`` for 30.0, ``2.5`` for 2.5: seconds as a user wrote them, for messages.
"""
from __future__ import annotations

import time

# A probe given less than this is not worth making: the wait ends instead.
MIN_PROBE = 0.1


def seconds(value):
    """Seconds for a message: no trailing .0."""
    return "%g" % float(value)


class Waited(object):
    """A wait that succeeded: ``elapsed`` seconds, ``attempts`` probes, the ``last`` observation, the probe's
    ``value``."""

    def __init__(self, elapsed, attempts, last, value):
        self.elapsed = elapsed
        self.attempts = attempts
        self.last = last
        self.value = value

    def as_dict(self):
        return dict(elapsed=round(self.elapsed, 1), attempts=self.attempts, last=self.last)


class WaitTimeout(Exception):
    """The deadline passed: ``elapsed`` seconds (measured), ``attempts`` probes, ``last`` observation, the
    ``value`` of the last probe."""

    def __init__(self, what, timeout, elapsed, attempts, last, value=None):
        self.what = what
        self.timeout = timeout
        self.elapsed = elapsed
        self.attempts = attempts
        self.last = last
        self.value = value
        super(WaitTimeout, self).__init__(
            "%s within %ss: waited %.1fs, %d attempt(s), last: %s" % (
                what, seconds(timeout), elapsed, attempts, last or "nothing"))

    def as_dict(self):
        return dict(elapsed=round(self.elapsed, 1), attempts=self.attempts, last=self.last)


def wait_until(probe, timeout, delay, request_timeout, what="did not succeed", clock=time.monotonic,
               sleep=time.sleep):
    """Probe until done or ``timeout`` seconds pass (see the module docstring). ``what`` starts the
    ``WaitTimeout`` message (``http://x/ready did not answer 200``)."""
    timeout = max(float(timeout), 0.0)
    delay = max(float(delay), 0.0)
    request_timeout = float(request_timeout)
    if request_timeout <= 0:
        raise ValueError("request_timeout must be positive, got %r" % request_timeout)
    start = clock()
    deadline = start + timeout
    attempts = 0
    last = None
    value = None
    while True:
        left = deadline - clock()
        # The first probe is always made; with no time left (timeout 0) it gets one request timeout. Later probes
        # get the time left (at least MIN_PROBE: a pause can overshoot a little), never more than request_timeout.
        budget = request_timeout if attempts == 0 and left < MIN_PROBE else min(request_timeout, max(left, MIN_PROBE))
        attempts += 1
        done, last, value = probe(budget)
        if done:
            return Waited(clock() - start, attempts, last, value)
        left = deadline - clock()
        if left < MIN_PROBE:
            raise WaitTimeout(what, timeout, clock() - start, attempts, last, value)
        # Pause, leaving at least MIN_PROBE for the next probe; that probe may be the last one.
        pause = min(delay, left - MIN_PROBE)
        if pause > 0:
            sleep(pause)
