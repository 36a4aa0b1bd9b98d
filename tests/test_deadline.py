"""Nested call deadlines (each a `RequestTimeout`): the nearest one bounds the block and names the call that ran out.

An attempt run as a call of its own (a page fetch's request inside the fetch's retry loop) opens no cancel
scope of its own when the call around it ends first: that call's scope bounds it and its message names it.
"""

from __future__ import annotations

import anyio
import pytest

from krill_async import RequestTimeout
from krill_async._deadline import DeadlineExceeded, call_deadline, remaining

pytestmark = pytest.mark.anyio


async def test_an_attempt_ending_later_is_bounded_by_its_call_and_named_after_it() -> None:
    start = anyio.current_time()
    with pytest.raises(DeadlineExceeded) as caught:
        with call_deadline(0.05, method="GET", url="/call"):
            with call_deadline(10, method="GET", url="/attempt"):
                assert remaining() <= 0.05
                await anyio.sleep(5)
    assert anyio.current_time() - start < 2
    assert "/call" in str(caught.value) and "0.05 s timeout" in str(caught.value)
    assert "/attempt" not in str(caught.value)


async def test_an_attempt_ending_sooner_fires_on_its_own_and_names_itself() -> None:
    start = anyio.current_time()
    with call_deadline(10, method="GET", url="/call"):
        with pytest.raises(DeadlineExceeded) as caught:
            with call_deadline(0.05, method="GET", url="/attempt"):
                await anyio.sleep(5)
        assert "/attempt" in str(caught.value)
        assert remaining() > 5  # the call's own deadline is still running
    assert anyio.current_time() - start < 2


async def child_call(seconds: float, outcome: list[str]) -> None:
    try:
        with call_deadline(seconds, method="GET", url="/child"):
            await anyio.sleep(5)
    except DeadlineExceeded as exc:
        outcome.append(str(exc))


async def test_a_task_spawned_from_inside_a_call_keeps_its_own_deadline() -> None:
    """A task group opened before a call, a task started into it from inside the call: the child copies
    the call's context but is not inside its scope. Its own call, ending after the parent's, must still
    open a scope of its own (taking the parent's for its bound would leave it unbounded)."""
    outcome: list[str] = []
    start = anyio.current_time()
    async with anyio.create_task_group() as tg:
        with call_deadline(0.05, method="GET", url="/parent"):
            tg.start_soon(child_call, 0.2, outcome)
    assert len(outcome) == 1 and "/child" in outcome[0] and "0.2 s timeout" in outcome[0]
    assert anyio.current_time() - start < 2


def test_the_deadline_error_is_a_request_timeout() -> None:
    assert issubclass(DeadlineExceeded, RequestTimeout)
