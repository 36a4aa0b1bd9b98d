"""What one request is to the admission, and how it ended: bulk or interactive, a sample or a drop.

Kept apart from the admission's queues (`_admission`): the transport classifies its statuses here
(`Ticket.answered`), export pages mark themselves bulk (`bulk_requests`), and what counts as overload
(`is_overload`) is one decision shared by both.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from .errors import APIStatusError, RequestTimeout, Throttled

__all__ = ["REFUSAL_STATUSES", "Ticket", "bulk_requests", "is_bulk", "is_overload", "is_refusal"]

_BULK: ContextVar[tuple[Hashable] | None] = ContextVar("krill_bulk_requests", default=None)
_OVERLOAD_STATUSES = frozenset({502, 503, 504})
#: The statuses that lower the interactive calls' cap: the server (or its proxy) refusing work for load.
#: Not 429 (a throttle, often of one view, which pauses the whole client anyway) nor 504 (a gateway's
#: timeout: one slow endpoint's own, like a timeout of ours).
REFUSAL_STATUSES = frozenset({502, 503})


@contextlib.contextmanager
def bulk_requests(key: Hashable = None) -> Iterator[None]:
    """Mark the requests made inside this block (in this task) as bulk, for example export pages.

    ``key`` tells the limiter which requests have comparable round trips (use the page size)."""
    token = _BULK.set((key,))
    try:
        yield
    finally:
        _BULK.reset(token)


def is_overload(exc: BaseException) -> bool:
    """Whether an error means "the server is past its capacity": 429, 502/503/504, a timeout (typed, or
    still the raw ``asyncio``/aiohttp timeout when raised inside the transport's slot)."""
    if isinstance(exc, Throttled | RequestTimeout | TimeoutError | asyncio.TimeoutError):
        return True
    return isinstance(exc, APIStatusError) and exc.status in _OVERLOAD_STATUSES


def is_refusal(exc: BaseException) -> bool:
    """Whether an overload error is a refusal for load (``REFUSAL_STATUSES``), which lowers the
    interactive calls' cap; a 429, a 504 or a timeout is not."""
    return isinstance(exc, APIStatusError) and exc.status in REFUSAL_STATUSES


@dataclass(eq=False)
class Ticket:
    """One admitted request. By default its outcome is read from how the block ends; call `drop()`
    (overloaded answer handled by the caller) or `discard()` (nothing to learn) to override that."""

    interactive: bool
    key: Hashable
    in_flight: int
    started: float
    outcome: str | None = None
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    #: When the answer's status line arrived (set by `answered()`): the round trip the limiter learns
    #: from ends there, so reading the body (which waits on the client's own busy event loop while other
    #: pages decode) is not mistaken for the server's queue.
    answered_at: float | None = None
    #: The pacer's number for this request (None: not paced).
    send: int | None = None
    #: Whether the drop was a refusal for load (``REFUSAL_STATUSES``: 502, 503): only those lower the
    #: interactive calls' cap (a 429 or a timeout may be one view's or one slow endpoint's own).
    refused: bool = False
    #: Interactive requests in flight when this one was sent, itself included (0 for bulk ones).
    interactive_in_flight: int = 0

    def drop(self, *, refused: bool = True) -> None:
        self.outcome = "drop"
        self.refused = refused

    def answered(self, status: int) -> None:
        """Classify an HTTP status read inside the slot (the transport raises its typed error only after
        leaving it): 429 and 502/503/504 are drops, other errors teach nothing, successes are samples."""
        self.answered_at = self.clock()
        if status == 429 or status in _OVERLOAD_STATUSES:
            self.drop(refused=status in REFUSAL_STATUSES)
        elif status >= 400:
            self.discard()

    def discard(self) -> None:
        self.outcome = "discard"


def is_bulk() -> tuple[Hashable] | None:
    """The key given to the `bulk_requests()` block the current task is in (as a 1-tuple), or None."""
    return _BULK.get()
