"""Hostile servers of the test's own against the default ``pacing="auto"``: 503 storms, lasting delays that
are not a queue, a server whose pace drops tenfold, two exports on one worker, 429s before the knee.

Each server is a plain ``aiohttp.web`` handler on loopback (``tests/_fakes.serve``), never the simulator.
Timed assertions are bounds of a second or more, or ratios with a wide margin.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import anyio
import pytest
from aiohttp import web
from yarl import URL

from krill_async import Krill, KrillError, RequestTimeout, RetryPolicy, ServerError, Timeout
from krill_async._pacer import Pacer

from ._fakes import serve

pytestmark = pytest.mark.anyio
CPES = "/api/v2/isp/cpes/"
DETAIL = "/api/v2/isp/cpes/{id}/"


def page_of(request: web.Request, count: int) -> web.Response:
    """The page ``offset``/``limit`` of a collection of ``count`` CPEs, with DRF's envelope."""
    offset, limit = int(request.query.get("offset", "0")), int(request.query.get("limit", "10"))
    rows = [{"id": i} for i in range(offset + 1, min(count, offset + limit) + 1)]
    following = f"http://pre1:4280/api/v2/isp/cpes/?limit={limit}&offset={offset + limit}"
    body = {"count": count, "next": following if offset + limit < count else None, "previous": None}
    return web.json_response({**body, "results": rows})


def busy(status: int = 503, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"detail": "busy"}, status=status, headers=headers)


async def drain(records: Any) -> int:
    n = 0
    async for _ in records:
        n += 1
    return n


def assert_nothing_held(krill: Krill) -> None:
    admission = krill.admission
    assert admission.in_flight == 0 and admission.bulk_in_flight == 0
    assert admission.waiting == (0, 0)
    assert not admission._turn_taken and not admission._turns  # no pacing turn held or waited for
    assert krill.transport.throttle.in_flight == 0


# -- 1. a one-worker server that turns into a 503 storm mid-export -----------------------------------------


@asynccontextmanager
async def storm_server(*, after: int, service: float = 0.04, count: int = 400) -> AsyncIterator[dict[str, Any]]:
    """One worker, ``service`` s per page; after ``after`` pages every page answers 503 at once (no
    Retry-After). ``state["storm_at"]`` is when the first 503 went out, ``state["refusals"]`` counts them
    by offset."""
    state: dict[str, Any] = {"served": 0, "refused": 0, "storm_at": None, "refusals": Counter()}
    worker = anyio.Semaphore(1)

    async def cpes(request: web.Request) -> web.Response:
        if state["served"] >= after:
            state["refused"] += 1
            state["refusals"][int(request.query.get("offset", "0"))] += 1
            if state["storm_at"] is None:
                state["storm_at"] = time.monotonic()
            return busy()
        async with worker:
            await anyio.sleep(service)
        state["served"] += 1
        return page_of(request, count)

    async with serve({CPES: cpes}) as url:
        state["url"] = url
        yield state


async def test_a_503_storm_mid_export_fails_typed_within_the_timeout_and_holds_nothing() -> None:
    total = 2.0
    with anyio.fail_after(15):
        async with storm_server(after=8) as state, Krill(state["url"], timeout=Timeout(total=total)) as krill:
            with pytest.raises(KrillError) as info:
                async with krill.isp.cpes.export(page_size=10) as records:
                    await drain(records)
            failed_at = time.monotonic()
            pacer = krill.admission.pacer
            assert pacer is not None and pacer.engaged is True  # the storm hit a paced export
            assert state["storm_at"] is not None and state["refused"] > 0
            # The page the consumer waited for was sent before the storm: its deadline ends at most
            # `total` after the first 503 (the whole pacing wait is inside it).
            assert failed_at - state["storm_at"] <= total + 0.75
            assert isinstance(info.value, ServerError | RequestTimeout)
            assert_nothing_held(krill)


@pytest.mark.parametrize(
    "pacing",
    [
        pytest.param(False, id="unpaced"),
        pytest.param(
            "auto",
            id="default",
        ),
    ],
)
async def test_a_503_storm_raises_the_servers_answer_not_a_pacing_timeout(pacing: Any) -> None:
    """Five attempts 20 to 160 ms apart fit easily in a 1.5 s deadline: the page the consumer waits for
    should make them all, and the caller get the 503."""
    retry = RetryPolicy(attempts=5, backoff=0.02, jitter=False)
    with anyio.fail_after(15):
        async with (
            storm_server(after=8) as state,
            Krill(state["url"], timeout=Timeout(total=1.5), retry=retry, pacing=pacing) as krill,
        ):
            with pytest.raises(KrillError) as info:
                async with krill.isp.cpes.export(page_size=10) as records:
                    await drain(records)
            assert_nothing_held(krill)
    error = info.value
    offset = int(URL(str(getattr(error, "url", ""))).query.get("offset", "0"))
    assert state["refusals"][offset] == retry.attempts, f"{state['refusals'][offset]} attempts: {error!r}"
    assert isinstance(error, ServerError) and error.status == 503, repr(error)


