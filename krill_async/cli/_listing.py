"""``krill list``, ``search``, ``export`` and ``get``: a query, its records, a writer and the progress line."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec

from .._client import Krill
from .._pagination import ListQuery
from .._projection import projection
from .._urls import join_api_path, redact_url
from ..errors import DecodeError
from ._fields import FieldSpec
from ._items import Target, is_monitoring_search
from ._progress import Progress
from ._writers import Writer

__all__ = ["Listing", "build_query", "expected_records", "fetch_one", "run_listing"]


@dataclass(frozen=True)
class Listing:
    """One listing as the command line asked for it."""

    target: Target
    params: list[tuple[str, str]]
    limit: int | None = None
    offset: int = 0
    fields: FieldSpec | None = None
    raw: bool = True  # records as the server's JSON bytes (NDJSON/JSON without --fields)
    page_size: int | None = None
    ordered: bool = True


def expected_records(count: int | None, *, offset: int, limit: int | None) -> int | None:
    """How many records the listing will give, from the collection's ``count`` (for the ETA)."""
    if count is None:
        return None
    remaining = max(0, count - offset)
    return remaining if limit is None else min(remaining, limit)


def build_query(krill: Krill, listing: Listing) -> ListQuery[Any]:
    """The library query: monitoring search (incremental decoding, ``select`` for fields) or any path."""
    size = listing.page_size or krill.export_page_size
    if listing.limit is not None:
        size = min(size, listing.limit)
    model: Any = bytes if listing.raw and listing.fields is None else dict
    fields = listing.fields
    if is_monitoring_search(listing.target):
        search = krill.monitoring.search(params=listing.params, page_size=size, offset=listing.offset, into=model)
        return search.select(**fields.selection()) if fields is not None else search
    if fields is not None:
        model = projection(**fields.selection())
    return ListQuery(
        krill.transport,
        join_api_path(krill.root, listing.target.path),
        params=listing.params,
        model=model,
        page_size=size,
        offset=listing.offset,
        concurrency=krill.concurrency,
        export_page_size=size,
    )


async def run_listing(
    krill: Krill, listing: Listing, writer: Writer, progress: Progress, *, concurrency: int | None = None
) -> int | None:
    """Write every record of ``listing``; returns the collection's ``count`` (None if the server gave none).

    With ``limit==N`` and N no larger than a page, one request does it; otherwise pages are fetched
    concurrently and the export is left (cancelling what is in flight) once N records are written.
    """
    try:
        return await _write_records(krill, listing, writer, progress, concurrency=concurrency)
    except DecodeError as exc:
        if writer.records or exc.malformed:
            raise
        # JSON, but not a page: the resource is one object (a record, a summary), not a collection
        raise DecodeError(
            f"{exc.url} did not answer with a list of records (no results array): krill get shows its answer",
            url=exc.url,
            offset=exc.offset,
            body_excerpt=exc.body_excerpt,
        ) from exc


async def _write_records(
    krill: Krill, listing: Listing, writer: Writer, progress: Progress, *, concurrency: int | None
) -> int | None:
    query = build_query(krill, listing)
    fields = listing.fields
    convert: Callable[[Any], Any] = fields.row if fields is not None else _same
    limit = listing.limit
    if limit is not None and limit <= query.page_size:
        page = await query.first_page()
        progress.set_total(expected_records(page.count, offset=listing.offset, limit=limit))
        for item in page.items[:limit]:
            writer.write(convert(item))
            progress.advance()
        return page.count
    async with query.export(concurrency=concurrency, ordered=listing.ordered) as records:
        async for item in records:
            if progress.total is None:
                progress.set_total(expected_records(records.count, offset=listing.offset, limit=limit))
            writer.write(convert(item))
            progress.advance()
            if limit is not None and writer.records >= limit:
                break
        count = records.count
    return count


def _same(item: Any) -> Any:
    return item


async def fetch_one(
    krill: Krill, target: Target, params: list[tuple[str, str]], fields: FieldSpec | None, *, pretty: bool
) -> bytes:
    """One GET, the answer as received (pretty-printed for a terminal), or just the selected fields."""
    url = join_api_path(krill.root, target.path)
    response = await krill.transport.request("GET", url, params=params, timeout=krill.timeout)
    body = response.content
    if fields is not None:
        try:
            data = msgspec.json.decode(body)
        except msgspec.DecodeError:
            shown = redact_url(response.url)
            raise DecodeError(
                f"the answer of {shown} is not JSON, so --fields cannot apply; run without --fields to see it",
                url=shown,
                body_excerpt=body[:200],
                malformed=True,
            ) from None
        body = msgspec.json.encode(fields.extract(data))
    if pretty:
        with contextlib.suppress(msgspec.DecodeError):  # not JSON: shown as received
            body = msgspec.json.format(body, indent=2)
    return body if body.endswith(b"\n") else body + b"\n"
