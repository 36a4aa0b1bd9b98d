"""Output writers: NDJSON, JSON, CSV and Parquet, each writing whole records only.

Shared by the ``krill`` command line and [`krill_async.write`][krill_async.write]; no click here, and
pyarrow is imported only when Parquet is asked for (extra ``[parquet]``).

Every record goes out in one ``write`` call, so an interrupted or failed run leaves complete records (no
half CSV line, every NDJSON line valid); ``close`` finishes the format (``]`` of a JSON array, the Parquet
footer). Records come as raw JSON bytes (passed through untouched: a server's exact numbers and padded
ids survive) or as dicts (selected fields, CSV and Parquet rows).
"""

from __future__ import annotations

import csv
import importlib
import math
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any, Literal, Protocol

import msgspec

__all__ = [
    "FORMATS",
    "CsvWriter",
    "Format",
    "JsonArrayWriter",
    "MissingExtra",
    "NdjsonWriter",
    "NullWriter",
    "ParquetWriter",
    "UnknownFormat",
    "Writer",
    "coerce",
    "column_kinds",
    "csv_cell",
    "format_for",
    "json_line",
    "open_writer",
]

Format = Literal["ndjson", "json", "csv", "parquet"]
FORMATS: tuple[Format, ...] = ("ndjson", "json", "csv", "parquet")
Record = bytes | Mapping[str, Any]
Warn = Callable[[str], None]

_SUFFIXES: dict[str, Format] = {
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_ENCODER = msgspec.json.Encoder()
SUFFIXES: tuple[str, ...] = tuple(_SUFFIXES)


class UnknownFormat(ValueError):
    """The output format cannot be told (an unknown name, or a file name without a known suffix)."""


class MissingExtra(ImportError):
    """An optional dependency is not installed; the message names the pip extra that brings it."""


def format_for(output: str | None, explicit: str | None) -> Format:
    """The output format: ``explicit`` when given, else from the file's suffix; NDJSON for stdout.

    A file name with any other suffix (``cpes.xlsx``, ``cpes.tsv``, ``cpes``) is refused rather than
    silently written as NDJSON under a name that promises something else.
    """
    if explicit:
        if explicit not in FORMATS:
            raise UnknownFormat(f"unknown format {explicit!r}; choose one of {', '.join(FORMATS)}")
        return explicit
    if output is None or output == "-":
        return "ndjson"
    for suffix, fmt in _SUFFIXES.items():
        if output.lower().endswith(suffix):
            return fmt
    raise UnknownFormat(
        f"cannot tell the format of {output!r} from its name: use one of {' '.join(SUFFIXES)}, "
        f"or choose the format ({', '.join(FORMATS)})"
    )


def json_line(record: Record) -> bytes:
    """One record as compact single-line JSON (a pretty-printed raw record is compacted)."""
    if isinstance(record, bytes):
        if b"\n" in record or b"\r" in record:  # JSON strings cannot hold raw newlines: it is layout
            return msgspec.json.format(record, indent=-1)
        return record
    return _ENCODER.encode(record)


def csv_cell(value: Any) -> str:
    """A CSV cell: empty for null, ``true``/``false``, numbers as JSON writes them, objects as JSON text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return _ENCODER.encode(value).decode()


class Writer(Protocol):
    """What every output format offers."""

    records: int

    def write(self, record: Record) -> None: ...
    def close(self) -> None: ...


class _Base:
    def __init__(self, stream: IO[bytes], *, flush_each: bool = False) -> None:
        self.stream = stream
        self.flush_each = flush_each  # a terminal shows each record as it comes
        self.records = 0

    def _emit(self, data: bytes) -> None:
        self.stream.write(data)
        self.records += 1
        if self.flush_each:
            self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


class NdjsonWriter(_Base):
    """One JSON record per line: what ``jq``, ``head`` and most tools stream best."""

    def write(self, record: Record) -> None:
        self._emit(json_line(record) + b"\n")


class JsonArrayWriter(_Base):
    """A JSON array, one record per line; closed with ``]`` even when the run stops early."""

    def write(self, record: Record) -> None:
        self._emit((b"[\n" if not self.records else b",\n") + json_line(record))

    def close(self) -> None:
        self.stream.write(b"[]\n" if not self.records else b"\n]\n")
        super().close()


def _row(record: Record) -> Mapping[str, Any]:
    if isinstance(record, bytes):
        value = msgspec.json.decode(record)
        if not isinstance(value, dict):
            raise TypeError("a CSV or Parquet row must be a JSON object")
        return value
    return record


class _Columns:
    """Columns fixed by ``--fields``, else by the first record's keys; keys seen later are reported."""

    def __init__(self, columns: Sequence[str] | None, warn: Warn) -> None:
        self.columns: list[str] | None = list(columns) if columns is not None else None
        self.dropped: dict[str, None] = {}
        self.warn = warn

    def fix(self, row: Mapping[str, Any]) -> list[str]:
        if self.columns is None:
            self.columns = list(row)
        elif len(row) != len(self.columns) or any(key not in row for key in self.columns):
            for key in row:
                if key not in self.columns and key not in self.dropped:
                    self.dropped[key] = None
        return self.columns

    def report(self) -> None:
        if self.dropped:
            names = ", ".join(list(self.dropped)[:10]) + (" ..." if len(self.dropped) > 10 else "")
            self.warn(
                f"{len(self.dropped)} keys appeared after the first record and are not in the columns ({names}); "
                "choose the columns with --fields"
            )


