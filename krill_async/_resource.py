"""Resources (one REST collection) and apps (one ``/api/v2/<app>/`` namespace), declared in a few lines."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

import msgspec
from yarl import URL

from ._pagination import Export, ListQuery, PageFetcher, fetch_page
from ._paging import record_limit, sizes
from ._resume import ResumePoint
from ._timeouts import TimeoutTypes, resolve_timeout
from ._urls import encode_params, join_api_path, quote_identifier, redact_url

if TYPE_CHECKING:
    from ._client import Krill

T = TypeVar("T")
M = TypeVar("M")
R = TypeVar("R", bound="Resource[Any]")

__all__ = ["App", "Resource", "declare"]

Fields = str | Sequence[str] | None


def _comma(value: Fields) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return ",".join(value)


def _payload(data: Any) -> Any:
    """A request body from a dict or a Struct (fields left at their default are not sent)."""
    if isinstance(data, msgspec.Struct):
        return msgspec.to_builtins(data)
    return data


class Resource(Generic[T]):
    """A DRF collection such as ``/api/v2/isp/cpes/``: list, get, create, update, patch, delete.

    Filters are keyword arguments sent as query parameters, Django lookups included (``id__gt=100``);
    names that are not Python identifiers go in ``params={"vars.type": "cpe"}``. ``attrs=`` and
    ``joins=`` take a list or a comma string; ``sort=`` a field, ``-field`` or a list.
    """

    def __init__(self, client: Krill, path: str, model: type[T], *, trailing_slash: bool = True) -> None:
        self._client = client
        # relative to /api/v2/ ("isp/cpes"), or from the deployment root when it starts with "/" ("/api/cpes")
        self.path = "/" + path.strip("/") if path.startswith("/") else path.strip("/")
        self.model = model
        self.trailing_slash = trailing_slash

    def __repr__(self) -> str:
        shown = self.path if self.path.startswith("/") else f"/api/v2/{self.path}"
        return f"<Resource {shown}/ model={getattr(self.model, '__name__', self.model)}>"

    # -- what a subclass may watch (the ISP app learns the CPE link layout from every record it sees) --

    def _page_fetcher(self) -> PageFetcher:
        """How this resource's list pages are fetched and decoded."""
        return fetch_page

    def _seen(self, record: Any) -> Any:
        """Every record this resource's ``get()`` and writes decode passes here; returned unchanged."""
        return record

    def _collection_url(self) -> URL:
        return join_api_path(self._client.root, self.path + ("/" if self.trailing_slash else ""))

    def _detail_url(self, id: int | str, *suffix: str) -> URL:
        segments = [self.path, quote_identifier(id), *suffix]
        path = "/".join(segments) + ("/" if self.trailing_slash else "")
        return join_api_path(self._client.root, path)

    @staticmethod
    def _query(
        *,
        attrs: Fields = None,
        joins: Fields = None,
        sort: Fields = None,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        filters: Mapping[str, Any] | None = None,
    ) -> list[tuple[str, str]]:
        pairs = encode_params({"attrs": _comma(attrs), "joins": _comma(joins), "sort": _comma(sort)})
        pairs += encode_params(filters)
        pairs += encode_params(params)
        return pairs

    @overload
    def list(
        self,
        *,
        attrs: Fields = ...,
        joins: Fields = ...,
        sort: Fields = ...,
        limit: int | None = ...,
        page_size: int | None = ...,
        offset: int = ...,
        params: Mapping[str, Any] | None = ...,
        timeout: TimeoutTypes = ...,
        into: None = ...,
        **filters: Any,
    ) -> ListQuery[T]: ...

    @overload
    def list(
        self,
        *,
        attrs: Fields = ...,
        joins: Fields = ...,
        sort: Fields = ...,
        limit: int | None = ...,
        page_size: int | None = ...,
        offset: int = ...,
        params: Mapping[str, Any] | None = ...,
        timeout: TimeoutTypes = ...,
        into: type[M],
        **filters: Any,
    ) -> ListQuery[M]: ...

    def list(
        self,
        *,
        attrs: Fields = None,
        joins: Fields = None,
        sort: Fields = None,
        limit: int | None = None,
        page_size: int | None = None,
        offset: int = 0,
        params: Mapping[str, Any] | None = None,
        timeout: TimeoutTypes = None,
        into: Any = None,
        **filters: Any,
    ) -> ListQuery[Any]:
        """A query over the collection; nothing is sent until it is iterated.

        ``limit=`` is the most records the query yields (the vendor's ``limit==3 offset==42`` sends one
        request and yields 3); ``page_size=`` is the size of each request. Every other keyword is a filter,
        ``model=`` included; ``into=dict`` gives plain dicts, ``into=bytes`` each record's raw JSON.
        """
        most = record_limit(limit)
        client = self._client
        return ListQuery(
            client.transport,
            self._collection_url(),
            params=self._query(attrs=attrs, joins=joins, sort=sort, params=params, filters=filters),
            model=self.model if into is None else into,
            page_size=sizes(page_size=page_size, limit=most, default=client.page_size),
            offset=int(offset),
            timeout=resolve_timeout(timeout, client.timeout) if timeout is not None else None,
            concurrency=client.concurrency,
            export_page_size=sizes(page_size=page_size, limit=most, default=client.export_page_size),
            limit=most,
            page_fetcher=self._page_fetcher(),
        )

    def export(
        self,
        *,
        concurrency: int | None = None,
        page_size: int | None = None,
        ordered: bool = True,
        resume: ResumePoint | None = None,
        consistent: bool = False,
        **list_options: Any,
    ) -> Export[T]:
        """Shortcut for ``list(**list_options).export(...)``: every record, pages fetched concurrently.

        ``consistent=True`` sorts by ``id`` (unless ``sort=`` is given), yields each id at most once and
        reports drift; ``resume=`` carries on from an earlier run's [`ResumePoint`][krill_async.ResumePoint].
        """
        if consistent:
            list_options.setdefault("sort", "id")
        query: ListQuery[T] = self.list(**list_options)
        return query.export(
            concurrency=concurrency, page_size=page_size, ordered=ordered, resume=resume, consistent=consistent
        )

    @overload
    async def get(
        self,
        id: int | str,
        *,
        attrs: Fields = ...,
        joins: Fields = ...,
        params: Mapping[str, Any] | None = ...,
        timeout: TimeoutTypes = ...,
        into: None = ...,
    ) -> T: ...

    @overload
    async def get(
        self,
        id: int | str,
        *,
        attrs: Fields = ...,
        joins: Fields = ...,
        params: Mapping[str, Any] | None = ...,
        timeout: TimeoutTypes = ...,
        into: type[M],
    ) -> M: ...

    async def get(
        self,
        id: int | str,
        *,
        attrs: Fields = None,
        joins: Fields = None,
        params: Mapping[str, Any] | None = None,
        timeout: TimeoutTypes = None,
        into: Any = None,
    ) -> Any:
        """One record by id (some deployments also accept ``internal_id`` or ``external_id``)."""
        transport = self._client.transport
        url = self._detail_url(id)
        query = self._query(attrs=attrs, joins=joins, params=params)
        limits = resolve_timeout(timeout, self._client.timeout)

        async def once() -> Any:
            response = await transport.request("GET", url, params=query, timeout=limits, retry=False)
            return self._seen(response.json(self.model if into is None else into))

        return await transport.retrying("GET", once, timeout=limits, url=redact_url(url))

    async def create(self, data: Any, *, timeout: TimeoutTypes = None) -> T:
        """POST a new record (a dict or a Struct) and return what the server stored."""
        return await self._write("POST", self._collection_url(), data, timeout)

    async def update(self, id: int | str, data: Any, *, timeout: TimeoutTypes = None) -> T:
        """PUT: replace the record (the server validates it as a whole)."""
        return await self._write("PUT", self._detail_url(id), data, timeout)

    async def patch(self, id: int | str, data: Any, *, timeout: TimeoutTypes = None) -> T:
        """PATCH: change only the fields given."""
        return await self._write("PATCH", self._detail_url(id), data, timeout)

    async def delete(self, id: int | str, *, timeout: TimeoutTypes = None) -> None:
        """DELETE the record. On a CPE this also unprovisions it and disconnects its TV service."""
        await self._client.transport.request(
            "DELETE", self._detail_url(id), timeout=resolve_timeout(timeout, self._client.timeout)
        )

    async def _write(self, method: str, url: URL, data: Any, timeout: TimeoutTypes) -> T:
        response = await self._client.transport.request(
            method, url, json=_payload(data), timeout=resolve_timeout(timeout, self._client.timeout)
        )
        result: T = self._seen(response.json(self.model))
        return result


