"""When the next export page may be sent: a pure pacing decision fed with round trips.

Why pacing on top of the concurrency limit: on a server of one or two workers the number of pages worth
having in flight is fractional. A page of 100 ms of service behind 30 ms of wire keeps one worker busy
with 1.3 pages in flight: one page in flight leaves the worker idle a quarter of the time, two keep a
page waiting in the server's queue all the time, and every interactive call (served first come, first
served) then waits behind that queued page as well as behind the one being served. Sending each page
so that it reaches the server as a worker frees keeps the workers busy with (almost) no queue: the
rate a window cannot express. This is BBR's split (Cardwell et al., "BBR: congestion-based congestion
control", ACM Queue 14(5), 2016): a pacing rate at the bottleneck's delivery rate, with the window (the
`VegasLimiter`'s limit) as a cap; the small standing queue aimed at is LEDBAT's target delay (RFC 6817).

What it measures, from export pages only:

- ``queue_delay``: how much longer than the no-load round trip (the limiter's baseline for the page
  size) the last pages took, the time they waited for a worker (the last two, averaged: an average over
  more answers lags a queue that has drained, and keeps the workers idle for as long).
- ``capacity``: the server's pace, the mean spacing of answers while the server had a queue. Then no
  worker idles between two pages, and answers come as fast as the server serves, whatever we send.
  Whether there was a queue is read from the answers *before* each one: if an answer's own lateness
  (a status line read late by a busy event loop) decided whether its spacing counts, only late ones
  would, and our own jitter would pass for the server's pace and slow the export down without end.

The interval between two sends is ``capacity``. When pages wait longer than ``target`` (a share of the
no-load round trip), the next page is held back once by the excess, which the server drains meanwhile,
and the pacer looks again a round trip later (the held page's spacing is not counted). While nothing
waits, ``capacity`` shortens by ``probe`` at every answer (a server that got faster is found), until
pages wait again and it is measured anew. Before the server has shown a queue, nothing is paced.

Which servers are paced: only small ones. When the limiter first leaves slow start (its first sign of
a queue), its limit is the server's knee in pages; a knee of at most ``small_server`` pages (one or two
workers) engages pacing, a larger one leaves the export to the window for good. On a larger server the
window's queued page is shared by the workers (an interactive call waits for less than a page anyway),
and pacing there risks the one thing this estimator cannot tell apart: a delay that lasts (a client or a
server busier than on the first pages, which the no-load round trip did not see) reads as a queue whose
answers keep the spacing of our own sends, and the pace found would be ours.

What it cannot know: a server whose pace changes from page to page (per-offset costs on deep pages
are followed, a page at a time; a server that got faster is found only by the probe, slowly: in the model
of ``tests/test_pacer.py`` the 200 pages after a 30% speed-up take 1.5x their new best), one whose
answers reach us far out of order (many workers, much jitter), where spacings mean little, and a lasting
delay from a queue (above); the window still bounds what is in flight there.

Pure: no clock reads, no I/O; times are passed in (any monotonic clock, in seconds).
"""

from __future__ import annotations

import math
from collections import deque

__all__ = ["PACED_INITIAL_LIMIT", "SMALL_SERVER", "Pacer"]

#: The adaptive limit a paced client starts at: a first burst of more pages would sit in a one-worker
#: server's queue, in front of every interactive call, for as many page services.
PACED_INITIAL_LIMIT = 2
#: Pacing engages on a server whose knee (the limit at which the limiter first saw a queue) is at most
#: this many pages: one or two workers (a 100 ms page behind 30 ms of wire: knees of 2-3 and 3-5 pages).
#: From four workers on (knees of 8 and more) the window's one queued page is shared by the workers, and
#: an interactive call waits for less than a page; pacing there would only risk taking our own pace for
#: the server's (see the module docstring).
SMALL_SERVER = 5


