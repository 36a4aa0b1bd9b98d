"""The library's writers (``krill_async._writers``) as the command line uses them: a format that cannot be
told, or a missing pyarrow, is a usage error (exit 2) naming the way out."""

from __future__ import annotations

from typing import Any

from .._writers import (
    FORMATS,
    SUFFIXES,
    CsvWriter,
    Format,
    JsonArrayWriter,
    MissingExtra,
    NdjsonWriter,
    NullWriter,
    ParquetWriter,
    Record,
    UnknownFormat,
    Writer,
    coerce,
    column_kinds,
    csv_cell,
    json_line,
    open_writer,
)
from .._writers import format_for as _format_for
from .._writers import load_pyarrow as _load_pyarrow
from ._items import UsageProblem

__all__ = [
    "FORMATS",
    "SUFFIXES",
    "CsvWriter",
    "Format",
    "JsonArrayWriter",
    "NdjsonWriter",
    "NullWriter",
    "ParquetWriter",
    "Record",
    "Writer",
    "coerce",
    "column_kinds",
    "csv_cell",
    "format_for",
    "json_line",
    "load_pyarrow",
    "open_writer",
]


def format_for(output: str | None, explicit: str | None) -> Format:
    """The output format of ``-o FILE`` and ``--format`` (see the library's ``format_for``)."""
    try:
        return _format_for(output, explicit)
    except UnknownFormat as exc:
        raise UsageProblem(str(exc).replace("choose the format", "give --format")) from None


def load_pyarrow() -> tuple[Any, Any]:
    """pyarrow, or a usage error naming the extra to install."""
    try:
        return _load_pyarrow()
    except MissingExtra as exc:
        raise UsageProblem(str(exc)) from None
