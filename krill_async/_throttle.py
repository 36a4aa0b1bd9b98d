"""Client-wide throttling: requests in flight, an optional rate, and a shared pause after a 429.

One [`Throttle`][krill_async.Throttle] per client, shared by every call and export on it, so a 429 slows down everyone
rather than only the request that got it.
"""

from __future__ import annotations

import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

from ._admission import Admission
from ._deadline import waiting_for
from ._ticket import Ticket

__all__ = ["Throttle"]


class Throttle:
    """At most ``max_in_flight`` requests at once and, when ``rate`` is set, at most ``rate`` requests
    per second. [`pause()`][krill_async.Throttle.pause] (called on a 429) holds every new request back for a while and,
    with a rate, halves it; the rate then climbs back by 5% per successful request."""

    def __init__(self, max_in_flight: int, rate: float | None = None, admission: Admission | None = None) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if rate is not None and not (rate > 0 and math.isfinite(rate)):
            raise ValueError("rate must be a positive number of requests per second, or None")
        self.max_in_flight = max_in_flight
        #: The client's adaptive, prioritised admission (None: a plain in-flight cap).
        self.admission = admission
        self.rate = rate
        self.current_rate = rate
        self._semaphore: anyio.Semaphore | None = None
        self._resume_at = 0.0
        self._next_start = 0.0
        #: Pauses imposed by 429 answers (for monitoring and tests).
        self.pauses = 0

    @property
    def in_flight(self) -> int:
        if self._semaphore is None:
            return 0
        return self.max_in_flight - self._semaphore.value

    def _get_semaphore(self) -> anyio.Semaphore:
        # created on first use: anyio primitives belong to a running event loop
        if self._semaphore is None:
            self._semaphore = anyio.Semaphore(self.max_in_flight)
        return self._semaphore

    async def _wait_for_turn(self) -> None:
        while True:
            now = time.monotonic()
            start = max(now, self._resume_at, self._next_start)
            if start <= now:
                if self.current_rate is not None:
                    self._next_start = now + 1.0 / self.current_rate
                return
            paused = self._resume_at > now
            waiting_for.set("the client-wide pause after a 429" if paused else "its turn under rate_limit")
            await anyio.sleep(start - now)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Ticket | None]:
        """Hold one request slot for the duration of a request (body reading included).

        The pause and the rate come first (no slot is held while waiting them out), then the admission
        (interactive calls before queued export pages), then the ``max_in_flight`` cap. Every wait here
        runs in the caller's cancel scope: the caller's deadline bounds it.
        """
        await self._wait_for_turn()
        semaphore = self._get_semaphore()
        if self.admission is None:
            if semaphore.value == 0:
                waiting_for.set(f"a free request slot (max_in_flight={self.max_in_flight})")
            async with semaphore:
                waiting_for.set("the answer")
                yield None
            return
        waiting_for.set(self.admission.slot_label())
        async with self.admission.slot() as ticket, semaphore:
            waiting_for.set("the answer")
            yield ticket

    def pause(self, seconds: float) -> None:
        """Hold every request not yet started for ``seconds`` (and halve the rate, when there is one).

        The caller caps ``seconds`` (the retry policy's ``max_retry_after``): a server's ``Retry-After``
        of an hour, or a date in the year 9999, must not stop the client.
        """
        self.pauses += 1
        self._resume_at = max(self._resume_at, time.monotonic() + max(0.0, seconds))
        if self.current_rate is not None and self.rate is not None:
            self.current_rate = max(self.rate / 16, self.current_rate / 2)

    def success(self) -> None:
        """A request succeeded: let the rate recover towards its configured value."""
        if self.current_rate is not None and self.rate is not None and self.current_rate < self.rate:
            self.current_rate = min(self.rate, self.current_rate * 1.05)
