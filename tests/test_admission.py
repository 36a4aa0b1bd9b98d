"""The admission object: one adaptive limit shared by a client's requests, interactive calls first.

No HTTP: requests are blocks held open by the test, a fake clock feeds round trips to the limiter.
Against servers over HTTP, see ``tests/test_pace_client.py``.
"""

from __future__ import annotations

import contextlib
import random

import anyio
import anyio.abc
import anyio.lowlevel
import pytest

from krill_async._admission import Admission, bulk_requests, is_overload
from krill_async._limiter import VegasLimiter
from krill_async.errors import NotFound, RequestTimeout, ServerError, Throttled


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def fixed(limit: int) -> VegasLimiter:
    return VegasLimiter(initial=limit, min_limit=limit, max_limit=limit)


async def hold(
    admission: Admission, release: anyio.Event, log: list[str], name: str, interactive: bool | None = None
) -> None:
    async with admission.slot(interactive=interactive):
        log.append(name)
        await release.wait()


async def start_pages(
    tg: anyio.abc.TaskGroup, admission: Admission, release: anyio.Event, log: list[str], n: int
) -> None:
    """Start ``n`` export pages held until ``release``, named page0..; return once they are all admitted or
    waiting."""
    for i in range(n):
        with bulk_requests(500):
            tg.start_soon(hold, admission, release, log, f"page{i}")
    await anyio.wait_all_tasks_blocked()


@pytest.mark.anyio
async def test_interactive_calls_take_the_next_free_slot_before_queued_pages() -> None:
    admission = Admission(fixed(2), reserve=0)
    log: list[str] = []
    releases = {name: anyio.Event() for name in ("p1", "p2", "p3", "get")}
    async with anyio.create_task_group() as tg:
        for name in ("p1", "p2", "p3"):
            tg.start_soon(hold, admission, releases[name], log, name, False)
            await anyio.wait_all_tasks_blocked()
        tg.start_soon(hold, admission, releases["get"], log, "get", True)
        await anyio.wait_all_tasks_blocked()
        assert log == ["p1", "p2"] and admission.waiting == (1, 1)
        releases["p1"].set()
        await anyio.wait_all_tasks_blocked()
        assert log == ["p1", "p2", "get"]  # the page queued earlier still waits
        releases["get"].set()
        await anyio.wait_all_tasks_blocked()
        assert log[-1] == "p3"
        for event in releases.values():
            event.set()
    assert admission.in_flight == 0 and admission.peak_in_flight == 2


@pytest.mark.anyio
async def test_pages_leave_the_reserve_to_interactive_calls() -> None:
    admission = Admission(fixed(4), reserve=1)
    log: list[str] = []
    release = anyio.Event()
    async with anyio.create_task_group() as tg:
        await start_pages(tg, admission, release, log, 5)  # two exports' pages on one client share one budget
        assert len(log) == admission.bulk_limit == 4 and admission.limit == 5
        tg.start_soon(hold, admission, release, log, "get")
        await anyio.wait_all_tasks_blocked()
        assert log[-1] == "get" and admission.in_flight == 5
        tg.start_soon(hold, admission, release, log, "get2")
        await anyio.wait_all_tasks_blocked()
        assert log[-1] == "get" and admission.waiting == (1, 1)
        release.set()
    assert admission.in_flight == 0 and len(log) == 7


@pytest.mark.anyio
async def test_waits_are_bounded_by_the_callers_deadline() -> None:
    admission = Admission(fixed(1), reserve=0)
    release = anyio.Event()
    async with anyio.create_task_group() as tg:
        tg.start_soon(hold, admission, release, [], "page", False)
        await anyio.wait_all_tasks_blocked()
        with pytest.raises(TimeoutError):
            with anyio.fail_after(0.01):
                async with admission.slot():
                    pytest.fail("admitted past the limit")
        assert admission.waiting == (0, 0) and admission.in_flight == 1
        release.set()
    async with admission.slot():  # nothing leaked
        assert admission.in_flight == 1


