"""``await krill_async.write(query, "cpes.parquet")``: an export to a file, with the command line's writers.

One call does what ``krill export -o FILE`` does: pages fetched concurrently (the query's own export),
records converted to rows, one stable schema for the whole file (Parquet's comes from the first batch),
complete records only if the run stops early, and a progress callback after every batch.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import IO, Any

import msgspec

from ._pagination import Export, ListQuery
from ._projection import Selection
from ._writers import Format, Writer, format_for, load_pyarrow, open_writer

__all__ = ["WriteReport", "write"]

#: What ``write`` accepts: a query (exported concurrently), an export (entered or not), or any records.
Source = ListQuery[Any] | Export[Any] | AsyncIterable[Any] | Iterable[Any]
#: ``progress(records_written, records_expected)``; ``records_expected`` comes from the server's count.
ProgressCallback = Callable[[int, int | None], None]


@dataclass
class WriteReport:
    """What ``write`` wrote: how many records, where, in which format; ``count`` is the collection's
    count when the server gave one, ``warnings`` the messages also passed to ``on_warning``."""

    records: int
    path: str
    format: Format
    count: int | None = None
    warnings: list[str] = field(default_factory=list)


def row_of(record: Any) -> bytes | Mapping[str, Any]:
    """A record as the writers take it: raw JSON bytes as they are, a typed record or a selection as its
    ``to_dict()`` (nulls kept, so columns stay stable), any other msgspec Struct as builtins."""
    if isinstance(record, (bytes, Mapping)):
        return record
    to_dict = getattr(record, "to_dict", None)
    if callable(to_dict):
        data = to_dict()
        if isinstance(data, Mapping):
            return data
    if isinstance(record, msgspec.Struct):
        built = msgspec.to_builtins(record)
        if isinstance(built, Mapping):
            return built
    raise TypeError(f"cannot write a {type(record).__name__}: give records, dicts or raw JSON bytes")


def _columns_of(source: Any) -> list[str] | None:
    """A selection's names fix the columns up front (Parquet and CSV then need no first record)."""
    query = source.query if isinstance(source, Export) else source
    model = getattr(query, "model", None) if isinstance(query, ListQuery) else None
    if isinstance(model, type) and issubclass(model, Selection):
        return list(model.__selection__)
    return None


@asynccontextmanager
async def _records(source: Source) -> AsyncIterator[tuple[AsyncIterator[Any], Callable[[], int | None]]]:
    """The records of ``source`` and a way to read the server's count once known."""
    if isinstance(source, ListQuery):
        source = source.export()
    if isinstance(source, Export):
        if source.entered:  # already inside the caller's ``async with``: just read it
            yield source.__aiter__(), lambda: source.count
            return
        async with source as export:
            yield export.__aiter__(), lambda: export.count
        return
    if isinstance(source, AsyncIterable):
        yield source.__aiter__(), lambda: None
        return

    async def from_sync(items: Iterable[Any]) -> AsyncIterator[Any]:
        for item in items:
            yield item

    yield from_sync(source), lambda: None


async def write(
    source: Source,
    path: str | os.PathLike[str] | IO[bytes],
    *,
    format: Format | None = None,
    columns: Sequence[str] | None = None,
    batch: int = 10_000,
    progress: ProgressCallback | None = None,
    on_warning: Callable[[str], None] | None = None,
) -> WriteReport:
    """Write every record of ``source`` to ``path`` as NDJSON, JSON, CSV or Parquet; returns a report.

    ``source`` is a query (``krill.isp.cpes.list(...)``, ``krill.monitoring.search(...).select(...)``:
    exported with its concurrent export), an [`Export`][krill_async.Export] (entered or not, to choose
    ``concurrency=`` or ``page_size=``), or any (async) iterable of records, dicts or raw JSON bytes.
    The format comes from ``format`` or the file's suffix (``.ndjson .jsonl .json .csv .parquet .pq``);
    another suffix raises ``ValueError`` rather than writing NDJSON under a misleading name. Parquet needs
    the ``[parquet]`` extra (``ImportError`` naming it otherwise).

    Columns (CSV, Parquet) are ``columns``, else a selection's names, else the first record's keys; typed
    records keep the server's nulls in ``to_dict()``, so every record of a query has the same keys and the
    Parquet schema, fixed by the first ``batch`` records, fits the whole file. ``progress`` is called after
    every ``batch`` records and at the end; ``on_warning`` gets dropped keys and values that did not fit a
    column (default: ``warnings.warn``). A file ``path`` is created (or truncated) and closed; a stream is
    left open. Writing is synchronous: a batch blocks the event loop for as long as the disk takes.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    name = path if isinstance(path, str) else os.fspath(path) if isinstance(path, os.PathLike) else None
    if name == "-":
        raise ValueError("'-' is a file name here: to write to stdout, pass sys.stdout.buffer (and format=)")
    fmt = format_for(name if name is not None else "-", format)
    if fmt == "parquet":
        load_pyarrow()  # before anything is fetched
    messages: list[str] = []

    def warn(text: str) -> None:
        messages.append(text)
        if on_warning is not None:
            on_warning(text)
        else:
            warnings.warn(text, stacklevel=3)

    # the writers are synchronous (see above), so opening the file the same way changes nothing
    stream: IO[bytes] = open(name, "wb") if name is not None else path  # type: ignore[assignment]  # noqa: SIM115, ASYNC230
    wanted = list(columns) if columns is not None else _columns_of(source)
    writer: Writer | None = None
    count: int | None = None
    try:
        writer = open_writer(fmt, stream, wanted, warn=warn, batch=batch)
        async with _records(source) as (records, server_count):
            async for record in records:
                writer.write(row_of(record))
                if progress is not None and writer.records % batch == 0:
                    progress(writer.records, server_count())
            count = server_count()
    finally:
        try:
            if writer is not None:
                writer.close()
        finally:
            if name is not None:
                stream.close()
    if progress is not None and (writer.records % batch or not writer.records):  # the last call: the total
        progress(writer.records, count)
    shown = name if name is not None else getattr(path, "name", "<stream>")
    return WriteReport(writer.records, str(shown), fmt, count, messages)
