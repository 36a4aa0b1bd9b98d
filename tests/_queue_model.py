"""A model of a FIFO worker server driving the limiter and the pacer: no HTTP, no clock (issue #14).

A discrete-event simulation of a closed-loop client that keeps at most ``limiter.limit`` pages in flight
(and, with a ``pacer``, sends each no sooner than it allows) against a server with ``workers`` workers,
``service`` seconds per page, ``latency`` seconds on the wire (half each way, holding no worker) and one
FIFO queue. Its knee is ``workers * (service + latency) / service`` pages in flight: fewer leave workers
idle, more only queue. Options:

- ``queue_limit``: beyond that many waiting pages a page is answered with a drop (a 503) and sent again;
- ``noise``: each service time scaled by a uniform factor in ``[1 - noise, 1 + noise]``; ``service`` may
  also be a function of the time (a server that slows down);
- ``jitter``: answers reach the client up to that late (its own event loop busy decoding); ``late``: every
  answer after the fourth that much later again (a delay the first pages' baseline did not see);
- ``probe_every``: an interactive call (``probe_service`` seconds of work, never refused) every that many
  seconds while the export runs, sharing the FIFO queue with the pages: its latency is what issue #14's
  "interactive calls first" bounds by the idle latency plus one page's service.

One model serves the limiter's tests, the pacer's, and ``benchmarks/pace_model.py`` (which measures, with
it, what any first limit costs on one worker and on sixteen). Deterministic for a given ``seed``.
"""

from __future__ import annotations

import heapq
import random
import statistics
from collections import deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field

from krill_async._limiter import VegasLimiter
from krill_async._pacer import Pacer

__all__ = ["Run", "simulate"]

#: A page or an interactive call on its way: (sent at, pages in flight when sent, is an interactive call,
#: the pacer's number for the page).
_Request = tuple[float, int, bool, "int | None"]


@dataclass
class Run:
    """What one simulated export did."""

    workers: int
    makespan: float = 0.0  # until the last page's answer (interactive calls answered later do not count)
    busy_time: float = 0.0  # worker-seconds spent on pages
    drops: int = 0
    max_queue: int = 0
    limits: list[tuple[float, int]] = field(default_factory=list)  # (when, the limit after each answer)
    probes: list[float] = field(default_factory=list)  # the interactive calls' latencies
    probes_sent: list[float] = field(default_factory=list)
    page_waits: list[float] = field(default_factory=list)  # each page's wait for a worker

    @property
    def utilisation(self) -> float:
        return self.busy_time / (self.workers * self.makespan)

    def late_limits(self, share: float = 0.5) -> list[int]:
        """The limits of the last ``share`` of the answers."""
        return [limit for _, limit in self.limits[int(len(self.limits) * (1 - share)) :]]

    def probe_p95(self, after: float = 0.0) -> float:
        """The p95 latency of the interactive calls sent ``after`` seconds into the export or later."""
        latencies = [p for p, sent in zip(self.probes, self.probes_sent, strict=True) if sent >= after]
        return statistics.quantiles(latencies, n=100, method="inclusive")[94]

    def probes_over(self, bound: float, before: float) -> int:
        """How many interactive calls sent in the first ``before`` seconds took longer than ``bound``."""
        return sum(p > bound for p, sent in zip(self.probes, self.probes_sent, strict=True) if sent < before)


def simulate(
    limiter: VegasLimiter,
    pacer: Pacer | None = None,
    *,
    workers: int,
    pages: int,
    service: float | Callable[[float], float] = 0.1,
    latency: float = 0.03,
    queue_limit: int | None = None,
    noise: float = 0.0,
    jitter: float = 0.0,
    late: float = 0.0,
    probe_every: float | None = None,
    probe_service: float = 0.0022,
    key: Hashable = None,
    seed: int = 0,
    start: float = 0.0,
) -> Run:
    """Export ``pages`` pages (see the module docstring); the limiter learns under ``key``."""
    rng = random.Random(seed)
    run = Run(workers)
    events: list[tuple[float, int, str, _Request]] = []
    counter = 0
    now = start
    in_flight = 0  # pages holding a slot: waiting for their send time, or sent and not yet answered
    to_send = pages
    busy = 0
    queue: deque[tuple[float, _Request]] = deque()  # (arrived at, request)
    answered = 0
    finished = start
    pacing = False  # a page is waiting for its send time (the pacer is asked again when it comes)

    def push(at: float, kind: str, request: _Request) -> None:
        nonlocal counter
        counter += 1
        heapq.heappush(events, (at, counter, kind, request))

    def admit() -> None:
        nonlocal in_flight, to_send, pacing
        while in_flight < limiter.limit and to_send > 0 and not pacing:
            delay = pacer.delay(now) if pacer is not None else 0.0
            if delay > 0:
                pacing = True
                push(now + delay, "paced", (0.0, 0, False, None))
                return
            number = pacer.sent(now) if pacer is not None else None
            in_flight += 1
            to_send -= 1
            push(now + latency / 2, "arrive", (now, in_flight, False, number))

    def begin(arrived: float, request: _Request) -> None:
        nonlocal busy
        busy += 1
        if request[2]:
            took = probe_service
        else:
            took = service(now) if callable(service) else service
            if noise:
                took *= 1 + rng.uniform(-noise, noise)
            run.busy_time += took
            run.page_waits.append(now - arrived)
        push(now + took, "served", request)

    admit()
    if probe_every:
        push(start + probe_every, "probe", (0.0, 0, True, None))
    while events:
        now, _, kind, request = heapq.heappop(events)
        sent, seen, probe, number = request
        if kind == "paced":
            pacing = False
            admit()
        elif kind == "probe":
            if answered < pages:
                push(now + latency / 2, "arrive", (now, 0, True, None))
                push(now + probe_every, "probe", request)  # type: ignore[operator]
        elif kind == "arrive":
            if busy < workers:
                begin(now, request)
            elif not probe and queue_limit is not None and len(queue) >= queue_limit:
                push(now + latency / 2, "rejected", request)
            else:
                queue.append((now, request))
                run.max_queue = max(run.max_queue, len(queue))
        elif kind == "served":
            busy -= 1
            if queue:
                begin(*queue.popleft())
            delay = 0.0
            if not probe:
                delay = (rng.uniform(0, jitter) if jitter else 0.0) + (late if answered >= 4 else 0.0)
            push(now + latency / 2 + delay, "answer", request)
        elif kind == "answer" and probe:
            run.probes.append(now - sent)
            run.probes_sent.append(sent)
        elif kind == "answer":
            in_flight -= 1
            answered += 1
            finished = now
            run.limits.append((now, limiter.on_sample(now - sent, seen, now, key)))
            if pacer is not None:
                pacer.on_sample(now - sent, limiter.baseline(key), now, send=number)
                pacer.on_window(limiter.knee)
            admit()
        else:  # rejected: sent again
            in_flight -= 1
            to_send += 1
            run.drops += 1
            run.limits.append((now, limiter.on_drop(now)))
            if pacer is not None:
                pacer.on_drop()
            admit()
    run.makespan = finished - start
    return run
