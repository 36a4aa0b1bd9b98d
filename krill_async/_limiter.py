"""How many requests may be in flight: a pure decision object fed with round-trip times and drops.

The algorithm is TCP Vegas (Brakmo and Peterson, "TCP Vegas: end to end congestion avoidance on a global
internet", IEEE JSAC 13(8), 1995) in the form Netflix's concurrency-limits library gives it
(``VegasLimit`` and ``GradientLimit``, https://github.com/Netflix/concurrency-limits): compare each
round-trip time with the no-load round-trip time of the same kind of request, and read the ratio as the
share of the requests in flight that are waiting in the server's queue::

    gradient = min(1, tolerance * baseline / smoothed_rtt)   # 1 while nothing queues
    serving  = in_flight * max(0.5, baseline / smoothed_rtt) # once gradient < 1
    target   = serving + max(queue, (tolerance - 1) * serving)  # the knee, plus a headroom

``serving`` estimates how many requests the server works on at once (its workers, plus the requests on
the wire); the headroom is how many more we let wait there so that no worker idles between two of our
requests: ``queue`` (one request) or the tolerance's share, whichever is larger (Netflix's
``GradientLimit`` adds both: ``in_flight * gradient + queue``, which let two pages stand in a 4-worker
server's queue, in front of every interactive call). The limit moves towards ``target`` by ``1/limit``
of the gap per sample, so about two thirds of the way per round trip whatever the limit.
``smoothed_rtt`` averages about one round trip of samples (each request in flight weighs once): single
round trips are too noisy to compare.
Before the first sign of queueing the limit grows by half a request per sample (x1.5 per round trip:
TCP's slow start, gentler because the sign of queueing arrives one round trip late and a doubling would
overshoot the knee twofold), by a whole one below ``DOUBLE_BELOW`` requests (a paced client starts at 2:
there a doubling overshoots by 2 requests at most, and a large server is reached as soon as from the
unpaced start of 8). The first sign ends slow start at the estimate taken from the limit of a round
trip before (the sign is that late). Then the limit grows by one request per round trip while nothing
queues (Vegas's additive increase: the sign of queueing still comes a round trip late, and Netflix's
``sqrt(limit)`` steps overshot a 4-worker server's knee by 4 pages each time, a sawtooth of standing
queue in front of interactive calls); a drop (429, 503, a timeout) halves it, once per round trip at
most (TCP's multiplicative decrease), and ends slow start.

Why a baseline per ``key``: a page of 1000 records takes longer to serve than a page of 10 even on an
idle server, so RTTs are only compared with RTTs of the same size (the key is the page size). The
baseline is the smallest smoothed RTT seen within a window; when it grows stale the limiter briefly lowers the limit to
``probe_fraction`` of itself to measure an unloaded round trip again (BBR's ProbeRTT, Cardwell et al.,
ACM Queue 14(5), 2016): without that, a baseline taken under our own load would let the limit ratchet up.

Pure: no clock reads, no I/O; ``now`` is passed in (any monotonic clock, in seconds).
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

__all__ = ["DOUBLE_BELOW", "AIMDCap", "Baseline", "VegasLimiter"]

#: Below this limit, slow start doubles the limit per round trip instead of growing it by half.
DOUBLE_BELOW = 4


@dataclass
class Baseline:
    """The round trips of one kind of request: ``rtt`` is the no-load one (the smallest ``smoothed`` seen,
    at ``at``); ``smoothed`` the recent average."""

    rtt: float
    at: float
    smoothed: float


class VegasLimiter:
    """Adaptive concurrency limit within ``[min_limit, max_limit]`` (see the module docstring).

    ``initial`` is the first limit (8: the client's fixed default until #14, so that a short export
    starts no slower than it used to; a paced client starts at 2, since a burst of more pages would sit
    in a one-worker server's queue, in front of every interactive call, for as many page services).
    ``queue`` is how many requests may wait at the server beyond its estimated capacity
    (1 keeps every worker busy without a long queue in front of interactive calls); ``tolerance`` is the
    RTT growth taken as noise rather than queueing (1.2: 20%); ``backoff`` multiplies the limit on a
    drop; ``window`` is how long a baseline stays valid before it is measured again. With
    ``verify_knee`` (a paced client's: its pacing is decided by the knee) slow start's first sign of
    queueing is checked by a probe (one round trip at ``probe_fraction`` of the limit) before it ends
    slow start: a delay that stays with fewer requests in flight is no queue; it becomes the baseline.
    """

    #: The default first limit.
    INITIAL = 8

    def __init__(
        self,
        *,
        initial: int = INITIAL,
        min_limit: int = 1,
        max_limit: int = 64,
        queue: float = 1.0,
        tolerance: float = 1.2,
        backoff: float = 0.5,
        window: float = 30.0,
        probe_fraction: float = 0.5,
        verify_knee: bool = False,
    ) -> None:
        if not 1 <= min_limit <= max_limit:
            raise ValueError("need 1 <= min_limit <= max_limit")
        if queue < 0 or tolerance < 1 or not 0 < backoff < 1 or window <= 0 or not 0 < probe_fraction <= 1:
            raise ValueError("need queue >= 0, tolerance >= 1, 0 < backoff < 1, window > 0, 0 < probe_fraction <= 1")
        self.min_limit = min_limit
        self.max_limit = max_limit
        self.queue = queue
        self.tolerance = tolerance
        self.backoff = backoff
        self.window = window
        self.probe_fraction = probe_fraction
        self.verify_knee = verify_knee
        # (baseline, estimate, the limit at the sign) while a knee is checked
        self._knee_check: tuple[float, float, int] | None = None
        self._limit = float(min(max(initial, min_limit), max_limit))
        self._baselines: dict[Hashable, Baseline] = {}
        self._slow_start = True
        #: The limit at which slow start first saw a queue (confirmed by the check with ``verify_knee``):
        #: the server's knee as slow start overshoots it, by up to a round trip of growth; the limit then
        #: goes to the estimate (None before, and for good when a drop ended slow start).
        self.knee: int | None = None
        self._last_drop = -math.inf
        self._probe_key: Hashable | None = None
        self._probing = False
        self._probe_started = 0.0
        #: Counters for monitoring and tests.
        self.samples = 0
        self.drops = 0
        self.probes = 0
        self.false_knees = 0  # signs of queueing that a probe showed to be a lasting delay

    def __repr__(self) -> str:
        phase = "probe" if self._probing else "slow-start" if self._slow_start else "avoidance"
        return (
            f"<VegasLimiter limit={self.limit} ({self._limit:.2f}) {phase} bounds=[{self.min_limit}, {self.max_limit}]>"
        )

    # -- reading ----------------------------------------------------------------------------------------

    @property
    def limit(self) -> int:
        """Requests that may be in flight now (an integer within the bounds)."""
        value = self._limit
        if self._probing:
            value = value * self.probe_fraction
        return max(self.min_limit, min(self.max_limit, math.floor(value + 1e-9)))

    @property
    def slow_start(self) -> bool:
        return self._slow_start

    @property
    def probing(self) -> bool:
        return self._probing

    def baseline(self, key: Hashable = None) -> float | None:
        """The no-load RTT of ``key`` requests (None before the first sample)."""
        base = self._baselines.get(key)
        return base.rtt if base is not None else None

    # -- feeding ----------------------------------------------------------------------------------------

    def on_sample(self, rtt: float, in_flight: int, now: float, key: Hashable = None) -> int:
        """A request answered after ``rtt`` seconds; ``in_flight`` counts the requests in flight when it was
        sent, itself included. Returns the new limit."""
        if not (rtt > 0 and math.isfinite(rtt)) or in_flight < 1:
            return self.limit  # a clock glitch or a caller bug: no information
        self.samples += 1
        base = self._baselines.get(key)
        if base is None:
            base = self._baselines[key] = Baseline(rtt, now, rtt)
        elif self._probing:
            # Requests sent before the probe are still coming back: wait for one sent under the probe's
            # lower limit (or give up after a few round trips, keeping what we see then).
            if key == self._probe_key and (in_flight <= self.limit or now - self._probe_started > 4 * rtt):
                self._baselines[key] = Baseline(rtt, now, rtt)
                self._probing = False
                if self._knee_check is not None:
                    self._check_knee(rtt)
            return self.limit
        else:
            # The average over about one round trip (each request in flight weighs once), so that noise
            # in single round trips is not read as queueing; its minimum is the baseline.
            base.smoothed += (rtt - base.smoothed) / max(2, in_flight)
            if base.smoothed <= base.rtt:
                base.rtt, base.at = base.smoothed, now
            elif now - base.at > self.window:
                if in_flight > 1:
                    self.probes += 1
                    self._probing, self._probe_key, self._probe_started = True, key, now
                    return self.limit
                base.rtt, base.at = rtt, now  # alone in flight: unloaded by definition
        gradient = min(1.0, self.tolerance * base.rtt / base.smoothed)
        # Fewer than half the limit in flight: we do not use the limit we have, so nothing says it could be
        # higher (Netflix's rule; the limit also moves within a round trip, and interactive calls may hold
        # some of the slots, so a request rarely sees all of it in use).
        used = 2 * in_flight >= self._limit
        if self._slow_start:
            if gradient < 1.0:  # the first sign of queueing: jump to the estimate, then follow it
                # The sign comes a round trip late (the smoothed RTT averages the last one), and slow start
                # has grown the limit by half (doubled below DOUBLE_BELOW) meanwhile: the queue seen is that
                # of the limit a round trip ago, which is where the estimate starts (never below this
                # sample's own in_flight). From the limit itself, a 4-worker server serving 5 pages at once
                # was held at 9 after the knee check (benchmarks/pace.py). The knee keeps the limit at the
                # sign: what decides pacing is the overshoot's size, which tells 2 workers from 4 better.
                before = self._limit / (1.5 if self._limit > DOUBLE_BELOW else 2.0)
                estimate = min(self._limit, self._target(max(float(in_flight), before), base))
                if self.verify_knee:
                    # A queue, or a delay that lasts (a client or a server busier than on the first pages)?
                    # One round trip with fewer requests in flight tells: a queue drains, a delay stays.
                    self._knee_check = (base.rtt, estimate, self.limit)
                    self.probes += 1
                    self._probing, self._probe_key, self._probe_started = True, key, now
                    return self.limit
                self._end_slow_start(estimate, self.limit)
            elif used and self.tolerance * base.rtt >= rtt:
                self._set(self._limit + (1.0 if self._limit < DOUBLE_BELOW else 0.5))
            return self.limit
        if gradient >= 1.0:  # nothing queues: probe upwards by one request per round trip
            if used:
                self._set(self._limit + 1.0 / max(1.0, self._limit))
            return self.limit
        self._set(self._limit + (self._target(in_flight, base) - self._limit) / max(1.0, self._limit))
        return self.limit

    def _target(self, load: float, base: Baseline) -> float:
        """The limit aimed at once requests queue: what the server serves at once (``load`` shrunk by the
        RTT's growth, never below half of it in one round trip) plus a headroom: ``queue`` requests, or the
        tolerance's share of it, whichever is larger. Not both: the tolerance is already queue we let
        stand (20% of the round trip reads as noise), and adding a request on top of it kept two pages
        waiting before every interactive call on a 4-worker server (measured in benchmarks/pace.py)."""
        serving = load * max(0.5, base.rtt / base.smoothed)
        return serving + max(self.queue, (self.tolerance - 1.0) * serving)

    def _end_slow_start(self, estimate: float, knee: int) -> None:
        self._slow_start = False
        self._set(estimate)
        self.knee = knee

    def _check_knee(self, probed: float) -> None:
        """The round trip measured with fewer requests in flight after slow start's first sign of queueing:
        back near the old baseline, it was a queue (the knee is found); still long, it is a delay that lasts,
        now the baseline, and slow start goes on."""
        assert self._knee_check is not None
        (before, estimate, knee), self._knee_check = self._knee_check, None
        if probed <= self.tolerance * before:
            self._end_slow_start(estimate, knee)
        else:
            self.false_knees += 1

    def on_drop(self, now: float) -> int:
        """A request was refused or timed out (429, 503, a timeout): the server is past its capacity.

        Several drops within one round trip are one congestion event, so they cut the limit once."""
        self.drops += 1
        self._slow_start = False
        self._knee_check = None  # a drop ends slow start without a knee
        spacing = min((b.rtt for b in self._baselines.values()), default=0.0)
        if now - self._last_drop >= spacing:
            self._last_drop = now
            self._set(self._limit * self.backoff)
        return self.limit

    # -- internals ----------------------------------------------------------------------------------------

    def _set(self, value: float) -> None:
        self._limit = max(float(self.min_limit), min(float(self.max_limit), value))


class AIMDCap:
    """A cap on requests that teach no round trips (interactive calls), from the server's refusals alone.

    Additive increase, multiplicative decrease (Chiu and Jain, "Analysis of the increase and decrease
    algorithms for congestion avoidance in computer networks", 1989; TCP Reno's congestion avoidance,
    RFC 5681): a refusal multiplies the cap by ``backoff``, once per congestion event (a refusal of a
    request sent before the last cut is part of that cut's event: TCP's one cut per window, or 40
    concurrent 503s would take a cap of 17 to 1 at once), and each success adds ``1/cap`` (one request per
    cap's worth of answers). A refusal of a request sent while fewer than half the cap were in flight cuts
    nothing: the cap did not overload the server (a deploy restarting, answering 503 to the one call
    retrying through it, would otherwise take the cap from 17 to 2 for every call after it).

    There is no cap (``math.inf``) until the first refusal, and none again once it grows back to the
    caller's ceiling (read at each call: it may be another object's limit), or once ``recover_after``
    seconds pass with no cut: a client that went quiet after a blip would otherwise keep the blip's cap
    for its next burst, which then probes the server again (a server still refusing halves it at once).
    It never goes below ``min_cap`` (2): one long call (a report, a streamed body) must not hold every
    other interactive call back. (A floor of a quarter of the ceiling was tried against two long calls: a
    burst of 60 calls on a server that serves 2 at a time then kept 3 refused per round, and 1-5 of the 60
    ran out of retries in each of six runs, where a floor of 2 lost none; `recover_after` bounds how long
    a low cap stays.)

    Why not the `VegasLimiter`: interactive round trips are too short and too varied to read queueing from
    (a 30 ms get() moves by 10% with a few milliseconds of jitter), so only refusals are information.
    Pure: no clock reads; times are passed in.
    """

    def __init__(self, *, backoff: float = 0.5, min_cap: int = 2, recover_after: float = 10.0) -> None:
        if not 0 < backoff < 1 or min_cap < 1 or recover_after <= 0:
            raise ValueError("need 0 < backoff < 1, min_cap >= 1 and recover_after > 0")
        self.backoff = backoff
        self.min_cap = min_cap
        self.recover_after = recover_after
        self._cap = math.inf
        self._last_cut = -math.inf
        #: Counters for monitoring and tests: refusals seen, and the cuts they made.
        self.drops = 0
        self.cuts = 0

    def __repr__(self) -> str:
        return f"<AIMDCap cap={self._cap:.2f} drops={self.drops} cuts={self.cuts}>"

    def capped(self, now: float) -> bool:
        """Whether refusals hold the cap below the ceiling at ``now``."""
        return math.isfinite(self._cap) and now - self._last_cut < self.recover_after

    def floor(self, ceiling: int) -> int:
        """The lowest the cap goes under ``ceiling``."""
        return min(ceiling, self.min_cap)

    def limit(self, ceiling: int, now: float) -> int:
        """Requests that may be in flight at ``now``: the cap, within ``[floor(ceiling), ceiling]``."""
        if not self.capped(now):
            return ceiling
        return max(self.floor(ceiling), min(ceiling, math.floor(self._cap + 1e-9)))

    def on_success(self, ceiling: int, now: float) -> None:
        if not self.capped(now):
            self._cap = math.inf
            return
        self._cap += 1.0 / max(1.0, self._cap)
        if self._cap >= ceiling:
            self._cap = math.inf

    def on_drop(self, sent_at: float, now: float, ceiling: int, in_flight: int) -> int:
        """A refusal of a request sent at ``sent_at`` with ``in_flight`` requests (itself included), seen at
        ``now``. Returns the new limit."""
        self.drops += 1
        if sent_at > self._last_cut and 2 * in_flight >= self.limit(ceiling, now):
            self._cap = max(float(self.floor(ceiling)), self.limit(ceiling, now) * self.backoff)
            self._last_cut = now
            self.cuts += 1
        return self.limit(ceiling, now)