@pytest.mark.anyio
async def test_a_waiter_cancelled_as_it_is_handed_a_slot_never_leaks_it() -> None:
    admission = Admission(fixed(1), reserve=0)
    log: list[str] = []
    release = anyio.Event()
    scope = anyio.CancelScope()

    async def cancelled_waiter() -> None:
        with scope:
            await hold(admission, release, log, "cancelled")

    async with anyio.create_task_group() as tg:
        async with admission.slot():
            tg.start_soon(cancelled_waiter)
            await anyio.wait_all_tasks_blocked()
            tg.start_soon(hold, admission, release, log, "next")
            await anyio.wait_all_tasks_blocked()
            assert admission.waiting == (2, 0)
        scope.cancel()  # the slot was just handed to the first waiter, which has not run yet
        await anyio.wait_all_tasks_blocked()
        # Whether the cancellation lands in the wait (the slot is passed on) or just after it (the block
        # is cancelled and its slot released) depends on the event loop; either way "next" gets the slot.
        assert log[-1] == "next" and admission.in_flight == 1
        release.set()
    assert admission.in_flight == 0 and admission.waiting == (0, 0)


@pytest.mark.anyio
async def test_outcomes_feed_the_limiter() -> None:
    clock = Clock()
    limiter = VegasLimiter(initial=4)
    admission = Admission(limiter, clock=clock)
    with bulk_requests(500):
        async with admission.slot() as ticket:
            clock.now += 0.25
    assert not ticket.interactive and ticket.key == 500 and ticket.in_flight == 1
    assert limiter.samples == 1 and limiter.baseline(500) == pytest.approx(0.25)
    async with admission.slot() as ticket:
        clock.now += 0.01
    assert ticket.interactive and limiter.samples == 1  # interactive round trips are too noisy to learn from
    admission.sample_interactive = True
    async with admission.slot() as ticket:
        clock.now += 0.01
    assert limiter.baseline(None) == pytest.approx(0.01)
    with pytest.raises(NotFound):
        async with admission.slot():
            raise NotFound(status=404, method="GET", url="/x", body=b"", headers={})
    assert limiter.samples == 2 and limiter.drops == 0  # a 404 says nothing about load
    with pytest.raises(Throttled):
        async with admission.slot():
            raise Throttled(status=429, method="GET", url="/x", body=b"", headers={})
    assert limiter.drops == 1
    async with admission.slot() as ticket:
        ticket.drop()  # a caller that handles the 503 itself still reports it
    assert limiter.drops == 2 and admission.in_flight == 0
    for status, drops, samples in ((503, 3, 2), (404, 3, 2), (200, 3, 3)):
        with bulk_requests(500):
            async with admission.slot() as ticket:
                clock.now += 0.25
                ticket.answered(status)  # how the transport reports a status read inside its slot
        assert (limiter.drops, limiter.samples) == (drops, samples), status


def test_what_counts_as_overload() -> None:
    def status(code: int) -> ServerError:
        return ServerError(status=code, method="GET", url="/x", body=b"", headers={})

    assert is_overload(status(503)) and is_overload(status(502)) and not is_overload(status(500))
    assert is_overload(RequestTimeout("slow", method="GET", url="/x")) and is_overload(TimeoutError())
    assert not is_overload(ValueError("bug"))


