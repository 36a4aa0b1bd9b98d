"""Page planning for DRF LimitOffsetPagination: pure functions, no I/O.

The facts this encodes: ``offset`` is 0-based; the server may cap ``limit`` silently, so the effective
page size is what the server answered (the ``limit`` of ``next``, else the offset step, else the number
of results), never what was asked; ``count`` is not a snapshot, so after the planned pages the last
``next`` is still followed in case the collection grew.
"""

from __future__ import annotations

from dataclasses import dataclass

from yarl import URL

from ._urls import query_int, rebase_link, redact_url
from .errors import InvalidArgument, PaginationError, UnsafeURLError

#: Page size the client asks for when the caller does not choose one (Krill's own default may be 10).
DEFAULT_PAGE_SIZE = 100
#: Page size for concurrent exports: large enough to amortise latency, small enough for a server cap.
DEFAULT_EXPORT_PAGE_SIZE = 500


def record_limit(limit: object) -> int | None:
    """``limit=`` as the vendor's examples mean it: the most records a query yields (None: all of them)."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, (int, str)):
        raise InvalidArgument(f"limit must be a whole number of records, not {limit!r}")
    try:
        value = int(limit)
    except ValueError:
        raise InvalidArgument(f"limit must be a whole number of records, not {limit!r}") from None
    if value < 0:
        raise InvalidArgument(f"limit must not be negative, not {value}")
    return value


#: The largest page asked for on behalf of a ``limit=`` (without ``page_size=``): DRF deployments often cap
#: ``limit`` about there, and a capped limit is learnt from the answer anyway.
MAX_IMPLIED_PAGE_SIZE = 1000


def sizes(*, page_size: int | None, limit: int | None, default: int) -> int:
    """The size of each request: ``page_size`` when given; else, with a ``limit``, the limit itself (up to
    ``MAX_IMPLIED_PAGE_SIZE``: ``limit=3`` sends one request for 3 records, as the vendor's ``limit==3
    offset==42`` does); else the default. A tiny limit never means thousands of tiny requests."""
    if page_size is not None:
        if isinstance(page_size, bool) or not isinstance(page_size, int) or page_size < 1:
            raise InvalidArgument(f"page_size must be a positive whole number, not {page_size!r}")
        return page_size
    if limit is not None:
        return max(1, min(limit, max(default, MAX_IMPLIED_PAGE_SIZE)))
    return default


def effective_page_size(*, requested: int, offset: int, next_url: URL | None, received: int) -> int:
    """The page size the server really uses, learnt from one answered page."""
    if next_url is not None:
        limit = query_int(next_url, "limit")
        if limit is not None and limit > 0:
            return limit
        next_offset = query_int(next_url, "offset")
        if next_offset is not None and next_offset > offset:
            return next_offset - offset
    return received if received > 0 else max(1, requested)


def contradicts_count(*, offset: int, asked: int | None, received: int, count: int | None, linked: bool) -> bool:
    """Whether a page that links no next one ends before its own ``count`` says it should.

    Django REST Framework links a next page exactly when ``offset + limit < count``, ``limit`` being what
    was ``asked`` for, or less (the server's ``max_limit``): so with no next link, ``offset + asked >=
    count`` always holds on a correct server. A last page shorter than its count is no breach: DRF counts
    and slices in two queries, and a row deleted between them leaves the page short, with no next link,
    correctly. Nor is a page that holds every record up to its count (``received`` of them), as a server
    that ignored the ``limit`` sends. (A capped server that drops ``next`` within ``asked`` of its count is
    not caught.)
    """
    if linked or count is None or asked is None or asked < 1:
        return False
    return offset + asked < count and offset + received < count


def plan_offsets(*, first_offset: int, page_size: int, count: int, end: int | None = None) -> range:
    """Offsets of the pages still to fetch after the first one, from ``count`` (and an optional end)."""
    if page_size <= 0:
        raise ValueError("page_size must be positive")
    stop = count if end is None else min(count, end)
    return range(first_offset + page_size, max(stop, first_offset + page_size), page_size)


def offset_of(url: URL) -> int:
    """The 0-based offset a page URL asks for (absent means 0, as DRF drops ``offset=0``)."""
    value = query_int(url, "offset")
    return value if value is not None and value >= 0 else 0


@dataclass
class LinkGuard:
    """Refuses ``next`` links that do not move forward: a server bug must not loop a client forever."""

    last_offset: int = -1

    def check(self, url: URL) -> int:
        offset = offset_of(url)
        if offset <= self.last_offset:
            raise PaginationError(
                f"the server's next link goes back to offset {offset} (already at {self.last_offset}); "
                "stopping to avoid an endless loop. Report this server behaviour, or page with explicit "
                "offsets.",
                url=redact_url(url),
            )
        self.last_offset = offset
        return offset


def page_link(link: str | None, *, root: URL, request_url: URL, same_collection: bool = False) -> URL | None:
    """A ``next``/``previous`` link of the page at ``request_url``, rebased onto ``root``; None when absent.

    A link that leaves the API raises [UnsafeURLError][krill_async.UnsafeURLError]; an unusable one, or
    (with ``same_collection``, for ``next``) one naming another collection than the page's own (DRF's
    never does), raises [PaginationError][krill_async.PaginationError]: neither is followed.
    """
    if not link:
        return None
    try:
        url = rebase_link(link, root=root, request_url=request_url)
    except UnsafeURLError:
        raise
    except ValueError as exc:
        shown = redact_url(request_url)
        raise PaginationError(f"unusable pagination link in {shown}: {exc}", url=shown) from None
    if same_collection and url.raw_path.rstrip("/") != request_url.raw_path.rstrip("/"):
        shown = redact_url(request_url)
        raise PaginationError(
            f"the next link of {shown} names another collection ({redact_url(url.with_query(None))}); "
            "not following it. The server or a proxy is misconfigured.",
            url=shown,
        )
    return url