class declare(Generic[R]):
    """Declares a resource on an [`App`][krill_async.App]: ``cpes = declare("cpes", Cpe)``.

    The resource object is created once per client, on first access.
    """

    def __init__(
        self,
        path: str,
        model: Any = dict,
        *,
        resource_class: type[R] = Resource,  # type: ignore[assignment]
        trailing_slash: bool = True,
    ) -> None:
        self.path = path
        self.model = model
        self.resource_class = resource_class
        self.trailing_slash = trailing_slash
        self.attribute = path

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = name

    @overload
    def __get__(self, app: None, owner: type) -> declare[R]: ...
    @overload
    def __get__(self, app: App, owner: type) -> R: ...
    def __get__(self, app: App | None, owner: type) -> declare[R] | R:
        if app is None:
            return self
        cache = app.__dict__.setdefault("_resources", {})
        resource = cache.get(self.attribute)
        if resource is None:
            resource = cache[self.attribute] = self.resource_class(
                app.client, f"{app.name}/{self.path}", self.model, trailing_slash=self.trailing_slash
            )
        return resource  # type: ignore[no-any-return]


class App:
    """One Krill app (``/api/v2/<name>/``). Subclasses declare typed resources; any other path is
    reachable with [`resource()`][krill_async.App.resource]."""

    name: str = ""

    def __init__(self, client: Krill, name: str | None = None) -> None:
        self.client = client
        if name is not None:
            self.name = name.strip("/")
        if not self.name:
            raise ValueError("an App needs a name, like 'isp' or 'pbx'")

    def __repr__(self) -> str:
        return f"<App /api/v2/{self.name}/>"

    @overload
    def resource(self, path: str, *, trailing_slash: bool = ...) -> Resource[dict[str, Any]]: ...
    @overload
    def resource(self, path: str, model: type[M], *, trailing_slash: bool = ...) -> Resource[M]: ...
    def resource(self, path: str, model: Any = None, *, trailing_slash: bool = True) -> Resource[Any]:
        """A generic resource at ``/api/v2/<app>/<path>/``, decoding into ``model`` (plain dicts by default)."""
        model = dict[str, Any] if model is None else model
        return Resource(self.client, f"{self.name}/{path.strip('/')}", model, trailing_slash=trailing_slash)
