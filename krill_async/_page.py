"""One answered page of a collection, and the default way to fetch and decode one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from yarl import URL

from ._decode import decode_page
from ._paging import contradicts_count, effective_page_size, offset_of, page_link
from ._timeouts import Timeout
from ._urls import query_int, redact_url

if TYPE_CHECKING:
    from ._transport import Transport

T = TypeVar("T")

__all__ = ["Page", "PageFetcher", "fetch_page", "make_page"]


@dataclass(frozen=True, eq=False)
class Page(Generic[T]):
    """One answered page: its records, the collection's ``count`` and where it sits in the collection.

    ``page_size`` is the size the server really used (it may cap the ``limit`` asked for). ``next_url``
    and ``previous_url`` are already rebased onto the client's own origin.
    """

    items: list[T]
    count: int | None
    offset: int
    page_size: int
    url: URL
    next_url: URL | None
    previous_url: URL | None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @property
    def has_next(self) -> bool:
        return self.next_url is not None

    @property
    def dead_end(self) -> bool:
        """Empty, yet linking a next page: a server whose ``count`` lies (following it could go on forever)."""
        return self.next_url is not None and not self.items

    @property
    def unlinked_early(self) -> bool:
        """No next link, although its own ``count`` says DRF would have linked one (see
        `contradicts_count`): a pagination class or a proxy that drops ``next``."""
        return contradicts_count(
            offset=self.offset,
            asked=query_int(self.url, "limit"),
            received=len(self.items),
            count=self.count,
            linked=self.has_next,
        )

    def short_of(self, expected: int) -> bool:
        """Fewer records than ``expected`` although more follow: rows the server skipped (re-read them)."""
        return self.next_url is not None and len(self.items) < expected

    def __repr__(self) -> str:
        return (
            f"<Page offset={self.offset} items={len(self.items)} count={self.count} "
            f"page_size={self.page_size} has_next={self.has_next}>"
        )


class PageFetcher(Protocol):
    """Fetches and decodes one page. The default reads the whole body; an app may plug in another (for
    example one that decodes large bodies incrementally) and keep every iteration and export mode."""

    async def __call__(
        self, transport: Transport, url: URL, model: Any, *, requested: int, timeout: Timeout | None
    ) -> Page[Any]: ...


def make_page(
    transport: Transport,
    url: URL,
    items: list[Any],
    count: int | None,
    next_link: str | None,
    previous_link: str | None,
    *,
    requested: int,
) -> Page[Any]:
    """A [Page][krill_async.Page] from decoded parts: rebases its links and learns the effective page size.

    A link that leaves the API raises [UnsafeURLError][krill_async.UnsafeURLError]; a ``next`` link that
    names another collection than the page's own (DRF's never does) raises
    [PaginationError][krill_async.PaginationError]: neither is followed.
    """
    offset = offset_of(url)
    next_url = page_link(next_link, root=transport.root, request_url=url, same_collection=True)
    previous_url = page_link(previous_link, root=transport.root, request_url=url)
    if count is not None and count < 0:
        count = None  # a negative count says nothing
    size = effective_page_size(requested=requested, offset=offset, next_url=next_url, received=len(items))
    return Page(items, count, offset, size, url, next_url, previous_url)


async def fetch_page(
    transport: Transport, url: URL, model: Any, *, requested: int, timeout: Timeout | None
) -> Page[Any]:
    """GET one page, read it whole and decode it; retried as a whole (a garbled body is retried too)."""

    shown = redact_url(url)

    async def once() -> Page[Any]:
        response = await transport.request("GET", url, timeout=timeout, retry=False)
        decoded = decode_page(response.content, model, url=shown, offset=offset_of(url))
        return make_page(transport, url, *decoded, requested=requested)

    return await transport.retrying("GET", once, timeout=timeout, url=shown)