class Pacer:
    """Spacing of bulk sends (see the module docstring).

    ``target`` is the queueing delay aimed at, as a share of the no-load round trip (0.03: 4 ms on a
    150 ms page; a little queue keeps workers busy despite the jitter at both ends, and an interactive
    call arriving then waits that much more, not a page more); ``window`` how many waiting answers the
    mean of ``capacity`` spans; ``probe`` how much sooner to send after each answer that did not wait
    (0.005, half a percent an answer: a larger probe finds a faster server sooner but overshoots more,
    and every overshoot builds a queue in front of interactive calls before it is seen; at 2% those
    queues put a one-worker server's `get()` p95 up to a fifth of a page above the page in service);
    ``drop_stretch`` how much a 429/503 or a timeout lengthens the interval; ``small_server`` (None:
    always pace) the largest knee, in pages, of a server that is paced, decided once by `on_window()`.
    """

    def __init__(
        self,
        *,
        target: float = 0.03,
        window: int = 8,
        probe: float = 0.005,
        drop_stretch: float = 1.5,
        small_server: int | None = None,
    ) -> None:
        if not (0 <= target < 1 and window >= 1 and 0 <= probe < 1 and drop_stretch >= 1):
            raise ValueError("need 0 <= target < 1, window >= 1, 0 <= probe < 1, drop_stretch >= 1")
        if small_server is not None and small_server < 1:
            raise ValueError("small_server must be a number of pages (1 or more), or None to always pace")
        self.target = target
        self.window = window
        self.probe = probe
        self.drop_stretch = drop_stretch
        self.small_server = small_server
        #: Whether sends are paced: decided once, when the limiter first finds the server's knee (None
        #: until then); always with ``small_server=None``.
        self.engaged: bool | None = True if small_server is None else None
        #: Seconds between two answers while the server had a queue (None: not seen yet).
        self.capacity: float | None = None
        #: Recent average of how long pages waited for a worker (seconds; may dip below 0 with noise).
        self.queue_delay = 0.0
        self._longest = math.inf  # the longest interval: the last round trip, once known
        self._spacings: deque[float] = deque(maxlen=window)
        self._last_answer: float | None = None
        self._last_send = -math.inf
        self._paused_at: float | None = None  # when the last drain was decided (one per round trip)
        self._hold = False  # the next send is the one a drain holds back
        self._held_number: int | None = None  # the send number of the request a drain held back
        self._sends = 0
        #: Counters for monitoring and tests: answers learnt from, sends that waited, drains.
        self.samples = 0
        self.paced = 0
        self.pauses = 0

    def __repr__(self) -> str:
        capacity = "unknown" if self.capacity is None else f"{self.capacity * 1000:.1f} ms"
        return (
            f"<Pacer interval={self.interval * 1000:.1f} ms capacity={capacity} "
            f"queue_delay={self.queue_delay * 1000:.1f} ms>"
        )

    @property
    def interval(self) -> float:
        """Seconds between two bulk sends now: the measured pace (0 before the server showed a queue),
        never longer than the last round trip (a window of one page sends that often; slower, only
        retries and their backoff pace a failing server)."""
        if self.capacity is None:
            return 0.0
        return min(self.capacity, self._longest)

    def on_sample(self, rtt: float, baseline: float | None, now: float, *, send: int | None = None) -> float:
        """A bulk request answered at ``now`` after ``rtt`` seconds; ``baseline`` is the no-load round
        trip of its kind (the limiter's); ``send`` its number from `sent()` (by which the request a drain
        held back is known). Returns the new interval."""
        if not (rtt > 0 and math.isfinite(rtt)) or baseline is None or not baseline > 0:
            return self.interval
        self.samples += 1
        self._longest = max(rtt, baseline)
        waited = rtt - baseline
        # Whether the server had a queue is read from the answers before this one: this answer's own
        # jitter (a status line read late) must not decide whether its spacing is counted, or only the
        # late ones would be, and their mean would take our own jitter for the server's pace.
        queued = self.queue_delay
        self.queue_delay += (waited - self.queue_delay) / 2
        threshold = self.target * baseline
        previous, self._last_answer = self._last_answer, now
        if self._paused_at is not None and now >= self._paused_at + self.window * baseline:
            self._paused_at = None  # (its page was lost: look again)
        if send is not None and send == self._held_number:
            # The page held back by the drain: its answer's spacing holds our pause, not the server's pace.
            self._held_number = self._paused_at = None
        elif queued > threshold:
            # This page waited for a worker: the answer before it came from a worker busy until then, so
            # their spacing is one sample of the server's pace. On several workers single spacings range
            # from 0 to a whole service time; their mean over ``window`` waiting answers is the pace.
            if previous is not None and now >= previous:
                self._spacings.append(now - previous)
                self.capacity = sum(self._spacings) / len(self._spacings)
        elif self.capacity is not None:
            # Nothing waited: perhaps the server got faster, send a little sooner (until pages wait again).
            self.capacity *= 1 - self.probe
        if self.capacity is not None:
            excess = self.queue_delay - threshold
            if excess > 0 and self._paused_at is None:
                # A queue longer than the target: hold the next page back by that much, once (the server
                # drains exactly that while we wait), then look again a round trip later. A lasting
                # stretch of the interval instead would feed our own slower pace back as the server's.
                self._last_send = max(self._last_send, now - self.interval) + min(excess, self.capacity)
                self._paused_at = now
                self._hold = True
                self.pauses += 1
        return self.interval

    def on_drop(self) -> float:
        """A bulk request was refused or timed out: the server is past its capacity, slow down."""
        if self.capacity is not None:
            self.capacity = min(self.capacity * self.drop_stretch, self._longest)
        return self.interval

    def on_window(self, knee: int | None) -> None:
        """The limiter's knee after a sample (its ``knee``: None until slow start ended at a sign of
        queueing): once known, pacing is engaged if it is at most ``small_server`` pages. A slow start
        ended by a drop (a 503) finds no knee: the window alone serves an overloaded server."""
        if self.engaged is None and knee is not None and self.small_server is not None:
            self.engaged = knee <= self.small_server

    def delay(self, now: float) -> float:
        """Seconds the next bulk request should wait before it is sent (0: send now). Ask again after
        waiting: the interval may have changed meanwhile (it follows every answer)."""
        if not self.engaged or self.interval <= 0:
            return 0.0
        return max(0.0, self._last_send + self.interval - now)

    def sent(self, now: float, *, waited: bool = False) -> int:
        """A bulk request passes the pacer at ``now`` (``waited``: after a delay this pacer asked for).
        Returns its send number: give it back with its answer (`on_sample(send=...)`)."""
        self._last_send = now
        self.paced += waited
        self._sends += 1
        if self._hold:
            self._hold, self._held_number = False, self._sends
        return self._sends
