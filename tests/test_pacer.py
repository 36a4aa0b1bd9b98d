"""The pacer with the limiter against a model of a FIFO worker server (no HTTP, no clock).

The model (``tests/_queue_model.py``, shared with the limiter's tests) is a discrete-event simulation: a
client keeps at most ``limiter.limit`` pages in flight and sends each when the pacer allows; the server has
``workers`` workers, ``service`` seconds per page, ``latency`` seconds on the wire (half each way, holding
no worker) and one FIFO queue that interactive calls (every 100 ms here, 2.2 ms of work each) share with
the pages. The answers reach the client ``jitter`` seconds late at most (its own event loop busy decoding).

The promise under test is issue #14's: the export keeps the workers busy (within 10% of the best a
window can do) while an interactive call waits at most for the page a worker is already serving, never
behind queued ones: its latency stays within the idle latency plus one page's service.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest

from krill_async._limiter import VegasLimiter
from krill_async._pacer import PACED_INITIAL_LIMIT, SMALL_SERVER, Pacer

from . import _queue_model as queue_model
from ._queue_model import Run

SERVICE, LATENCY, PROBE_SERVICE = 0.102, 0.03, 0.0022


def simulate(limiter: VegasLimiter, pacer: Pacer | None, **options: Any) -> Run:
    """The shared model with this file's page (``SERVICE``), an interactive call every 100 ms, key 500."""
    options.setdefault("service", SERVICE)
    options.setdefault("probe_every", 0.1)
    return queue_model.simulate(limiter, pacer, key=500, **options)


def auto(max_limit: int = 64, initial: int = PACED_INITIAL_LIMIT) -> VegasLimiter:
    """The limiter of a paced client (or, with ``initial=8``, of an unpaced one)."""
    return VegasLimiter(initial=initial, max_limit=max_limit, verify_knee=initial == PACED_INITIAL_LIMIT)


def fixed(limit: int) -> VegasLimiter:
    return VegasLimiter(initial=limit, min_limit=limit, max_limit=limit)


# -- the promise -------------------------------------------------------------------------------------------


def best_fixed(workers: int, pages: int) -> float:
    return min(simulate(fixed(n), None, workers=workers, pages=pages).makespan for n in (1, 2, 4, 8, 16, 32))


IDLE = LATENCY + PROBE_SERVICE


@pytest.mark.parametrize("workers", [1, 2, 4, 16])
@pytest.mark.parametrize("jitter", [0.0, 0.005])
def test_paced_exports_keep_the_workers_busy(workers: int, jitter: float) -> None:
    pages = 100 * workers
    run = simulate(auto(), Pacer(), workers=workers, pages=pages, jitter=jitter)
    assert run.makespan <= 1.10 * best_fixed(workers, pages)


@pytest.mark.parametrize("workers", [2, 4])
@pytest.mark.parametrize("jitter", [0.005, 0.015])
def test_interactive_calls_wait_for_at_most_the_page_in_service(workers: int, jitter: float) -> None:
    # (Without any jitter the 2-worker model locks into a cycle where each of the pacer's probes builds
    # 30 ms of queue before it is seen: p95 158 ms. Real answers are never that regular: the benchmark's
    # 2-worker p95 is 120-127 ms against a bound of 139.)
    run = simulate(auto(), Pacer(), workers=workers, pages=100 * workers, jitter=jitter)
    assert run.probe_p95() <= IDLE + SERVICE
    if workers == 2:  # (on 4 workers the window alone just meets the bound in this model)
        unpaced = simulate(auto(), None, workers=workers, pages=100 * workers, jitter=jitter)
        assert unpaced.probe_p95() > IDLE + SERVICE  # it keeps pages queued in front of them


@pytest.mark.parametrize("jitter", [0.0, 0.005])
def test_one_worker_has_almost_no_queue_in_front_of_interactive_calls(jitter: float) -> None:
    # Once the pace is known (after the first second: up to four pages are sent before it is) the p95 is
    # within 1% of a page of the bound: the small standing queue the target keeps, and the queue each
    # probe builds before it is seen. (With the earlier probe of 2% an answer, the probes' queues put it
    # 2.5% of a page above the bound without jitter and 10% above with 5 ms of it.)
    run = simulate(auto(), Pacer(), workers=1, pages=100, jitter=jitter)
    unpaced = simulate(auto(), None, workers=1, pages=100, jitter=jitter)
    assert run.probe_p95(after=1.0) <= IDLE + 1.01 * SERVICE < unpaced.probe_p95(after=1.0)
    assert statistics.median(run.page_waits) < 0.1 * SERVICE < statistics.median(unpaced.page_waits)