@pytest.mark.anyio
@pytest.mark.parametrize("seed", range(5))
async def test_admission_never_exceeds_its_limits(seed: int) -> None:
    rng = random.Random(seed)
    cap = rng.choice([None, rng.randint(1, 10)])
    admission = Admission(fixed(rng.randint(1, 6)), reserve=rng.randint(0, 2), max_in_flight=cap)
    served: list[bool] = []

    async def request(interactive: bool, hold: int, cancel_after: int | None) -> None:
        with anyio.CancelScope() as scope:
            if cancel_after is not None:
                scope.deadline = anyio.current_time() + cancel_after * 0.001
            async with admission.slot(interactive=interactive):
                assert admission.in_flight <= admission.interactive_limit
                assert admission.bulk_in_flight <= admission.bulk_limit
                served.append(interactive)
                for _ in range(hold):
                    await anyio.lowlevel.checkpoint()

    async with anyio.create_task_group() as tg:
        for _ in range(200):
            cancel = rng.choice([None, None, None, rng.randint(0, 3)])
            tg.start_soon(request, rng.random() < 0.3, rng.randint(0, 5), cancel)
            if rng.random() < 0.3:
                await anyio.lowlevel.checkpoint()
    assert admission.in_flight == admission.bulk_in_flight == 0 and admission.waiting == (0, 0)
    assert len(served) >= 100 and True in served and False in served  # (some were cancelled waiting)


@pytest.mark.anyio
async def test_the_reserve_stays_free_while_the_limit_shrinks() -> None:
    """Pages admitted under a higher limit still hold their slots after a drop halves it: interactive calls
    go past them up to ``max_in_flight``, while new pages wait for the lower limit."""
    for cap, get_admitted in ((None, False), (9, True)):
        clock = Clock()
        admission = Admission(VegasLimiter(initial=8, max_limit=8), reserve=1, clock=clock, max_in_flight=cap)
        log: list[str] = []
        release = anyio.Event()
        async with anyio.create_task_group() as tg:
            await start_pages(tg, admission, release, log, 8)
            admission.limiter.on_drop(clock.now)  # a page's 503: the limit halves, 8 pages still out
            assert (admission.bulk_limit, admission.limit, admission.in_flight) == (4, 5, 8)
            with bulk_requests(500):
                tg.start_soon(hold, admission, release, log, "page8")
            tg.start_soon(hold, admission, release, log, "get")
            await anyio.wait_all_tasks_blocked()
            assert ("get" in log) is get_admitted and "page8" not in log
            release.set()
        assert admission.in_flight == 0 and len(log) == 10


@pytest.mark.anyio
async def test_interactive_overload_answers_are_no_drops_unless_interactive_calls_are_sampled() -> None:
    limiter = VegasLimiter(initial=4)
    admission = Admission(limiter, clock=Clock())
    for _ in range(3):
        with pytest.raises(ServerError):
            async with admission.slot():
                raise ServerError(status=503, method="GET", url="/x", body=b"", headers={})
        async with admission.slot() as ticket:
            ticket.answered(504)
    assert limiter.drops == 0 and limiter.limit == 4 and limiter.slow_start
    with bulk_requests(500), pytest.raises(ServerError):
        async with admission.slot():
            raise ServerError(status=503, method="GET", url="/x", body=b"", headers={})
    assert limiter.drops == 1 and limiter.limit == 2
    admission.sample_interactive = True
    async with admission.slot() as ticket:
        ticket.answered(503)
    assert limiter.drops == 2


@pytest.mark.anyio
async def test_max_in_flight_bounds_the_pages_limit_so_nothing_admitted_waits_again() -> None:
    """Below the pages' limit, ``max_in_flight`` used to cap only the throttle's semaphore behind the
    admission: admitted pages queued there first come first served, and a get() waited behind them."""
    admission = Admission(fixed(8), reserve=1, max_in_flight=3)
    assert (admission.limit, admission.bulk_limit, admission.interactive_limit) == (3, 2, 3)
    log: list[str] = []
    release = anyio.Event()
    async with anyio.create_task_group() as tg:
        await start_pages(tg, admission, release, log, 6)
        assert admission.bulk_in_flight == 2 and admission.waiting == (0, 4)
        tg.start_soon(hold, admission, release, log, "get")
        await anyio.wait_all_tasks_blocked()
        assert log[-1] == "get" and admission.in_flight == 3
        release.set()
    assert admission.in_flight == 0 and admission.peak_in_flight == 3


