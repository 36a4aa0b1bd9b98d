"""A one-line progress display on stderr: records, records per second, ETA from the server's ``count``.

A small renderer of our own rather than a dependency: one line, redrawn at most ten times a second, only
when stderr is a terminal (and not ``--quiet``), so logs, pipes and cron mails never see it.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from typing import IO

__all__ = ["Progress", "format_duration", "render"]


def format_duration(seconds: float) -> str:
    """``0:07``, ``12:30``, ``2:03:04``."""
    total = max(0, int(seconds + 0.5))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def render(done: int, total: int | None, elapsed: float, *, width: int = 80, unit: str = "records") -> str:
    """The progress line for ``done`` of ``total`` after ``elapsed`` seconds, fitted to ``width``."""
    rate = done / elapsed if elapsed > 0 else 0.0
    speed = f"{rate:,.0f} {unit}/s" if elapsed > 0 else ""
    if total is None or total <= 0:
        parts = [f"{done:,} {unit}", speed, format_duration(elapsed)]
        return "  ".join(p for p in parts if p)[:width]
    shown = min(done, total)
    percent = 100 * shown // total
    if shown >= total:
        eta = f"in {format_duration(elapsed)}"
    elif rate > 0:
        eta = f"ETA {format_duration((total - shown) / rate)}"
    else:
        eta = "ETA -:--"
    text = "  ".join(p for p in (f"{shown:,}/{total:,} {unit}", f"{percent:3d}%", speed, eta) if p)
    room = width - len(text) - 3
    if room >= 10:
        bar = min(room, 30)
        filled = bar * shown // total
        text = "[" + "#" * filled + "-" * (bar - filled) + "] " + text
    return text[:width]


class Progress:
    """Draws `render()` on ``stream``; every method is a no-op when disabled."""

    def __init__(
        self,
        stream: IO[str],
        *,
        enabled: bool,
        unit: str = "records",
        interval: float = 0.1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream
        self.enabled = enabled
        self.unit = unit
        self.interval = interval
        self.clock = clock
        self.done = 0
        self.total: int | None = None
        self.started = clock()
        self._drawn_at: float | None = None
        self._width = 0

    def set_total(self, total: int | None) -> None:
        """The number of records expected (from ``count``), once known."""
        self.total = total

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = self.clock()
        if self._drawn_at is None or now - self._drawn_at >= self.interval:
            self._draw(now)

    def _draw(self, now: float) -> None:
        width = max(20, shutil.get_terminal_size((80, 24)).columns - 1)
        line = render(self.done, self.total, now - self.started, width=width, unit=self.unit)
        self.stream.write("\r" + line + " " * max(0, self._width - len(line)))
        self.stream.flush()
        self._width = len(line)
        self._drawn_at = now

    def finish(self) -> None:
        """Draw the final state and end the line (also after an interruption: it shows how far it got)."""
        if self.enabled:
            self._draw(self.clock())
            self.stream.write("\n")
            self.stream.flush()
            self.enabled = False

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started
