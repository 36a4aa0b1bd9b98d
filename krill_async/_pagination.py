"""Collection queries: sequential iteration, pages, counts, and the entry point of concurrent exports."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from yarl import URL

from ._export import DriftReport, Export
from ._page import Page, PageFetcher, fetch_page, make_page
from ._paging import LinkGuard
from ._resume import ResumePoint
from ._timeouts import Timeout
from ._urls import redact_url, with_params

if TYPE_CHECKING:
    from ._transport import Transport

T = TypeVar("T")

__all__ = ["DriftReport", "Export", "ListQuery", "Page", "PageFetcher", "fetch_page", "make_page"]


class ListQuery(Generic[T]):
    """A collection query, not yet sent. Iterate it, or take pages, the first page, or an export.

    ``async for record in query`` pages sequentially following ``next``; ``query.pages()`` yields pages;
    ``await query.first_page()`` fetches one page with ``count``; ``query.export(...)`` fetches pages
    concurrently.
    """

    def __init__(
        self,
        transport: Transport,
        url: URL,
        *,
        params: list[tuple[str, str]],
        model: type[T] | Any,
        page_size: int,
        offset: int = 0,
        timeout: Timeout | None = None,
        concurrency: int = 8,
        export_page_size: int | None = None,
        page_fetcher: PageFetcher = fetch_page,
    ) -> None:
        if page_size <= 0:
            raise ValueError("page_size must be a positive integer")
        if offset < 0:
            raise ValueError("offset must be 0 or more")
        self._transport = transport
        self.url = url
        self.params = params
        self.model = model
        self.page_size = page_size
        self.offset = offset
        self.timeout = timeout
        self._concurrency = concurrency
        self._export_page_size = export_page_size or page_size
        self._page_fetcher = page_fetcher

    def __repr__(self) -> str:
        return f"<ListQuery {redact_url(self.page_url(self.offset, self.page_size))}>"

    def page_url(self, offset: int, limit: int) -> URL:
        """URL of the page at ``offset`` holding up to ``limit`` records, with every filter."""
        paging = [("limit", str(limit))]
        if offset:
            paging.append(("offset", str(offset)))
        return with_params(self.url.with_query(self.params), paging)

    async def fetch(self, url: URL, *, requested: int | None = None) -> Page[T]:
        """Fetch one page by URL (for example a page's ``next_url``)."""
        return await self._page_fetcher(
            self._transport, url, self.model, requested=requested or self.page_size, timeout=self.timeout
        )

    async def first_page(self) -> Page[T]:
        """The first page (at ``offset``), with the collection's ``count``."""
        return await self.fetch(self.page_url(self.offset, self.page_size))

    async def count(self) -> int | None:
        """How many records match, from a one-record page (None for an unpaginated endpoint)."""
        page = await self.fetch(self.page_url(self.offset, 1), requested=1)
        return page.count

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Pages one after another, following the server's ``next`` links (rebased onto our origin)."""
        url: URL | None = self.page_url(self.offset, self.page_size)
        guard = LinkGuard()
        while url is not None:
            guard.check(url)
            page = await self.fetch(url)
            yield page
            url = page.next_url

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self) -> list[T]:
        """Every record in a list (sequential paging). For large collections prefer :meth:`export`."""
        return [item async for item in self]

    def export(
        self,
        *,
        concurrency: int | None = None,
        page_size: int | None = None,
        ordered: bool = True,
        resume: ResumePoint | None = None,
        consistent: bool = False,
        key: str = "id",
        recover_missed: bool = True,
    ) -> Export[T]:
        """Fetch every page concurrently; use as ``async with query.export() as records: async for ...``.

        Records come in server order unless ``ordered=False`` (then pages are yielded as they complete).
        At most ``concurrency`` pages are in flight or waiting for the consumer, so memory stays bounded.
        ``resume`` carries on from a :class:`ResumePoint` of an earlier run. ``consistent=True`` yields each
        ``key`` at most once and reports drift in ``export.drift`` (see :class:`DriftReport`).
        """
        return Export(
            self,
            concurrency=concurrency or self._concurrency,
            page_size=page_size or self._export_page_size,
            ordered=ordered,
            resume=resume,
            consistent=consistent,
            key=key,
            recover_missed=recover_missed,
        )
