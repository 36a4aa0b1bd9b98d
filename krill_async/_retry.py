"""Retry decisions: a pure policy object, no I/O.

What is retried: connection failures, timeouts, bodies cut short or garbled (malformed JSON), 429 and
503 (honouring ``Retry-After``, capped), 502/504, and 500 for idempotent methods. What never is: any
non-idempotent method (POST actions, logins, PATCH), client errors (400-428), transport failures that
cannot change (redirect loops, bodies over the size limit), failed logins, and decode errors where the
JSON is well-formed but does not fit the model (retrying cannot change the answer).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import APIStatusError, DecodeError, KrillError, ServerError, Throttled, TransportError

__all__ = ["IDEMPOTENT_METHODS", "NO_RETRIES", "RetryPolicy"]

#: Methods that may be sent twice with the same effect (RFC 9110 §9.2.2).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before sending a request again.

    ``attempts`` counts every try, the first included. Delays grow as ``backoff * 2**n`` up to
    ``max_backoff``, with full jitter (a random share of the delay, so many clients retrying together do
    not hit the server in step). A ``Retry-After`` is honoured up to ``max_retry_after`` seconds; a longer
    one is not waited for: the error is raised so the caller can decide.
    """

    attempts: int = 4
    backoff: float = 0.2
    max_backoff: float = 10.0
    jitter: bool = True
    max_retry_after: float = 60.0
    retry_statuses: frozenset[int] = frozenset({429, 502, 503, 504})
    retry_server_error_if_idempotent: bool = True
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1 (1 means: never retry)")
        if self.backoff < 0 or self.max_backoff < 0 or self.max_retry_after < 0:
            raise ValueError("delays must not be negative")

    def is_retryable(self, method: str, error: BaseException) -> bool:
        """Whether ``error`` on ``method`` may succeed if the request is sent again."""
        if method.upper() not in IDEMPOTENT_METHODS:
            return False
        if isinstance(error, TransportError):
            return error.transient
        if isinstance(error, DecodeError):
            return error.malformed  # garbage or a cut body: a proxy hiccup; a schema mismatch is final
        if isinstance(error, APIStatusError):
            if error.status in self.retry_statuses:
                return True
            return error.status == 500 and self.retry_server_error_if_idempotent
        return False

    def delay(self, attempt: int, error: KrillError | None = None) -> float | None:
        """Seconds to wait before try number ``attempt + 1`` (``attempt`` counts from 1), or None to stop."""
        if attempt >= self.attempts:
            return None
        retry_after = server_retry_after(error) if error is not None else None
        if retry_after is not None:
            if retry_after > self.max_retry_after:
                return None
            return retry_after
        ceiling = min(self.max_backoff, self.backoff * (2 ** (attempt - 1)))
        return self.rng.uniform(0, ceiling) if self.jitter else ceiling

    def pause_for(self, error: KrillError) -> float | None:
        """How long a 429 (or a 503 with ``Retry-After``) holds back every request of the client: the
        server's ``Retry-After``, never more than ``max_retry_after``; None when ``error`` asks no pause."""
        retry_after = server_retry_after(error)
        if retry_after is None and isinstance(error, Throttled):
            retry_after = self.backoff  # a 429 without Retry-After still pauses, briefly
        return None if retry_after is None else min(self.max_retry_after, retry_after)

    def decide(self, method: str, attempt: int, error: BaseException) -> float | None:
        """The wait before retrying after ``error`` on try ``attempt``; None means raise it now."""
        if not isinstance(error, KrillError) or not self.is_retryable(method, error):
            return None
        return self.delay(attempt, error)


def server_retry_after(error: BaseException) -> float | None:
    """The ``Retry-After`` (seconds) a 429 or a 503 carried, else None."""
    if isinstance(error, Throttled) or (isinstance(error, ServerError) and error.status == 503):
        return error.retry_after
    return None


#: Never retry (every error is raised at once).
NO_RETRIES = RetryPolicy(attempts=1)