# -- 2. earliest deadline first, with the pacer in the way ---------------------------------------------------


@asynccontextmanager
async def one_refusal_server(refused_offset: int, service: float = 0.05) -> AsyncIterator[dict[str, Any]]:
    """One worker, ``service`` s per page; the page at ``refused_offset`` answers 503 the first time. The
    log holds ``(event, offset, time)`` for arrivals, the 503 and each page served."""
    state: dict[str, Any] = {"log": [], "refused": False}
    worker = anyio.Semaphore(1)

    async def cpes(request: web.Request) -> web.Response:
        offset = int(request.query.get("offset", "0"))
        state["log"].append(("arrive", offset, time.monotonic()))
        async with worker:
            if offset == refused_offset and not state["refused"]:
                state["refused"] = True
                state["log"].append(("503", offset, time.monotonic()))
                return busy()
            await anyio.sleep(service)
            state["log"].append(("ok", offset, time.monotonic()))
        return page_of(request, 400)

    async with serve({CPES: cpes}) as url:
        state["url"] = url
        yield state


@asynccontextmanager
async def recording_session() -> AsyncIterator[tuple[aiohttp.ClientSession, list[tuple[int, float]]]]:
    """A caller's session noting when each page's request starts: after the client granted it a slot,
    before any connection is opened. Whether a page overtook the retry is the client's order; timed at
    the server, a loaded machine's connection setup made pages sent before the retry was due arrive after
    it (3 overtakers, once in a run of the pacing tests)."""
    sends: list[tuple[int, float]] = []

    async def started(_: Any, __: Any, params: aiohttp.TraceRequestStartParams) -> None:
        sends.append((int(params.url.query.get("offset", "0")), time.monotonic()))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        yield session, sends


@pytest.mark.parametrize(
    ("pacing", "refused_offset"),
    [
        pytest.param(False, 10, id="unpaced-before-knee"),
        pytest.param(False, 100, id="unpaced-after-knee"),
        pytest.param("auto", 10, id="default-503-before-knee"),
        pytest.param("auto", 250, id="default-paced"),
    ],
)
async def test_a_retried_page_is_sent_before_pages_scheduled_after_it(pacing: Any, refused_offset: int) -> None:
    """A page retried 10 ms after a 503 has the earliest deadline of the export's queued pages: at most a
    page or two that reached the server after the retry was due may be served before it, not all of them."""
    # (the pages' own deadlines, 10 s from their start, come before the test's guard: an enclosing deadline
    # would be every page's, see the next test)
    client = {"retry": RetryPolicy(backoff=0.01, jitter=False), "timeout": Timeout(total=10), "pacing": pacing}
    with anyio.fail_after(20):
        async with (
            one_refusal_server(refused_offset) as state,
            recording_session() as (session, sends),
            Krill(state["url"], session=session, **client) as krill,
        ):
            async with krill.isp.cpes.export(page_size=10) as records:
                assert await drain(records) == 400
            assert_nothing_held(krill)
            pacer = krill.admission.pacer
    if pacing == "auto":
        assert pacer is not None
        assert pacer.engaged is (None if refused_offset == 10 else True)
    # Paced, the retry also waits one pacing interval after its turn (3 overtakers at most; 13-15 when the
    # pacing turn was first come, first served). The paced case refuses page 25, well after the knee: pages
    # already waiting for a slot when pacing engages go out first, once (up to 7 overtakers at page 10).
    assert overtakers(state["log"], sends, refused_offset) <= (3 if pacer is not None and pacer.engaged else 2)


def overtakers(log: list[tuple[str, int, float]], sends: list[tuple[int, float]], refused_offset: int) -> int:
    """Pages the client sent after the refused page's retry was due that the server served before it."""
    refused_at = next(t for event, offset, t in log if event == "503")
    served_at = next(t for event, offset, t in log if event == "ok" and offset == refused_offset)
    due = refused_at + 0.05  # the 10 ms backoff, with room for a busy event loop
    late = {offset for offset, t in sends if t > due and offset != refused_offset}
    return sum(1 for event, offset, t in log if event == "ok" and offset in late and t < served_at)