@pytest.mark.anyio
async def test_one_page_moves_while_interactive_calls_hold_the_pages_room() -> None:
    admission = Admission(fixed(2), reserve=1, max_in_flight=10)
    log: list[str] = []
    release = anyio.Event()
    async with anyio.create_task_group() as tg:
        for i in range(4):  # a dashboard's calls: more than the pages' limit plus the reserve (3)
            tg.start_soon(hold, admission, release, log, f"get{i}")
        await anyio.wait_all_tasks_blocked()
        await start_pages(tg, admission, release, log, 2)
        assert log[-1] == "page0" and admission.bulk_in_flight == 1 and admission.waiting == (0, 1)
        release.set()
    assert admission.in_flight == 0 and len(log) == 6


@pytest.mark.anyio
async def test_interactive_overload_answers_cut_the_interactive_cap_once_per_event() -> None:
    clock = Clock()
    limiter = fixed(4)
    admission = Admission(limiter, reserve=1, clock=clock, max_in_flight=16)
    release = anyio.Event()

    async def refused() -> None:
        with contextlib.suppress(ServerError):
            async with admission.slot():
                await release.wait()
                raise ServerError(status=503, method="GET", url="/x", body=b"", headers={})

    async with anyio.create_task_group() as tg:
        for _ in range(16):
            tg.start_soon(refused)
        await anyio.wait_all_tasks_blocked()
        assert admission.interactive_in_flight == 16
        clock.now += 0.05
        release.set()  # 16 answers of 503 to calls sent together: one congestion event
    cap = admission.interactive_cap
    assert (cap.drops, cap.cuts, admission.interactive_limit, cap.limit(16, clock.now)) == (16, 1, 16, 8)
    assert limiter.drops == 0  # the pages' limit is not the interactive calls' business
    log: list[str] = []
    release = anyio.Event()
    async with anyio.create_task_group() as tg:
        for i in range(10):
            tg.start_soon(hold, admission, release, log, f"get{i}")
        await anyio.wait_all_tasks_blocked()
        assert admission.interactive_in_flight == 8 and admission.waiting == (2, 0)
        assert "8 interactive calls and 0 export pages in flight" in admission.slot_label()
        release.set()
    assert cap.limit(16, clock.now) == 9 and admission.in_flight == 0  # 10 answers at about 8.6: one more


@pytest.mark.anyio
async def test_only_refusals_for_load_lower_the_interactive_cap() -> None:
    """A timeout, a 504 (a gateway's timeout) or a 429 (often one view's throttle, and the client pauses on
    it anyway) may be one endpoint's own: they leave the cap of every other interactive call alone. 502 and
    503 of calls that crowd the cap lower it, down to 2."""
    clock = Clock()
    admission = Admission(fixed(4), clock=clock, max_in_flight=16)
    cap = admission.interactive_cap
    for _ in range(3):
        with pytest.raises(RequestTimeout):
            async with admission.slot():
                raise RequestTimeout("slow", method="GET", url="/x")
        with pytest.raises(Throttled):
            async with admission.slot():
                raise Throttled(status=429, method="GET", url="/x", body=b"", headers={})
        async with admission.slot() as ticket:
            ticket.answered(504)
    assert cap.drops == 0 and not cap.capped(clock.now)
    release = anyio.Event()

    async def refused(status: int) -> None:
        async with admission.slot() as ticket:
            await release.wait()
            ticket.answered(status)

    for status in (502, 503) * 3:  # six congestion events, each from calls sent after the last cut
        clock.now += 1.0
        release = anyio.Event()
        async with anyio.create_task_group() as tg:
            for _ in range(16):
                tg.start_soon(refused, status)
            await anyio.wait_all_tasks_blocked()
            release.set()
    # one cut per round: 16 -> 8 -> 4 -> 2, then at its floor (each round's first refusals were sent with
    # fewer than half the cap in flight, and cut nothing)
    assert cap.cuts == 6 and cap.limit(16, clock.now) == 2 == cap.floor(16)
    assert admission.in_flight == 0