@pytest.mark.parametrize("workers", [1, 2, 4])
def test_jitter_larger_than_the_target_does_not_slow_the_export_down(workers: int) -> None:
    # Answers up to 15 ms late (three times the target's 4 ms): a pacer that took late answers for the
    # server's pace would feed its own slower pace back into its estimate and slow down without end.
    pages = 100 * workers
    run = simulate(auto(), Pacer(), workers=workers, pages=pages, jitter=0.015)
    assert run.makespan <= 1.10 * best_fixed(workers, pages)


LASTING_DELAY_ON_16 = (
    "known limit, why only small servers are paced (issue #14): on 16 workers answers come close together and "
    "out of order, a lasting delay reads as a queue whose answers keep the spacing of our own sends, and the "
    "pace found is ours (as pacing=True measured in benchmarks/pace.py on 16 workers)"
)


@pytest.mark.parametrize(
    "workers", [4, pytest.param(16, marks=pytest.mark.xfail(strict=True, reason=LASTING_DELAY_ON_16))]
)
def test_a_lasting_delay_the_baseline_did_not_see_is_not_taken_for_the_servers_pace(workers: int) -> None:
    # Every answer after the first few comes 10 ms late (client and server busier than on the first
    # page), and none waited for a worker: their spacing is our own pace, the server could go faster.
    # The limiter's check of the knee (one round trip with fewer pages in flight) takes the delay for
    # the new baseline on 4 workers.
    pages = 100 * workers
    run = simulate(auto(), Pacer(), workers=workers, pages=pages, jitter=0.005, late=0.010)
    assert run.makespan <= 1.10 * best_fixed(workers, pages)


def test_without_the_pacer_a_lasting_delay_costs_the_window_nothing() -> None:
    # The default (no pacer): the same lasting delay is within the limiter's tolerance (20% of the round
    # trip), and the window keeps the 16 workers busy.
    run = simulate(auto(initial=8), None, workers=16, pages=1600, jitter=0.005, late=0.010)
    assert run.makespan <= 1.10 * best_fixed(16, 1600)


def pace_changes(pacer: Pacer, factor: float, pages: int) -> Run:
    """50 pages on one worker at ``SERVICE``, then ``pages`` more at ``factor`` times it (same client)."""
    limiter = auto()
    simulate(limiter, pacer, workers=1, pages=50, probe_every=None)
    assert pacer.capacity == pytest.approx(SERVICE, rel=0.1)
    return simulate(limiter, pacer, workers=1, pages=pages, service=factor * SERVICE, probe_every=None)


def test_a_server_that_slows_down_is_followed_without_a_growing_queue() -> None:
    pacer = Pacer()
    run = pace_changes(pacer, 2.0, pages=100)
    assert pacer.capacity == pytest.approx(2 * SERVICE, rel=0.1)
    assert statistics.median(run.page_waits[50:]) < 0.1 * SERVICE


# -- the pure object ---------------------------------------------------------------------------------------


def test_nothing_is_paced_before_the_server_shows_a_queue() -> None:
    pacer = Pacer()
    for i in range(20):  # answers at the no-load round trip: no pace to follow
        pacer.on_sample(0.132, 0.132, 0.1 * i)
        assert pacer.delay(0.1 * i) == 0.0
    assert pacer.capacity is None and pacer.interval == 0.0


def test_the_pace_is_the_spacing_of_answers_that_waited() -> None:
    pacer = Pacer(window=4)
    pacer.on_sample(0.132, 0.132, 1.0)
    for i in range(1, 6):  # each page waited 50 ms more than the last: answers every 102 ms
        pacer.on_sample(0.132 + 0.05 * i, 0.132, 1.0 + 0.102 * i)
    assert pacer.capacity == pytest.approx(0.102)
    assert pacer.interval == pytest.approx(0.102)
    assert pacer.pauses == 1  # the queue beyond the target is drained once per round trip


def test_delay_and_sent_space_the_sends() -> None:
    pacer = Pacer()
    pacer.capacity = 0.1
    assert pacer.delay(5.0) == 0.0
    pacer.sent(5.0)
    assert pacer.delay(5.04) == pytest.approx(0.06)
    pacer.sent(5.1, waited=True)
    assert pacer.delay(5.3) == 0.0 and pacer.paced == 1


def test_a_drop_slows_the_pace_and_bad_samples_teach_nothing() -> None:
    pacer = Pacer(drop_stretch=1.5)
    assert pacer.on_drop() == 0.0  # no pace yet: nothing to slow down (the window halves)
    pacer.capacity = 0.1
    assert pacer.on_drop() == pytest.approx(0.15)
    for rtt, baseline in ((0.0, 0.1), (-1.0, 0.1), (math.nan, 0.1), (math.inf, 0.1), (0.2, None), (0.2, 0.0)):
        assert pacer.on_sample(rtt, baseline, 1.0) == pytest.approx(0.15)
    assert pacer.samples == 0


