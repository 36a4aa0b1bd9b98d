"""Timeouts with sane defaults, where "no limit" must be said out loud."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Timeout", "TimeoutTypes"]


@dataclass(frozen=True)
class Timeout:
    """Limits in seconds for one call.

    ``total``: the whole call, every retry, delay and wait included (a token, the client-wide pause after
    a 429, the rate limit, a free request slot): a call never takes longer. ``connect``: establishing one
    connection (waiting for a free slot is not connecting: that wait counts against ``total`` only);
    ``read``: the longest silence while reading an answer. ``None`` is refused on purpose: an unlimited
    timeout must be written ``math.inf``, so it never happens by accident.
    """

    total: float = 60.0
    connect: float = 10.0
    read: float = 30.0

    def __post_init__(self) -> None:
        for name in ("total", "connect", "read"):
            value = getattr(self, name)
            if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(
                    f"Timeout.{name} must be a number of seconds (use math.inf for no limit), not {value!r}"
                )
            if value <= 0 or value != value:
                raise ValueError(f"Timeout.{name} must be positive, not {value!r}")

    @classmethod
    def seconds(cls, total: float, *, base: Timeout | None = None) -> Timeout:
        """A timeout whose total is ``total``, its connect/read limits no longer than that."""
        base = base or cls()
        return replace(base, total=total, connect=min(base.connect, total), read=min(base.read, total))

    def to_aiohttp(self, *, total: float | None = None) -> aiohttp.ClientTimeout:
        """One attempt's limits for aiohttp: the socket connect and read silences, and ``total`` (the time
        left of the call) when given. aiohttp's own ``connect`` limit is not used: it counts the wait for
        a pooled connection, which is not a connection problem."""
        import aiohttp  # imported on first use: keeps `import krill_async` light

        def finite(value: float | None) -> float | None:
            return None if value is None or math.isinf(value) else max(0.001, float(value))

        return aiohttp.ClientTimeout(
            total=finite(total), sock_connect=finite(self.connect), sock_read=finite(self.read)
        )


#: What ``timeout=`` accepts: a [`Timeout`][krill_async.Timeout], a total in seconds, or ``None`` for the client
#: default.
TimeoutTypes = Timeout | float | int | None


def resolve_timeout(value: TimeoutTypes, default: Timeout) -> Timeout:
    """The effective timeout of one call: ``None`` means the client's default, never "unlimited"."""
    if value is None:
        return default
    if isinstance(value, Timeout):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"timeout must be a Timeout, a number of seconds or None, not {value!r}")
    return Timeout.seconds(float(value), base=default)
