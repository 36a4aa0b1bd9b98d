"""Admission: one adaptive limit shared by every request of a client, interactive calls first.

Why shared: two exports on one client each sized for the whole server would together queue twice what
it can serve. Why priorities: an interactive ``get()`` or action should not wait behind a hundred queued
export pages, so it takes the next free slot before any waiting page, and pages only ever use
``limit - reserve`` slots, which keeps ``reserve`` slots free for interactive calls. The limiter learns
from the pages only and its limit is theirs: pages stop at that plus ``reserve`` requests in flight,
counting interactive ones (the client's ``limit``), and interactive calls go on up to ``max_in_flight``.

The object has no tasks of its own: a waiter waits on an `anyio.Event` inside the caller's task,
so the caller's cancel scopes (``anyio.fail_after(deadline)``, a cancelled export) bound every wait, and a
slot handed to a waiter that is cancelled at that moment is passed on, never lost. The decision itself
lives in the pure `VegasLimiter`; this module only measures and queues.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import math
import operator
import time
from collections.abc import AsyncIterator, Callable, Hashable
from dataclasses import dataclass, field

import anyio
import anyio.lowlevel

from ._deadline import call_started, waiting_for
from ._limiter import AIMDCap, VegasLimiter
from ._pacer import Pacer
from ._ticket import Ticket, bulk_requests, is_bulk, is_overload, is_refusal

__all__ = ["Admission", "Ticket", "bulk_requests", "is_overload"]


@dataclass(eq=False)
class _Waiter:
    interactive: bool
    #: Served earliest deadline first, then the oldest call first (a retry keeps its call's place), then
    #: in arrival order.
    urgency: tuple[float, float, int] = (math.inf, math.inf, 0)
    event: anyio.Event = field(default_factory=anyio.Event)
    granted: bool = False


_urgency = operator.attrgetter("urgency")


def _grant(queue: list[_Waiter]) -> None:
    """Hand what ``queue`` waits for to its most urgent waiter."""
    waiter = queue.pop(0)
    waiter.granted = True
    waiter.event.set()


def _pacing_label(pacer: Pacer) -> str:
    return f"its turn under the export's pacing ({pacer.interval * 1000:.0f} ms per page)"


class Admission:
    """Client-wide admission under a `VegasLimiter`: ``async with admission.slot(): <one request>``.

    Interactive requests are admitted while fewer than ``interactive_limit`` requests are in flight (and
    fewer interactive ones than ``interactive_cap`` allows); bulk requests (inside `bulk_requests()`, or
    ``interactive=False``) while fewer than ``bulk_limit`` bulk requests (the limiter's limit) and fewer
    than ``limit`` requests are, and never while an interactive request waits. ``limit`` is
    ``bulk_limit + reserve``, at most ``max_in_flight``. Within a class, the earliest deadline first (the
    calls' ``timeout.total``), then first come first served: a page retrying after a 503 goes before the
    pages scheduled after it, which would otherwise take every slot of a lowered limit while its own
    deadline runs out.
    ``clock`` is read here, never in the limiter (tests pass a fake one).

    Only bulk requests feed round trips by default (``sample_interactive``): a 30 ms get() moves by 10%
    with a few milliseconds of jitter anywhere, which would read as queueing; a page's round trip does not.
    Their overload answers do not lower the pages' limit either: a 504 from a slow report or a 429 from a
    throttle of one view (Django REST Framework's ``ScopedRateThrottle``) says nothing about the pages'
    endpoint, and halving the exports' limit for it once per round trip would starve them while a
    dashboard polls. Their refusals for load (502, 503: not a 429, which pauses the whole client anyway
    and may be one view's throttle, nor a 504 or a timeout, which may be one slow endpoint's own) lower the
    interactive calls' own cap instead (``interactive_cap``, an `AIMDCap`: halved per congestion event, a
    refusal only while at least half the cap was in flight, one request back per cap's worth of
    successes, lifted after a quiet spell, never below 2, so that one long call cannot hold every other
    one back), so a burst of a web app's calls backs off a small server that answers 503, as the pages do.

    ``max_in_flight`` caps every request in flight (None: ``limit``); ``limit`` and ``bulk_limit`` never
    exceed it, so a request admitted here never waits again behind another one for the client's own
    ``max_in_flight``. The limiter's limit is the pages', learnt from pages: on a client that runs no
    export it stays at its first value, and a web app's concurrent `get()` calls or a bulk action must not
    be held to it: interactive calls go up to ``max_in_flight``. With that cap above ``limit`` the reserve
    also stays free while the limit shrinks: pages admitted under a higher limit still hold their slots,
    and interactive calls go past them. While no interactive call waits, an export always has one page
    moving (up to ``max_in_flight``): a steady stream of interactive calls slows exports, never stops them.
    """

    def __init__(
        self,
        limiter: VegasLimiter | None = None,
        *,
        reserve: int = 1,
        clock: Callable[[], float] = time.monotonic,
        overload: Callable[[BaseException], bool] = is_overload,
        sample_interactive: bool = False,
        pacer: Pacer | None = None,
        max_in_flight: int | None = None,
    ) -> None:
        if reserve < 0:
            raise ValueError("reserve must be 0 or more")
        if max_in_flight is not None and max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1, or None")
        self.limiter = limiter if limiter is not None else VegasLimiter()
        self.reserve = reserve
        self._clock = clock
        self._overload = overload
        self.sample_interactive = sample_interactive
        self.max_in_flight = max_in_flight
        #: The interactive calls' own cap, from their overload answers (unbounded until one comes).
        self.interactive_cap = AIMDCap()
        #: Spaces bulk sends so pages reach the server as its workers free (None: not paced).
        self.pacer = pacer
        self._turns: list[_Waiter] = []  # bulk requests pass the pacer one at a time, the most urgent first
        self._turn_taken = False
        self._interactive: list[_Waiter] = []  # sorted by _urgency
        self._bulk: list[_Waiter] = []
        self._arrivals = itertools.count()
        self.in_flight = 0
        self.bulk_in_flight = 0
        #: Most requests in flight at once so far (for monitoring and benchmarks).
        self.peak_in_flight = 0

    def __repr__(self) -> str:
        return (
            f"<Admission in_flight={self.in_flight} limit={self.limit} bulk_limit={self.bulk_limit} "
            f"waiting={len(self._interactive)}+{len(self._bulk)}>"
        )

    @property
    def limit(self) -> int:
        """Requests, interactive ones included, past which no page is sent: the bulk limit plus the reserve
        for interactive calls (at most ``max_in_flight``)."""
        value = self.limiter.limit + self.reserve
        return value if self.max_in_flight is None else min(value, self.max_in_flight)

    @property
    def interactive_limit(self) -> int:
        """Requests of any kind that may be in flight when the next one is interactive: ``max_in_flight``
        (None: ``limit``). Interactive calls also stay under ``interactive_cap``, which counts only them."""
        return self.limit if self.max_in_flight is None else self.max_in_flight

    @property
    def bulk_limit(self) -> int:
        """Bulk requests that may be in flight: the limiter's limit (at most ``max_in_flight - reserve``)."""
        value = self.limiter.limit
        return value if self.max_in_flight is None else min(value, max(1, self.max_in_flight - self.reserve))

    @property
    def interactive_in_flight(self) -> int:
        return self.in_flight - self.bulk_in_flight

    @property
    def waiting(self) -> tuple[int, int]:
        """(interactive, bulk) requests waiting for a slot."""
        return len(self._interactive), len(self._bulk)

    @contextlib.asynccontextmanager
    async def slot(self, *, interactive: bool | None = None, key: Hashable = None) -> AsyncIterator[Ticket]:
        """Wait for a slot, hold it for one request, and tell the limiter how the request went.

        ``interactive`` defaults to "not inside `bulk_requests()`"; ``key`` defaults to the key given
        there (bulk) or None (interactive). Success feeds the round trip; an overload error (see
        `is_overload()`) counts as a drop; any other error or a cancellation teaches nothing.
        """
        bulk = is_bulk()
        if interactive is None:
            interactive = bulk is None
        if key is None and not interactive and bulk is not None:
            key = bulk[0]
        send = None
        # (Until the pacer has decided, bulk requests take the pacer's turns too, with no delay: pages
        # already waiting for a slot when it engages would otherwise all go out unpaced, behind a full window.)
        if interactive or self.pacer is None or self.pacer.engaged is False:
            await self._acquire(interactive)
        else:
            send = await self._paced_acquire(self.pacer)
        # The limiter models bulk requests: their own count is what their round trips are compared with.
        ticket = Ticket(
            interactive,
            key,
            self.in_flight if interactive else self.bulk_in_flight,
            self._clock(),
            clock=self._clock,
            send=send,
        )
        ticket.interactive_in_flight = self.interactive_in_flight if interactive else 0
        try:
            yield ticket
        except BaseException as exc:
            if ticket.outcome is None:
                if isinstance(exc, Exception) and self._overload(exc):
                    ticket.drop(refused=is_refusal(exc))
                else:
                    ticket.discard()
            raise
        finally:
            self._finish(ticket)

    # -- internals --------------------------------------------------------------------------------------

    def _can_admit(self, interactive: bool) -> bool:
        total = self.interactive_limit
        if interactive:
            return self.in_flight < total and self.interactive_in_flight < self.interactive_cap.limit(
                total, self._clock()
            )
        if self._interactive:
            return False
        if self.bulk_in_flight == 0:  # one page always moves: interactive calls slow exports, never stop them
            return self.in_flight < total
        return self.in_flight < self.limit and self.bulk_in_flight < self.bulk_limit

    def slot_label(self) -> str:
        """What a request waiting for a slot waits for, with who holds the slots (for timeout messages)."""
        now = self._clock()
        cap = self.interactive_cap.limit(self.interactive_limit, now)
        capped = f", {cap} for interactive calls after refusals" if self.interactive_cap.capped(now) else ""
        return (
            f"a free request slot ({self.interactive_in_flight} interactive calls and {self.bulk_in_flight} "
            f"export pages in flight; adaptive limit {self.limit}{capped})"
        )

    def _take(self, interactive: bool) -> None:
        self.in_flight += 1
        self.bulk_in_flight += not interactive
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)

    async def _paced_acquire(self, pacer: Pacer) -> int:
        """A bulk slot no sooner than the pacer allows; returns the pacer's number for the request.

        Pages pass the pacer one at a time, the most urgent first (a retried page before the pages
        scheduled after it), and the pacer is asked again after each wait (every answer may change its
        interval). A page keeps its turn until it holds its slot, and counts as sent then: the next one is
        paced from there (pages let through the pacer but waiting for a full window would otherwise go
        out together, one per freed slot, as if unpaced)."""
        # (not decided yet: nothing is paced, the pages wait for slots one after the other)
        await self._take_turn(_pacing_label(pacer) if pacer.engaged else self.slot_label())
        try:
            waited = False
            while (delay := pacer.delay(self._clock())) > 0:
                waiting_for.set(_pacing_label(pacer))
                await anyio.sleep(delay)
                waited = True
            await self._acquire(False)
            return pacer.sent(self._clock(), waited=waited)
        finally:
            self._pass_turn()

    async def _take_turn(self, label: str) -> None:
        if not self._turn_taken and not self._turns:
            await anyio.lowlevel.checkpoint_if_cancelled()
            self._turn_taken = True
            return
        waiting_for.set(label)  # behind other pages' turns: a timeout names the pacing, not a slot
        await self._wait_in(self._turns, False, pass_on=self._pass_turn)

    def _pass_turn(self) -> None:
        if self._turns:
            _grant(self._turns)
        else:
            self._turn_taken = False

    def _urgency_now(self) -> tuple[float, float, int]:
        """Where the current task's request goes in a queue: by its deadline, then by when its call (of
        which this may be a retry) started, then by arrival."""
        started = call_started()
        arrival = next(self._arrivals)
        return anyio.current_effective_deadline(), anyio.current_time() if started is None else started, arrival

    async def _acquire(self, interactive: bool) -> None:
        queue = self._interactive if interactive else self._bulk
        if not queue and self._can_admit(interactive):
            await anyio.lowlevel.checkpoint_if_cancelled()  # like any await: a cancelled caller stops here
            self._take(interactive)
            return
        # (an interactive waiter leaving may unblock bulk ones: wake them)
        waiting_for.set(self.slot_label())
        await self._wait_in(queue, interactive, pass_on=lambda: self._release(interactive), on_leave=self._wake)

    async def _wait_in(
        self,
        queue: list[_Waiter],
        interactive: bool,
        *,
        pass_on: Callable[[], None],
        on_leave: Callable[[], None] | None = None,
    ) -> None:
        """Wait in ``queue`` (by urgency) until granted. Cancelled after the grant, ``pass_on`` hands what
        was granted to the next waiter; cancelled before, the waiter leaves the queue (then ``on_leave``)."""
        waiter = _Waiter(interactive, self._urgency_now())
        bisect.insort(queue, waiter, key=_urgency)
        try:
            await waiter.event.wait()
        except BaseException:
            if waiter.granted:
                pass_on()
            else:
                queue.remove(waiter)
                if on_leave is not None:
                    on_leave()
            raise

    def _finish(self, ticket: Ticket) -> None:
        now = self._clock()
        pacer = None if ticket.interactive else self.pacer  # the pacer learns from bulk requests only
        if ticket.outcome is None and (self.sample_interactive or not ticket.interactive):
            ended = ticket.answered_at if ticket.answered_at is not None else now
            self.limiter.on_sample(ended - ticket.started, ticket.in_flight, now, ticket.key)
            if pacer is not None:
                pacer.on_sample(ended - ticket.started, self.limiter.baseline(ticket.key), ended, send=ticket.send)
                pacer.on_window(self.limiter.knee)
        elif ticket.outcome == "drop" and (self.sample_interactive or not ticket.interactive):
            self.limiter.on_drop(now)
            if pacer is not None:
                pacer.on_drop()
        if ticket.interactive:
            if ticket.outcome is None:
                self.interactive_cap.on_success(self.interactive_limit, now)
            elif ticket.outcome == "drop" and ticket.refused:
                cap = self.interactive_cap
                cap.on_drop(ticket.started, now, self.interactive_limit, ticket.interactive_in_flight)
        self._release(ticket.interactive)

    def _release(self, interactive: bool) -> None:
        self.in_flight -= 1
        self.bulk_in_flight -= not interactive
        self._wake()

    def _wake(self) -> None:
        """Hand free slots to waiters: interactive ones first, then bulk ones, each earliest deadline first."""
        for queue, interactive in ((self._interactive, True), (self._bulk, False)):
            while queue and self._can_admit(interactive):
                self._take(interactive)
                _grant(queue)
