"""The adaptive limiter against a model of a queueing server (no HTTP, no clock); the admission object is
tested in ``tests/test_admission.py``.

The model (``tests/_queue_model.py``, shared with the pacer's tests) is a discrete-event simulation of a
closed-loop client keeping ``limiter.limit`` requests in flight against a FIFO server with ``workers``
workers, a service time per request and a network latency that holds no worker. Its knee is
``workers * (service + latency) / service`` requests in flight: fewer leave workers idle, more only queue.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from krill_async._limiter import AIMDCap, VegasLimiter

from . import _queue_model as queue_model
from ._queue_model import Run

SERVICE, LATENCY = 0.1, 0.03


def knee(workers: int) -> float:
    return workers * (SERVICE + LATENCY) / SERVICE


def simulate(limiter: VegasLimiter, *, requests: int, **options: Any) -> Run:
    """The shared model with this file's request (``SERVICE``), no interactive calls, no pacer."""
    options.setdefault("service", SERVICE)
    return queue_model.simulate(limiter, pages=requests, **options)


# -- convergence --------------------------------------------------------------------------------------


@pytest.mark.parametrize("workers", [1, 2, 4, 16, 40])
def test_converges_just_above_the_knee(workers: int) -> None:
    limiter = VegasLimiter(max_limit=100)
    run = simulate(limiter, workers=workers, requests=100 * workers)
    late = statistics.median(run.late_limits())
    # every worker busy, and no more queue than the headroom (the RTT growth the limiter tolerates as
    # noise, or one request), plus the one round trip of additive increase it takes to see that growth
    ceiling = max(knee(workers) * limiter.tolerance, knee(workers) + limiter.queue)
    assert knee(workers) <= late <= ceiling + 1
    assert run.utilisation > 0.9
    assert run.drops == 0


def test_the_first_sign_of_queueing_takes_the_limit_of_a_round_trip_before() -> None:
    """The sign comes a round trip late, when slow start has grown the limit by half: the queue it shows
    is that of the pages sent a round trip ago. Resuming at the limit itself kept a 4-worker server 4
    pages past its knee (benchmarks/pace.py); the knee reported is the limit at the sign."""
    limiter = VegasLimiter(initial=2, max_limit=100)
    now = 0.0
    while limiter.limit < 9:  # an idle server: every answer at the baseline
        now += 0.01
        limiter.on_sample(0.1, limiter.limit, now)
    at_sign = limiter.limit
    while limiter.slow_start:  # now 30% longer, for pages sent when 6 were in flight
        now += 0.01
        limiter.on_sample(0.13, 6, now)
    assert limiter.knee == at_sign
    # what the server serves at once (6 pages shrunk by the RTT's growth) plus the headroom: about 6,
    # not 9 (the old estimate from the limit: 9 * gradient + 1, capped at the limit)
    assert limiter.limit <= 6 < at_sign


def test_the_headroom_is_one_request_or_the_tolerance_not_both() -> None:
    """Once requests queue, the target is what the server serves at once plus the larger of ``queue`` and
    the tolerance's share: a 20% longer RTT already lets that much queue stand."""
    for serving, expected in [(2.0, 3.0), (5.0, 6.0), (20.0, 24.0)]:
        limiter = VegasLimiter(initial=40, max_limit=100)
        limiter.on_sample(0.1, 1, 0.0)  # the baseline
        limiter.on_drop(0.01)  # out of slow start
        for i in range(400):  # RTT twice the baseline with 2 * serving in flight: serving at once
            limiter.on_sample(0.2, int(2 * serving), 0.02 + i * 0.001)
        assert limiter.limit == math.floor(expected), (serving, limiter)


def test_a_fixed_limit_far_above_the_knee_only_queues() -> None:
    """The model itself: the test above would be vacuous if queueing cost nothing in it."""
    fixed = VegasLimiter(initial=32, min_limit=32, max_limit=32)
    adaptive = VegasLimiter()
    queued = simulate(fixed, workers=4, requests=400)
    paced = simulate(adaptive, workers=4, requests=400)
    assert queued.max_queue >= 32 - knee(4) - 1
    assert paced.max_queue < queued.max_queue / 3
    assert paced.makespan < queued.makespan * 1.05  # ... for no loss of throughput


