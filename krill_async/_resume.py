"""Where an export stopped, so that another run carries on without yielding any record twice."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ResumePoint"]


@dataclass(frozen=True)
class ResumePoint:
    """Every record before ``offset`` has been yielded, and so have the pages starting at
    ``done_offsets`` (an unordered export finishes pages out of order). ``page_size`` is the size those
    offsets were planned with; a resumed export plans with it again so the pages line up.

    ``count`` is the collection's size when the export started and ``url`` the query it ran: resume the
    same query. Offset paging is not a snapshot: if rows were inserted or deleted before ``offset`` in
    between, use a consistent export (``consistent=True``), which deduplicates by id.
    """

    offset: int
    page_size: int
    done_offsets: frozenset[int] = field(default_factory=frozenset)
    count: int | None = None
    url: str = ""
    #: ``(page offset, records already yielded from it)`` for a page left half-read (unordered exports).
    partial_page: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.offset < 0 or self.page_size < 1:
            raise ValueError("a resume point needs offset >= 0 and page_size >= 1")
