"""Promise: a caller that cancels (or whose own scope runs out) sees the cancellation, never an error the
call would have retried; the call's own ``timeout.total`` still raises the error it met at once.

Which deadline binds decides it: a retry our own timeout would cut gives up with the error; when the
caller's scope ends first the call waits and the cancellation arrives. Servers here are the test's own
(written by a hostile review of the change, then turned into the promise).
"""

from __future__ import annotations

import anyio
import pytest
from aiohttp import web

from krill_async import Krill, RetryPolicy, ServerError, Timeout
from krill_async.errors import status_error

from ._hostile import serve

AUTH = ("u", "p")
SLOW = RetryPolicy(attempts=5, backoff=1.0, max_backoff=1.0, jitter=False, max_retry_after=60)


def err503() -> ServerError:
    return status_error(status=503, method="GET", url="http://x/", body=b"{}", headers={})  # type: ignore[return-value]


async def answer_503(request: web.Request) -> web.Response:
    return web.json_response({"detail": "down"}, status=503)


async def pages_then_503(request: web.Request) -> web.Response:
    offset = int(request.query.get("offset", 0))
    if offset >= 20:
        return web.json_response({"detail": "down"}, status=503)
    nxt = str(request.url.update_query(offset=offset + 10, limit=10))
    return web.json_response(
        {"count": 50, "next": nxt, "previous": None, "results": [{"id": i} for i in range(offset, offset + 10)]}
    )


@pytest.mark.anyio
async def test_caller_scope_nearest_get_is_cancelled_cleanly_on_time() -> None:
    async with serve(answer_503) as srv, Krill(srv.url, auth=AUTH, retry=SLOW, timeout=Timeout(total=10)) as krill:
        started = anyio.current_time()
        with anyio.move_on_after(0.2) as scope:
            await krill.isp.cpes.get(1)
        assert scope.cancelled_caught and anyio.current_time() - started < 0.4
        assert krill.stats.failures == 0


@pytest.mark.anyio
async def test_own_timeout_nearest_raises_at_once_even_with_a_later_caller_scope() -> None:
    async with serve(answer_503) as srv, Krill(srv.url, auth=AUTH, retry=SLOW, timeout=Timeout(total=0.3)) as krill:
        started = anyio.current_time()
        with anyio.fail_after(5), pytest.raises(ServerError):
            await krill.isp.cpes.get(1)
        assert anyio.current_time() - started < 0.15


@pytest.mark.anyio
@pytest.mark.parametrize("ordered", [True, False])
async def test_export_page_503_caller_scope_nearest_is_a_clean_cancel(ordered: bool) -> None:
    async with serve(pages_then_503) as srv, Krill(srv.url, auth=AUTH, retry=SLOW, timeout=Timeout(total=10)) as krill:
        started = anyio.current_time()
        with anyio.move_on_after(0.3) as scope:
            async with krill.isp.cpes.export(page_size=10, ordered=ordered) as rows:
                async for _ in rows:
                    pass
        assert scope.cancelled_caught and anyio.current_time() - started < 0.6


@pytest.mark.anyio
async def test_export_page_503_own_timeout_nearest_raises_the_503_at_once() -> None:
    async with serve(pages_then_503) as srv, Krill(srv.url, auth=AUTH, retry=SLOW, timeout=Timeout(total=0.3)) as krill:
        started = anyio.current_time()
        with anyio.fail_after(5), pytest.raises(ServerError) as info:
            async with krill.isp.cpes.export(page_size=10) as rows:
                async for _ in rows:
                    pass
        assert anyio.current_time() - started < 0.2 and info.value.resume_point is not None


@pytest.mark.anyio
@pytest.mark.parametrize("caller_first", [True, False])
async def test_both_deadlines_passed_during_the_attempt(caller_first: bool) -> None:
    # Neither timer has fired (no checkpoint): the earlier of the two decides what the caller sees.
    async with Krill("http://127.0.0.1:9", auth=AUTH, retry=SLOW) as krill:
        now = anyio.current_time()
        caller_ends, own = (now + 0.01, 0.03) if caller_first else (now + 0.03, 0.01)
        with anyio.CancelScope(deadline=caller_ends) as scope:

            async def busy_then_503() -> None:
                while anyio.current_time() < now + 0.05:
                    pass
                raise err503()

            try:
                await krill.transport.retrying("GET", busy_then_503, timeout=Timeout(total=own))
            except ServerError:
                assert not caller_first  # own deadline was first: its error is the answer
            else:
                raise AssertionError("returned")
        assert scope.cancelled_caught == caller_first


@pytest.mark.anyio
@pytest.mark.parametrize("policy", [RetryPolicy(attempts=1), RetryPolicy(attempts=3, backoff=0.001)])
async def test_the_last_attempts_error_does_not_replace_a_caller_scope_that_has_ended(policy: RetryPolicy) -> None:
    """The caller's deadline passes during the last attempt with no checkpoint in between (an answer read
    from a full buffer): there is no retry left, and still the caller gets its cancellation."""
    async with Krill("http://127.0.0.1:9", auth=AUTH, retry=policy) as krill:
        with anyio.CancelScope(deadline=anyio.current_time() + 0.01) as scope:

            async def busy_then_503() -> None:
                while anyio.current_time() < scope.deadline + 0.005:
                    pass
                raise err503()

            await krill.transport.retrying("GET", busy_then_503)
        assert scope.cancelled_caught and krill.stats.failures == 0


@pytest.mark.anyio
async def test_a_task_started_inside_a_call_does_not_inherit_its_deadline() -> None:
    """A task started inside a call copies the context, not the call's cancel scope: the finished call's
    end must not make the child's 503 look bound by its own timeout and escape the caller's scope."""
    async with serve(answer_503) as srv, Krill(srv.url, auth=AUTH, retry=SLOW, timeout=Timeout(total=10)) as krill:
        escaped: list[BaseException] = []

        async def child() -> None:
            try:
                await krill.isp.cpes.get(1)
            except ServerError as exc:
                escaped.append(exc)

        started = anyio.current_time()
        async with anyio.create_task_group() as tg:
            tg.cancel_scope.deadline = anyio.current_time() + 0.5  # the caller's scope, nearest for the child

            async def spawn() -> None:
                tg.start_soon(child)

            await krill.transport.retrying("GET", spawn, timeout=Timeout(total=0.05))
        assert not escaped and tg.cancel_scope.cancelled_caught
        assert 0.45 < anyio.current_time() - started < 1.0


@pytest.mark.anyio
async def test_a_task_started_inside_a_call_does_not_take_its_place_in_queues() -> None:
    """The twin of the deadline above: a child's calls start when they start, not when the call around
    the spawn did (the start orders waiters after the deadline, so a stale one would jump queues)."""
    from krill_async._deadline import call_deadline, call_started

    seen: list[float | None] = []

    async def child() -> None:
        await anyio.sleep(0.05)
        with call_deadline(5, method="GET", url="/child"):
            seen.append(call_started())

    async with anyio.create_task_group() as tg:
        with call_deadline(5, method="GET", url="/parent"):
            parent = call_started()
            tg.start_soon(child)
            with call_deadline(1, method="GET", url="/attempt"):
                assert call_started() == parent  # an attempt run as a call keeps its call's place
    assert parent is not None and seen and seen[0] is not None and seen[0] >= parent + 0.04