@pytest.mark.parametrize("noise", [0.1, 0.2])
@pytest.mark.parametrize("workers", [4, 16])
def test_stable_under_noisy_service_times(workers: int, noise: float) -> None:
    limiter = VegasLimiter(max_limit=100)
    run = simulate(limiter, workers=workers, requests=300 * workers, noise=noise, seed=workers)
    late = run.late_limits()
    assert statistics.median(late) >= knee(workers) * 0.9
    deciles = statistics.quantiles(late, n=10)  # (the short ProbeRTT dips are below the first decile)
    assert deciles[-1] - deciles[0] <= max(2, knee(workers) * 0.2)  # no oscillation
    assert limiter.limit > limiter.min_limit


def test_rtt_comparisons_stay_within_one_kind_of_request() -> None:
    """A 1000-record page is slower than a 1-record get on an idle server: that is not queueing."""

    def feed(limiter: VegasLimiter, small: Any, big: Any) -> None:
        now = 0.0
        for _ in range(20):  # a few gets on the idle server, then an export's pages, all unqueued
            now += 0.01
            limiter.on_sample(0.01, 1, now, key=small)
        for _ in range(50):
            now += 0.01
            limiter.on_sample(0.2, limiter.limit, now, key=big)

    keyed = VegasLimiter(initial=8)
    feed(keyed, 1, 1000)
    assert keyed.limit > 8
    assert keyed.baseline(1000) == pytest.approx(0.2)
    assert keyed.baseline(1) == pytest.approx(0.01)
    shared = VegasLimiter(initial=8)
    feed(shared, None, None)
    assert shared.limit < 8  # the same samples under one key read as a long queue


# -- drops, bounds, recovery --------------------------------------------------------------------------


def test_a_drop_halves_the_limit_once_per_round_trip() -> None:
    limiter = VegasLimiter(initial=20, max_limit=64)
    limiter.on_sample(0.1, 1, 0.0)
    assert limiter.on_drop(1.0) == 10
    assert limiter.on_drop(1.05) == 10  # the same congestion event
    assert limiter.on_drop(1.2) == 5
    assert limiter.drops == 3 and not limiter.slow_start


def test_backs_off_when_the_server_rejects() -> None:
    limiter = VegasLimiter(initial=32, max_limit=64)
    run = simulate(limiter, workers=2, requests=400, queue_limit=2)
    assert run.drops > 0
    assert statistics.median(run.late_limits()) <= knee(2) + 2 + 2  # workers + the 2 the queue allows
    assert run.drops < 40


def test_recovers_after_an_outage() -> None:
    limiter = VegasLimiter(max_limit=100)
    simulate(limiter, workers=16, requests=800)
    for i in range(10):
        limiter.on_drop(1000.0 + i)
    assert limiter.limit == limiter.min_limit
    run = simulate(limiter, workers=16, requests=3000, start=1100.0)
    assert statistics.median(run.late_limits()) >= knee(16)


def test_follows_a_server_that_becomes_slower() -> None:
    """The baseline is re-measured (ProbeRTT) when it grows stale, so a slower server is not read as an
    endless queue (the limit would collapse to min_limit)."""
    limiter = VegasLimiter(window=5.0, max_limit=100)

    def service(now: float) -> float:
        return SERVICE if now < 10 else 3 * SERVICE

    run = simulate(limiter, workers=8, requests=4000, service=service)
    assert limiter.probes >= 1
    slower_knee = 8 * (3 * SERVICE + LATENCY) / (3 * SERVICE)
    assert statistics.median(run.late_limits(0.3)) >= slower_knee
    assert limiter.baseline() == pytest.approx(3 * SERVICE + LATENCY, rel=0.1)


def test_does_not_grow_a_limit_it_does_not_use() -> None:
    limiter = VegasLimiter(initial=4)
    for i in range(1000):
        limiter.on_sample(0.1, 1, i * 0.1)
    assert limiter.limit <= 4


@settings(max_examples=200, deadline=None)
@given(
    st.integers(1, 8),
    st.integers(8, 40),
    st.lists(st.tuples(st.booleans(), st.floats(0.0001, 10.0), st.integers(1, 80), st.floats(0, 1)), max_size=200),
)
def test_never_leaves_its_bounds(low: int, high: int, events: list[tuple[bool, float, int, float]]) -> None:
    limiter = VegasLimiter(initial=high * 2, min_limit=low, max_limit=high, window=1.0)
    now = 0.0
    assert low <= limiter.limit <= high
    for drop, rtt, in_flight, step in events:
        now += step
        value = limiter.on_drop(now) if drop else limiter.on_sample(rtt, in_flight, now, key=in_flight % 3)
        assert low <= value <= high
        assert value == limiter.limit