async def test_a_retried_page_goes_first_also_under_the_callers_own_deadline() -> None:
    """The common case: the caller bounds the whole export (``fail_after``), the client keeps its 60 s."""
    with anyio.fail_after(20):
        async with (
            one_refusal_server(100) as state,
            recording_session() as (session, sends),
            Krill(state["url"], session=session, retry=RetryPolicy(backoff=0.01, jitter=False), pacing=False) as krill,
        ):
            async with krill.isp.cpes.export(page_size=10) as records:
                assert await drain(records) == 400
            assert_nothing_held(krill)
    assert overtakers(state["log"], sends, 100) <= 2


async def test_a_timeout_names_pacing_only_when_the_export_is_paced() -> None:
    with anyio.fail_after(15):
        async with (
            one_refusal_server(10, service=0.1) as state,  # 15 pages queued: 1.5 s, the first one 0.1 s
            Krill(state["url"], timeout=Timeout(total=0.8), retry=RetryPolicy(backoff=0.01, jitter=False)) as krill,
        ):
            with pytest.raises(RequestTimeout) as info:
                async with krill.isp.cpes.export(page_size=10) as records:
                    await drain(records)
            pacer = krill.admission.pacer
            assert pacer is not None and pacer.engaged is None  # never paced: no knee
            assert_nothing_held(krill)
    assert "pacing" not in str(info.value), str(info.value)


# -- 3. a lasting delay on a server with room: not a queue --------------------------------------------------


@asynccontextmanager
async def lasting_delay_server(*, fast: int, base: float, delay: float) -> AsyncIterator[str]:
    """Any number of pages at once; the first ``fast`` answers take ``base`` s, every later one ``delay``
    more (a slower backend, a busy proxy: the same for 1 page in flight as for 16)."""
    answered = 0

    async def cpes(request: web.Request) -> web.Response:
        nonlocal answered
        answered += 1
        await anyio.sleep(base if answered <= fast else base + delay)
        return page_of(request, 600)

    async with serve({CPES: cpes}) as url:
        yield url


async def test_a_lasting_delay_on_a_roomy_server_is_not_paced_or_not_slower() -> None:
    took: dict[Any, float] = {}
    pacers: dict[Any, Pacer | None] = {}
    knees: dict[Any, int | None] = {}
    with anyio.fail_after(30):
        for pacing in (False, "auto"):
            async with lasting_delay_server(fast=3, base=0.005, delay=0.05) as url, Krill(url, pacing=pacing) as krill:
                started = time.monotonic()
                async with krill.isp.cpes.export(page_size=10) as records:
                    assert await drain(records) == 600
                took[pacing] = time.monotonic() - started
                pacers[pacing], knees[pacing] = krill.admission.pacer, krill.admission.limiter.knee
                assert_nothing_held(krill)
    pacer = pacers["auto"]
    assert pacer is not None
    engaged = pacer.engaged is True
    assert not engaged or took["auto"] <= 1.5 * took[False] + 0.5, (
        f"paced ({pacer.paced} sends, knee {knees['auto']}, {pacer!r}): "
        f"{took['auto']:.2f} s against {took[False]:.2f} s unpaced"
    )


# -- 4. the pacer's own bookkeeping: the page a drain held back ---------------------------------------------


async def test_the_pacer_recognises_the_answer_of_the_page_its_drain_held_back(monkeypatch: Any) -> None:
    seen = {"held": 0, "unrecognised": 0}
    on_sample = Pacer.on_sample

    def watched(self: Pacer, rtt: float, baseline: float | None, now: float, *, send: int | None = None) -> float:
        held = self._held_number
        result = on_sample(self, rtt, baseline, now, send=send)
        if held is not None and send == held:  # the answer of the page the drain held back
            seen["held"] += 1
            seen["unrecognised"] += self._held_number is not None  # (recognised: the pacer lets go of it)
        return result

    monkeypatch.setattr(Pacer, "on_sample", watched)
    worker = anyio.Semaphore(1)

    async def cpes(request: web.Request) -> web.Response:
        async with worker:
            await anyio.sleep(0.04)
        return page_of(request, 600)

    with anyio.fail_after(20):
        async with serve({CPES: cpes}) as url, Krill(url) as krill:
            async with krill.isp.cpes.export(page_size=10) as records:
                assert await drain(records) == 600
            pacer = krill.admission.pacer
            assert pacer is not None and pacer.engaged is True and pacer.pauses > 0
    assert seen["held"] > 0
    assert seen["unrecognised"] == 0, f"{seen['unrecognised']} of {seen['held']} held pages not recognised"


# -- 5. a one-worker server whose pace drops tenfold mid-export ---------------------------------------------


