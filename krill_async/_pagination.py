"""Collection queries: sequential iteration, pages, counts, and the entry point of concurrent exports."""

from __future__ import annotations

import copy as copy_module
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
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
log = logging.getLogger("krill_async")

__all__ = ["DriftReport", "Export", "ListQuery", "Page", "PageFetcher", "fetch_page", "make_page"]


class ListQuery(Generic[T]):
    """A collection query, not yet sent. Iterate it, or take pages, the first page, or an export.

    ``async for record in query`` pages sequentially following ``next``; ``query.pages()`` yields pages;
    ``await query.first_page()`` fetches one page with ``count``; ``query.export(...)`` fetches pages
    concurrently. ``limit`` (None: all) is the most records any of them yields: no page beyond it is
    requested, and the last request asks only for what is still wanted.
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
        limit: int | None = None,
    ) -> None:
        if limit is not None and limit < 0:
            raise ValueError("limit must be 0 or more (None means every record)")
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
        self.limit = limit

    def __repr__(self) -> str:
        return f"<ListQuery {redact_url(self.page_url(self.offset, self.page_size))}>"

    def with_key_attr(self, key: str) -> ListQuery[T]:
        """This query, with ``key`` added to an ``attrs=`` projection that leaves it out (a consistent
        export reads each record's key; without it every record would look like the same one)."""
        params: list[tuple[str, str]] = []
        changed = False
        for name, value in self.params:
            if name == "attrs" and key not in [part.strip() for part in value.split(",")]:
                value, changed = f"{value},{key}" if value else key, True
            params.append((name, value))
        if not changed:
            return self
        copy = copy_module.copy(self)
        copy.params = params
        return copy

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
        size = self.page_size if self.limit is None else max(1, min(self.page_size, self.limit))
        page = await self.fetch(self.page_url(self.offset, size), requested=size)
        if self.limit is not None and len(page.items) > self.limit:
            page = replace(page, items=page.items[: self.limit])
        return page

    async def count(self) -> int | None:
        """How many records match, from a one-record page (None for an unpaginated endpoint)."""
        page = await self.fetch(self.page_url(self.offset, 1), requested=1)
        return page.count

    async def fill_gap(self, page: Page[T], step: int) -> tuple[Page[T], int]:
        """``page`` completed when the server answered fewer records than ``step`` although more follow
        (its ``next`` link is set): the missing offsets are read again, so no row is skipped in silence.

        Returns the page (records of the re-read appended) and how many records are still missing after
        up to three re-reads that each made progress; 0 when the page was whole.
        """
        items = page.items
        missing = step - len(items)
        for _ in range(3):
            if missing <= 0 or page.next_url is None:
                break
            gap = await self.fetch(self.page_url(page.offset + len(items), missing), requested=missing)
            if not gap.items:
                break
            items = items + gap.items[:missing]
            missing = step - len(items)
            log.info("re-read %d records at offset %d of %s", len(gap.items), gap.offset, redact_url(self.url))
        if items is not page.items:
            page = replace(page, items=items)
        return page, max(0, missing) if page.next_url is not None else 0

    async def pages(self) -> AsyncIterator[Page[T]]:
        """Pages one after another, following the server's ``next`` links (rebased onto our origin).

        A page shorter than its neighbours (the server answered fewer records than the page size though
        more follow) is completed by re-reading the missing offsets; an empty page that still links a next
        one ends the iteration (a server whose ``count`` lies would otherwise be followed forever). Both
        are logged as warnings on the ``krill_async`` logger, and so is a last page that links no next one
        although its own ``count`` says more follow (the iteration ends there: the links are DRF's contract).
        """
        remaining = self.limit
        if remaining == 0:
            return
        asked = self.page_size if remaining is None else min(self.page_size, remaining)
        url: URL | None = self.page_url(self.offset, asked)
        guard = LinkGuard()
        links = LinkGuard()  # the server's own next links must move forward too, even when we skip them
        step: int | None = None
        while url is not None:
            guard.check(url)
            page = await self.fetch(url, requested=asked)
            if page.next_url is not None:
                links.check(page.next_url)
            step = step or page.page_size
            if remaining is not None and len(page.items) > remaining:
                page = replace(page, items=page.items[:remaining])  # a server that ignored our limit
            if page.dead_end:
                log.warning(
                    "an empty page at offset %d of %s still links a next page (count %s): stopping there",
                    page.offset,
                    redact_url(self.url),
                    page.count,
                )
                yield page
                return
            following = page.next_url
            expected = min(asked, step)
            if page.short_of(expected):
                page, lost = await self.fill_gap(page, expected)
                if lost:
                    log.warning(
                        "%d records at offset %d of %s could not be read: the server answered short pages",
                        lost,
                        page.offset + len(page.items),
                        redact_url(self.url),
                    )
                resume_at = page.offset + expected  # past the records read and those that could not be
                if page.count is not None and resume_at >= page.count:
                    following = None  # the server's own count says nothing follows: its next link lies
                else:
                    following = self.page_url(resume_at, step)
            if remaining is not None:
                remaining -= len(page.items)
                if remaining <= 0:
                    yield page
                    return
                asked = min(step, remaining)
                if following is not None and asked < step:
                    following = with_params(following, [("limit", str(asked))])
            else:
                asked = step
            if page.unlinked_early:
                log.warning(
                    "the page ending at offset %d of %s links no next page although its count is %d: "
                    "stopping there (the server's paging contradicts its own count)",
                    page.offset + len(page.items),
                    redact_url(self.url),
                    page.count,
                )
            yield page
            url = following

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.pages():
            for item in page.items:
                yield item

    async def collect(self) -> list[T]:
        """Every record in a list (sequential paging). For large collections prefer
        [`export()`][krill_async.ListQuery.export]."""
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
        At most ``concurrency`` pages are in flight, and at most ``concurrency + Export.READ_AHEAD`` (4) are
        in flight or waiting for the consumer, so memory stays bounded.
        ``resume`` carries on from a [`ResumePoint`][krill_async.ResumePoint] of an earlier run. ``consistent=True``
        yields each ``key`` at most once and reports drift in ``export.drift`` (see
        [`DriftReport`][krill_async.DriftReport]).
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