def test_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        VegasLimiter(min_limit=5, max_limit=4)
    with pytest.raises(ValueError):
        VegasLimiter(tolerance=0.9)
    limiter = VegasLimiter(initial=4)
    assert limiter.on_sample(float("nan"), 3, 0.0) == 4
    assert limiter.on_sample(-1.0, 3, 0.0) == 4
    assert limiter.samples == 0


def test_a_sample_from_early_in_the_ramp_does_not_throw_the_limit_back() -> None:
    """Slow start ends on the first sign of queueing, but the cut is taken from the limit: the sample that
    shows it may have been sent when only a few requests were out."""
    limiter = VegasLimiter(initial=16)
    limiter.on_sample(0.10, 1, 0.0)
    limiter.on_sample(0.20, 2, 0.1)  # a burst on the wire: +100%
    assert not limiter.slow_start
    assert limiter.limit >= 16 * 0.5  # (with in_flight=2 it would have been cut to about 2)


# -- the interactive calls' cap -------------------------------------------------------------------------


def test_aimd_cap_is_unbounded_until_a_refusal_and_cuts_once_per_congestion_event() -> None:
    cap = AIMDCap(min_cap=1)
    assert not cap.capped(0.0) and cap.limit(17, 0.0) == 17 and cap.limit(5, 0.0) == 5  # the caller's ceiling
    assert cap.on_drop(sent_at=1.0, now=1.2, ceiling=17, in_flight=17) == 8
    for _ in range(30):  # 30 more 503s to requests sent with the first: the same event, no more cuts
        assert cap.on_drop(sent_at=1.0, now=1.25, ceiling=17, in_flight=17) == 8
    assert cap.on_drop(sent_at=1.3, now=1.5, ceiling=17, in_flight=8) == 4  # sent after the cut: a new event
    assert (cap.drops, cap.cuts) == (32, 2)
    for step in range(20):
        cap.on_drop(sent_at=2.0 + step, now=2.1 + step, ceiling=17, in_flight=4)
    assert cap.limit(17, 22.0) == 1  # never below min_cap
    assert AIMDCap().floor(17) == 2 and AIMDCap().floor(1) == 1


def test_aimd_cap_is_not_cut_by_refusals_of_requests_it_did_not_crowd() -> None:
    """One call retrying through a deploy's restart (503, 503, 503, then 200) says nothing of how many
    calls the server takes at once: with fewer than half the cap in flight, no cut."""
    cap = AIMDCap()
    for step in range(3):
        cap.on_drop(sent_at=float(step), now=step + 0.1, ceiling=17, in_flight=1)
    assert (cap.drops, cap.cuts, cap.capped(3.0)) == (3, 0, False)
    cap.on_drop(sent_at=4.0, now=4.1, ceiling=17, in_flight=9)  # half the cap or more in flight: a cut
    assert cap.cuts == 1 and cap.limit(17, 4.2) == 8


def test_aimd_cap_lifts_after_a_quiet_spell() -> None:
    cap = AIMDCap()  # recover_after 10 s
    for step in range(10):
        cap.on_drop(sent_at=float(step), now=step + 0.1, ceiling=17, in_flight=17)
    assert cap.limit(17, 9.2) == 2 == cap.floor(17)
    assert cap.capped(19.0) and not cap.capped(19.2)  # 10 s after the last cut: the next burst probes again
    assert cap.limit(17, 19.2) == 17
    cap.on_success(17, 19.2)
    assert not cap.capped(0.0) and cap.limit(17, 0.0) == 17  # (and it stays lifted)


def test_aimd_cap_grows_back_by_one_request_per_caps_worth_of_successes() -> None:
    cap = AIMDCap()
    cap.on_drop(0.0, 0.1, 16, 16)
    assert cap.limit(16, 0.2) == 8
    for _ in range(8):
        cap.on_success(16, 0.2)
    assert cap.limit(16, 0.2) == 8  # (8.97: each answer adds 1/cap, and the cap grew meanwhile)
    cap.on_success(16, 0.2)
    assert cap.limit(16, 0.2) == 9  # about a cap's worth of answers: one request more
    successes = 9
    while cap.capped(0.2):
        cap.on_success(16, 0.2)
        successes += 1
    assert cap.limit(16, 0.2) == 16 and 90 < successes < 110  # 8 + 9 + ... + 15, then unbounded again
    with pytest.raises(ValueError):
        AIMDCap(backoff=1.0)
