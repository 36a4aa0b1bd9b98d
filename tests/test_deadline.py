"""Nested call deadlines (each a `RequestTimeout`): the nearest one bounds the block and names the call that ran out.

An attempt run as a call of its own (a page fetch's request inside the fetch's retry loop) opens no cancel
scope of its own when the call around it ends first: that call's scope bounds it and its message names it.
"""

from __future__ import annotations

import weakref

import anyio
import anyio.lowlevel
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


async def _finished() -> None:
    pass


async def test_a_record_with_this_tasks_id_but_a_dead_owner_is_not_this_tasks_call() -> None:
    """What a task id reused by asyncio looks like: the context carries a finished caller's record whose
    id is the current task's. The record must not be taken for this task's call: not its start (its place
    in the admission queue), not its end (whether its own deadline binds, whether to open a scope)."""
    from krill_async._deadline import _Call, _call, call_started, own_deadline_binds

    now = anyio.current_time()
    here = anyio.get_current_task()
    dead = _finished()
    dead.close()
    record = _Call(weakref.ref(dead), here.id, started=now - 100, ends=now + 0.01)
    del dead
    token = _call.set(record)
    try:
        assert call_started() is None
        with anyio.CancelScope(deadline=now + 0.02):  # ends after the dead record, sooner than any call
            assert not own_deadline_binds()
            await anyio.lowlevel.checkpoint()
        start = anyio.current_time()
        with pytest.raises(DeadlineExceeded) as caught:
            with anyio.fail_after(5), call_deadline(0.1, method="GET", url="/reused"):
                await anyio.sleep(5)
        assert "/reused" in str(caught.value)  # the call's own scope, not the dead one's
        assert anyio.current_time() - start < 2
    finally:
        _call.reset(token)
    live = _Call(weakref.ref(here.coro), here.id, started=now - 100, ends=now + 60)
    token = _call.set(live)
    try:
        assert call_started() == now - 100  # the same record with its true owner is the task's call
    finally:
        _call.reset(token)
