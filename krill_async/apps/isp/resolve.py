"""Reaching a CPE's action or related resource on this deployment's own path, with one informed retry.

The flow (the choices themselves are the pure functions of `.layout`):

1. try the record's own link, else the forced ``path_template``, else the template learnt on this client,
   else the vendor's form;
2. a guess answering 404 has done nothing: GET the CPE with ``attrs=id,_links`` (the smallest projection
   that still carries ``_links``), and retry once where its links (or, without links, the other known
   form) say; a 404 on that GET means the CPE does not exist: the first 404 is raised;
3. whatever answered with success teaches this client's `LayoutMemory`, and so does every
   CPE record it decodes (``get``, ``list``, ``create``...), so the next bare id goes straight there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from yarl import URL

from ..._pagination import Page, PageFetcher, fetch_page
from ..._resource import Resource
from ..._timeouts import Timeout
from ..._urls import quote_identifier
from ...errors import NotFound
from ...models import Cpe
from .layout import Attempt, Kind, LayoutMemory, cpe_url, first_attempt, informed_attempt, record_links
from .targets import CpeTarget, cpe_key

if TYPE_CHECKING:
    from ..._client import Krill
    from ..._transport import Transport

__all__ = ["CpeResolver"]

T = TypeVar("T")


def _moved(url: URL, guessed: URL, to: URL) -> URL:
    """``url`` (the guessed path plus list filters and paging) moved onto the corrected link ``to``: its
    own query (``type=cdr``) replaces the guess's, the caller's filters and paging are kept."""
    kept = [(k, v) for k, v in url.query.items() if k not in guessed.query]
    return to.with_query([*to.query.items(), *kept])


class CpeResolver(Resource[Cpe]):
    """``/api/v2/isp/cpes/`` that knows where this deployment serves each CPE's actions and links.

    ``path_template`` forces the form for bare ids (``"/api/v2/isp/cpes/{id}/{segment}"``; relative to
    ``/api/v2/`` unless it starts with ``/``): nothing is learnt and a 404 is final. ``None`` (the default)
    discovers it. ``layout`` is what this client has learnt so far.
    """

    path_template: str | None = None
    #: The projection of the informed GET: the smallest that still carries ``_links``.
    lookup_attrs: str = "id,_links"

    def __init__(self, client: Krill, path: str, model: type[Cpe], *, trailing_slash: bool = True) -> None:
        super().__init__(client, path, model, trailing_slash=trailing_slash)
        self.layout = LayoutMemory()

    # -- learning from every CPE record decoded on this client ---------------------------------------

    def learn(self, record: Cpe | Mapping[str, Any]) -> bool:
        """Learn the layout from a record's ``_links`` (for records decoded elsewhere: installer, v1...).
        True when something new was learnt."""
        return self.layout.learn(record)

    def _learning(self, fetcher: PageFetcher) -> PageFetcher:
        layout = self.layout

        async def fetch(
            transport: Transport, url: URL, model: Any, *, requested: int, timeout: Timeout | None
        ) -> Page[Any]:
            page: Page[Any] = await fetcher(transport, url, model, requested=requested, timeout=timeout)
            for item in page.items:
                if layout.complete:
                    break
                if isinstance(item, (Cpe, Mapping)):
                    layout.learn(item)
            return page

        return fetch

    def _page_fetcher(self) -> PageFetcher:
        return self._learning(super()._page_fetcher())

    def _seen(self, record: Any) -> Any:
        if isinstance(record, (Cpe, Mapping)):
            self.layout.learn(record)
        return record

    # -- reaching one CPE's action or link ----------------------------------------------------------

    def _first(self, target: CpeTarget, kind: Kind, name: str, segment: str) -> Attempt:
        if isinstance(target, Cpe):
            self.layout.learn(target)
        return first_attempt(target, kind, name, segment, forced=self.path_template, learnt=self.layout.template(kind))

    async def _reach(
        self, target: CpeTarget, kind: Kind, name: str, segment: str, send: Callable[[URL], Awaitable[T]]
    ) -> T:
        """``send`` once to the best-known URL; after a 404 on a guess, once more to the informed one."""
        attempt = self._first(target, kind, name, segment)
        ident = quote_identifier(cpe_key(target))
        root = self._client.root
        url = cpe_url(root, attempt)
        try:
            result = await send(url)
        except NotFound as miss:
            if not attempt.may_retry:
                raise
            retry = await self._inform(target, kind, name, segment, url, miss)
            result = await send(cpe_url(root, retry))
            self.layout.confirm(kind, retry, ident, segment)
            return result
        self.layout.confirm(kind, attempt, ident, segment)
        return result

    async def _inform(
        self, target: CpeTarget, kind: Kind, name: str, segment: str, tried: URL, miss: NotFound
    ) -> Attempt:
        """The informed retry after ``miss`` at ``tried``; raises ``miss`` when there is none (the CPE
        does not exist, or its own links name the path that just answered 404)."""
        key = cpe_key(target)
        try:
            fetched = await Resource.get(self, key, attrs=self.lookup_attrs, into=Cpe)
        except NotFound:
            raise miss from None
        if record_links(fetched, "actions") is not None or record_links(fetched, "links") is not None:
            self.layout.learn(fetched, replace=True)  # fetched because what we knew failed
        retry = informed_attempt(tried, fetched, kind, name, segment, quote_identifier(key), self._client.root)
        if retry is None:
            raise miss
        return retry

    def _discovering(self, target: CpeTarget, kind: Kind, name: str, segment: str) -> tuple[URL, PageFetcher]:
        """The first URL of a related list, and a page fetcher that corrects a guess answering 404 once
        (later pages and export slices of the guessed path go to the corrected one)."""
        attempt = self._first(target, kind, name, segment)
        ident = quote_identifier(cpe_key(target))
        root = self._client.root
        guessed = cpe_url(root, attempt)
        moved: list[URL] = []

        async def fetch(
            transport: Transport, url: URL, model: Any, *, requested: int, timeout: Timeout | None
        ) -> Page[Any]:
            on_guess = url.raw_path == guessed.raw_path
            if moved and on_guess:
                url = _moved(url, guessed, moved[0])
            try:
                page: Page[Any] = await fetch_page(transport, url, model, requested=requested, timeout=timeout)
            except NotFound as miss:
                if moved or not on_guess or not attempt.may_retry:
                    raise
                retry = await self._inform(target, kind, name, segment, guessed, miss)
                moved.append(cpe_url(root, retry))
                page = await fetch_page(
                    transport, _moved(url, guessed, moved[0]), model, requested=requested, timeout=timeout
                )
                self.layout.confirm(kind, retry, ident, segment)
                return page
            if on_guess and not moved:
                self.layout.confirm(kind, attempt, ident, segment)
            return page

        return guessed, fetch