class _Utf8:
    """The text side of a binary stream, for the csv module (which writes one whole row per call)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(text.encode("utf-8"))


class CsvWriter(_Base):
    """RFC 4180 CSV with a header row; nested values are written as JSON text."""

    def __init__(
        self, stream: IO[bytes], columns: Sequence[str] | None, *, warn: Warn, flush_each: bool = False
    ) -> None:
        super().__init__(stream, flush_each=flush_each)
        self._columns = _Columns(columns, warn)
        self._text = _Utf8(stream)
        self._csv = csv.writer(self._text, lineterminator="\r\n")
        self._header = False
        if columns is not None:
            self._write_header(list(columns))

    def _write_header(self, columns: list[str]) -> None:
        self._csv.writerow(columns)
        self._header = True

    def write(self, record: Record) -> None:
        row = _row(record)
        columns = self._columns.fix(row)
        if not self._header:
            self._write_header(columns)
        self._csv.writerow([csv_cell(row.get(name)) for name in columns])
        self.records += 1
        if self.flush_each:
            self.stream.flush()

    def close(self) -> None:
        self._columns.report()
        super().close()


# -- Parquet ------------------------------------------------------------------------------------------

Kind = Literal["bool", "int", "float", "string", "json"]
_INT64 = (-(2**63), 2**63 - 1)


def _kind_of(value: Any) -> Kind:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int" if _INT64[0] <= value <= _INT64[1] else "string"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "json"


def column_kinds(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> dict[str, Kind]:
    """Each column's Parquet type from sample rows: ints and floats together are floats; any other mix,
    or a column that is always null, is text (JSON text for objects and arrays)."""
    kinds: dict[str, Kind] = {}
    for name in columns:
        seen = {_kind_of(row.get(name)) for row in rows if row.get(name) is not None}
        if seen == {"int", "float"}:
            kinds[name] = "float"
        elif len(seen) == 1:
            kinds[name] = seen.pop()
        else:
            kinds[name] = "string"
    return kinds


def coerce(value: Any, kind: Kind) -> tuple[Any, bool]:
    """``(value fitted to the column, True)``, or ``(None, False)`` when it cannot be without loss."""
    if value is None:
        return None, True
    if kind == "string":
        return (value if isinstance(value, str) else csv_cell(value)), True
    if kind == "json":
        return csv_cell(value), True
    if kind == "bool":
        return (value, True) if isinstance(value, bool) else (None, False)
    if isinstance(value, bool):
        return None, False
    if kind == "float":
        return (float(value), True) if isinstance(value, (int, float)) else (None, False)
    if isinstance(value, int) and _INT64[0] <= value <= _INT64[1]:
        return value, True
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value), True
    return None, False


def load_pyarrow() -> tuple[Any, Any]:
    """``(pyarrow, pyarrow.parquet)``, or [`MissingExtra`][krill_async.MissingExtra] naming the extra."""
    try:
        pa = importlib.import_module("pyarrow")
        pq = importlib.import_module("pyarrow.parquet")
    except ImportError:
        raise MissingExtra(
            "Parquet output needs pyarrow: pip install 'krill-async[parquet]' "
            "(from a clone: pip install -e '.[parquet]')"
        ) from None
    return pa, pq


class ParquetWriter:
    """Parquet in row groups of ``batch`` records; the schema comes from the first batch (see
    ``column_kinds``) and stays for the whole file (pyarrow refuses a second schema in one file). A later
    value that does not fit its column is written as null and reported."""

    def __init__(self, stream: IO[bytes], columns: Sequence[str] | None, *, warn: Warn, batch: int = 10_000) -> None:
        self._pa, self._pq = load_pyarrow()
        self.stream = stream
        self.records = 0
        self._columns = _Columns(columns, warn)
        self._warn = warn
        self._batch = batch
        self._rows: list[Mapping[str, Any]] = []
        self._kinds: dict[str, Kind] | None = None
        self._schema: Any = None
        self._writer: Any = None
        self._misfits: dict[str, int] = {}

    def write(self, record: Record) -> None:
        row = _row(record)
        self._columns.fix(row)
        self._rows.append(row)
        self.records += 1
        if len(self._rows) >= self._batch:
            self._flush()

    def _flush(self) -> None:
        pa = self._pa
        columns = self._columns.columns or []
        if self._kinds is None:
            self._kinds = column_kinds(self._rows, columns)
            types = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "string": pa.string()}
            self._schema = pa.schema([(name, types.get(self._kinds[name], pa.string())) for name in columns])
            self._writer = self._pq.ParquetWriter(self.stream, self._schema)
        data: dict[str, list[Any]] = {}
        for name in columns:
            kind = self._kinds[name]
            values: list[Any] = []
            for row in self._rows:
                value, fits = coerce(row.get(name), kind)
                if not fits:
                    self._misfits[name] = self._misfits.get(name, 0) + 1
                values.append(value)
            data[name] = values
        self._writer.write_table(pa.Table.from_pydict(data, schema=self._schema))
        self._rows = []

    def close(self) -> None:
        if self._rows or self._writer is None:
            self._flush()
        self._writer.close()
        self.stream.flush()
        self._columns.report()
        if self._misfits:
            detail = ", ".join(f"{name} ({count})" for name, count in self._misfits.items())
            self._warn(
                f"values that did not fit their Parquet column type were written as null: {detail}; "
                "the column types come from the first rows (use NDJSON or CSV to keep every value)"
            )


def open_writer(
    fmt: Format,
    stream: IO[bytes],
    columns: Sequence[str] | None,
    *,
    warn: Warn,
    flush_each: bool = False,
    batch: int = 10_000,
) -> Writer:
    """A writer of ``fmt`` on ``stream`` (``columns`` are the selected names, if any; ``batch`` is the
    Parquet row-group size)."""
    if fmt == "ndjson":
        return NdjsonWriter(stream, flush_each=flush_each)
    if fmt == "json":
        return JsonArrayWriter(stream, flush_each=flush_each)
    if fmt == "csv":
        return CsvWriter(stream, columns, warn=warn, flush_each=flush_each)
    return ParquetWriter(stream, columns, warn=warn, batch=batch)


class NullWriter:
    """Counts records and keeps none (``krill demo`` measures the client, not the disk)."""

    def __init__(self) -> None:
        self.records = 0

    def write(self, record: Record) -> None:
        self.records += 1

    def close(self) -> None:
        pass