def test_a_small_server_is_paced_a_larger_one_is_not_decided_once() -> None:
    small = Pacer(small_server=5)
    small.capacity = 0.1
    assert small.delay(0.0) == 0.0  # undecided: not paced (the limiter has not found the knee yet)
    small.on_window(None)
    assert small.engaged is None
    small.on_window(3)  # the knee: 3 pages
    small.sent(1.0)
    assert small.engaged is True and small.delay(1.0) == pytest.approx(0.1)
    small.on_window(40)  # later limits do not undo it (a paced export's limit grows)
    assert small.engaged is True
    large = Pacer(small_server=5)
    large.capacity = 0.1
    large.on_window(9)
    large.on_window(2)
    assert large.engaged is False and large.delay(0.0) == 0.0
    assert Pacer().engaged is True  # small_server=None: always paced


def test_a_slow_start_ended_by_a_drop_finds_no_knee() -> None:
    limiter = VegasLimiter(initial=2)
    limiter.on_sample(0.1, 1, 0.0)
    limiter.on_drop(0.2)  # a 503 before any sign of queueing: the limit halves, slow start ends
    assert not limiter.slow_start and limiter.knee is None
    for i in range(20):
        limiter.on_sample(0.3, 1, 1.0 + i)  # queueing now: no knee either (it was not found by slow start)
    assert limiter.knee is None


def test_drops_stretch_the_pace_to_the_last_round_trip_at_most() -> None:
    pacer = Pacer()
    pacer.on_sample(0.132, 0.132, 1.0)
    pacer.capacity = 0.1
    for _ in range(30):  # a 503 storm: 1.5 ** 30 times the interval would be hours
        pacer.on_drop()
    assert pacer.interval == pytest.approx(0.132)
    pacer.sent(5.0)
    assert pacer.delay(5.0) == pytest.approx(0.132)


@pytest.mark.parametrize("workers", [1, 2, 4, 16])
@pytest.mark.parametrize("jitter", [0.0, 0.005])
def test_auto_pacing_engages_on_one_and_two_workers_only(workers: int, jitter: float) -> None:
    pacer = Pacer(small_server=SMALL_SERVER)
    simulate(auto(), pacer, workers=workers, pages=100, jitter=jitter)
    assert (pacer.engaged is True) is (workers <= 2)  # (16 workers: sometimes no knee within the bound)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"target": -0.1},
        {"target": 1.0},
        {"window": 0},
        {"probe": 1.0},
        {"probe": -0.1},
        {"drop_stretch": 0.9},
        {"small_server": 0},
    ],
)
def test_invalid_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Pacer(**kwargs)  # type: ignore[arg-type]


if __name__ == "__main__":  # a table for tuning: python tests/test_pacer.py
    for w in (1, 2, 4, 16):
        for j in (0.0, 0.005):
            best = min(simulate(fixed(n), None, workers=w, pages=100 * w).makespan for n in (1, 2, 4, 8, 16, 32))
            for name, pacer in (("paced", Pacer()), ("window", None)):
                r = simulate(auto(), pacer, workers=w, pages=100 * w, jitter=j)
                print(
                    f"w={w:2} jitter={j * 1000:.0f}ms {name:6} makespan/best {r.makespan / best:.3f} "
                    f"util {r.utilisation:.3f} probe p50 {statistics.median(r.probes) * 1000:.0f} "
                    f"p95 {r.probe_p95() * 1000:.0f} (bound {(LATENCY + PROBE_SERVICE + SERVICE) * 1000:.0f}) "
                    f"page wait p50 {statistics.median(r.page_waits) * 1000:.1f} ms, {pacer!r}"
                )


def test_a_server_that_gets_faster_is_found() -> None:
    # The probe sends a little sooner after every answer that did not wait: the pace of a server whose
    # pages got 30% cheaper (its other load gone) is found. Slowly (a known limit, in docs/reliability.md):
    # the 200 pages after the change take about 1.5x their new best, against 1.8x never probing.
    pacer, never_probing = Pacer(), Pacer(probe=0.0)
    run = pace_changes(pacer, 0.7, pages=200)
    assert pacer.capacity == pytest.approx(0.7 * SERVICE, rel=0.1)
    assert statistics.median(run.page_waits[100:]) < 0.1 * SERVICE
    stuck = pace_changes(never_probing, 0.7, pages=200)
    assert never_probing.capacity == pytest.approx(SERVICE, rel=0.05)  # (it never learns)
    assert run.makespan < 0.9 * stuck.makespan