async def test_a_tenfold_slowdown_hangs_nothing_and_gets_are_not_paced() -> None:
    fast, slow, switch, count = 0.03, 0.3, 8, 150  # 8 pages at 30 ms, then 7 at 300 ms
    state = {"served": 0}
    worker = anyio.Semaphore(1)

    async def cpes(request: web.Request) -> web.Response:
        async with worker:
            state["served"] += 1
            await anyio.sleep(fast if state["served"] <= switch else slow)
        return page_of(request, count)

    async def detail(request: web.Request) -> web.Response:  # needs no worker: only the client can delay it
        return web.json_response({"id": int(request.match_info["id"])})

    gets: list[float] = []
    with anyio.fail_after(20):
        async with serve({CPES: cpes, DETAIL: detail}) as url, Krill(url) as krill:

            async def interactive() -> None:
                while state["served"] <= switch:  # noqa: ASYNC110 (polls the server of this test)
                    await anyio.sleep(0.01)
                for _ in range(8):
                    started = time.monotonic()
                    cpe = await krill.isp.cpes.get(7, timeout=0.25)  # shorter than one slow page
                    assert cpe.id == 7
                    gets.append(time.monotonic() - started)
                    await anyio.sleep(0.1)

            started = time.monotonic()
            async with krill.isp.cpes.export(page_size=10) as records, anyio.create_task_group() as tg:
                tg.start_soon(interactive)
                assert await drain(records) == count
            took = time.monotonic() - started
            pacer = krill.admission.pacer
            assert pacer is not None and pacer.engaged is True
            assert_nothing_held(krill)
    assert len(gets) == 8 and max(gets) < 0.25
    ideal = switch * fast + (count // 10 - switch) * slow  # the worker never idle
    assert took <= 2 * ideal + 1.0, f"{took:.2f} s for {ideal:.2f} s of service"


# -- 6. two exports on one one-worker server; one of them abandoned -----------------------------------------


async def test_two_exports_on_one_worker_share_the_limit_and_an_abandoned_one_releases_everything() -> None:
    worker = anyio.Semaphore(1)

    async def cpes(request: web.Request) -> web.Response:
        async with worker:
            await anyio.sleep(0.02)
        return page_of(request, 200)

    counts: dict[str, int] = {}
    with anyio.fail_after(20):
        async with serve({CPES: cpes}) as url, Krill(url) as krill:

            async def export(name: str, stop_after: int | None = None) -> None:
                n = 0
                async with krill.isp.cpes.export(page_size=10) as records:
                    async for _ in records:
                        n += 1
                        if stop_after is not None and n >= stop_after:
                            break  # leaves pages in flight, pacing waits and queued slots behind
                counts[name] = n

            async with anyio.create_task_group() as tg:
                tg.start_soon(export, "a")
                tg.start_soon(export, "b")
                tg.start_soon(export, "abandoned", 55)
            assert counts == {"a": 200, "b": 200, "abandoned": 55}
            pacer = krill.admission.pacer
            assert pacer is not None and pacer.engaged is True
            # one limit for the three (not 3 x 16 pages): a few pages in flight at most, client-wide
            assert krill.admission.peak_in_flight <= 6
            assert_nothing_held(krill)

            # Abandon exports at every stage (pacing waits, slot waits, pages in flight): nothing stays held.
            for stop_after in (1, 5, 15, 25, 35, 45, 65, 95, 125, 155):
                async with krill.isp.cpes.export(page_size=10) as records:
                    n = 0
                    async for _ in records:
                        n += 1
                        if n >= stop_after:
                            break
                assert_nothing_held(krill)
            async with krill.isp.cpes.export(page_size=10) as records:  # and the client still exports
                assert await drain(records) == 200
            assert_nothing_held(krill)


# -- 7. 429 with Retry-After before any knee ----------------------------------------------------------------


async def test_429s_before_the_knee_never_engage_pacing_and_the_export_completes() -> None:
    state = {"requests": 0, "throttled": 0}
    worker = anyio.Semaphore(1)

    async def cpes(request: web.Request) -> web.Response:
        state["requests"] += 1
        if state["requests"] <= 3:  # the first page's first three attempts: before any sample
            state["throttled"] += 1
            return busy(429, {"Retry-After": "0.2"})
        async with worker:
            await anyio.sleep(0.03)
        return page_of(request, 300)

    with anyio.fail_after(20):
        async with serve({CPES: cpes}) as url, Krill(url) as krill:
            started = time.monotonic()
            async with krill.isp.cpes.export(page_size=10) as records:
                assert await drain(records) == 300
            took = time.monotonic() - started
            limiter, pacer = krill.admission.limiter, krill.admission.pacer
            assert pacer is not None
            assert state["throttled"] == 3 and limiter.drops >= 1
            assert limiter.knee is None and pacer.engaged is None  # a drop ended slow start: no knee
            assert pacer.paced == 0
            assert krill.transport.throttle.pauses >= 1
            assert_nothing_held(krill)
    assert took < 0.6 + 30 * 0.03 * 3 + 1.0  # three pauses of 0.2 s, 30 pages on one worker, slack
