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
from collections.abc import Iterator

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
#: The earliest end (``anyio.current_time()`` clock) of the call deadlines the current task is in, with
#: that task's id: a task started inside a call copies the context, not the call's cancel scope.
_call_ends: contextvars.ContextVar[tuple[int, float] | None] = contextvars.ContextVar("krill_call_ends", default=None)
#: When the current task's call started (``anyio.current_time()``): its retries keep their place in queues.
call_started: contextvars.ContextVar[float | None] = contextvars.ContextVar("krill_call_started", default=None)


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
    mark = _call_ends.get()
    if mark is None or mark[0] != anyio.get_current_task().id:
        return math.inf
    return mark[1]


@contextlib.contextmanager
def call_deadline(seconds: float, *, method: str, url: str) -> Iterator[None]:
    """Bound the block to ``seconds``; on expiry raise [`RequestTimeout`][krill_async.RequestTimeout] naming the
    wait."""
    # The outermost call's start: an attempt run as a call of its own (a page fetch retried with its
    # decoding) keeps the place of the call it belongs to.
    token = call_started.set(anyio.current_time()) if call_started.get() is None else None
    try:
        if math.isinf(seconds):
            yield
            return
        ends = _call_ends.set((anyio.get_current_task().id, min(_own_end(), anyio.current_time() + seconds)))
        try:
            with _bounded(seconds, method=method, url=url):
                yield
        finally:
            _call_ends.reset(ends)
    finally:
        if token is not None:
            call_started.reset(token)


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
