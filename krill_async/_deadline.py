"""One deadline per call: every attempt, retry delay and wait of a call fits in its ``timeout.total``.

A call waits for several things besides the server: a token, the client-wide pause after a 429, the rate
limit, a free request slot, the delay before a retry. Each of them runs inside the call's anyio cancel
scope, so none can outlast it; `waiting_for` names what the call was doing when time ran out, so
the [`RequestTimeout`][krill_async.RequestTimeout] says where the time went.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import anyio

from .errors import RequestTimeout


class DeadlineExceeded(RequestTimeout):
    """The call's whole ``timeout.total`` is spent: no retry can help within it (not transient)."""

    transient = False


__all__ = [
    "DeadlineExceeded",
    "call_deadline",
    "call_started",
    "caller_cancellation_first",
    "own_deadline_binds",
    "remaining",
    "waiting_for",
]

#: What the current task's call is waiting for (set by the transport and the throttle as they go).
waiting_for: contextvars.ContextVar[str] = contextvars.ContextVar("krill_waiting_for", default="the answer")


@dataclass(frozen=True)
class _Call:
    """The outermost call the task is in: ``started`` when it began (its retries keep their place in
    queues), ``ends`` the earliest end of the call deadlines around (``anyio.current_time()`` clock).

    ``owner`` refers weakly to the owning task's coroutine: a task started inside a call copies the
    context, and with it this record, but not the call. An id would not tell them apart once the owner is
    gone: asyncio's task ids are addresses, and a task started later often gets the same one."""

    owner: Callable[[], object | None]
    task: int
    started: float
    ends: float


_call: contextvars.ContextVar[_Call | None] = contextvars.ContextVar("krill_call", default=None)


def _current_call() -> _Call | None:
    call = _call.get()
    if call is None:
        return None
    task = anyio.get_current_task()
    return call if call.task == task.id and call.owner() is task.coro else None


def _owner_of(coro: object) -> Callable[[], object | None]:
    try:
        return weakref.ref(coro)
    except TypeError:  # not weakly referable (no known backend): the record then never matches another
        return lambda: coro


def call_started() -> float | None:
    """When the current task's outermost call started (None outside a call)."""
    call = _current_call()
    return None if call is None else call.started


def remaining() -> float:
    """Seconds left before the innermost deadline of the current task (``math.inf`` without one)."""
    return anyio.current_effective_deadline() - anyio.current_time()


def own_deadline_binds() -> bool:
    """Whether the nearest deadline of the current task is the timeout of a call of ours, not a scope of
    the caller's (``move_on_after``, a cancelled task group) that ends sooner.

    Why it matters: a retry that would outlast our own timeout raises the error it met at once (more
    telling than a timeout). When the caller's scope ends first, that error must not replace the
    cancellation the caller asked for: the call waits, and the cancellation arrives meanwhile."""
    return _own_end() <= anyio.current_effective_deadline()


async def caller_cancellation_first() -> None:
    """Before a call raises an error: if the caller's scope has run out (cancelled, or its deadline passed
    and not delivered yet, as when an answer was read with no checkpoint in between) and the call's own
    deadline has not, let the caller's cancellation arrive first. It does at the first sleep; bounded all
    the same."""
    if remaining() <= 0 and not own_deadline_binds():
        await anyio.sleep(0.05)


def _own_end() -> float:
    call = _current_call()
    return math.inf if call is None else call.ends


@contextlib.contextmanager
def call_deadline(seconds: float, *, method: str, url: str) -> Iterator[None]:
    """Bound the block to ``seconds``; on expiry raise [`RequestTimeout`][krill_async.RequestTimeout] naming the
    wait."""
    # The outermost call's start: an attempt run as a call of its own (a page fetch retried with its
    # decoding) keeps the place of the call it belongs to.
    now, outer = anyio.current_time(), _current_call()
    ends = now + seconds
    if outer is None:
        task = anyio.get_current_task()
        token = _call.set(_Call(_owner_of(task.coro), task.id, now, ends))
    else:
        token = _call.set(_Call(outer.owner, outer.task, outer.started, min(outer.ends, ends)))
    try:
        if math.isinf(seconds) or (
            outer is not None and outer.ends <= ends and anyio.current_effective_deadline() <= ends
        ):
            # (an attempt inside a call that ends first: the call's own scope bounds it and names it). The
            # record alone does not prove that scope reaches here: a shield in between, or a task that took
            # a dead call's record for its own (task ids are addresses, reused once a task is freed).
            yield
            return
        with _bounded(seconds, method=method, url=url):
            yield
    finally:
        _call.reset(token)


@contextlib.contextmanager
def _bounded(seconds: float, *, method: str, url: str) -> Iterator[None]:
    # Not reset on the way out: when an outer deadline fires, the innermost wait that was running is named.
    waiting_for.set("the answer")
    try:
        with anyio.fail_after(seconds):
            yield
    except TimeoutError:
        raise DeadlineExceeded(
            f"{method} {url} did not complete within its {seconds:g} s timeout, retries and waits included "
            f"(it was waiting for {waiting_for.get()}). Raise the timeout for this call (timeout=...), "
            "lower the load, or check the network.",
            method=method,
            url=url,
        ) from None
