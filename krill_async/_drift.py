"""What an export saw of the collection changing under it: a pure bookkeeper, no I/O.

Offset paging is not a snapshot: rows inserted before the current offset make later rows shift forward
and be read twice; rows deleted make some be skipped. A server may also answer short pages or lie in
``count``. Every export reports what it saw (``export.drift``), cheaply: counts from the pages it read
anyway, short pages it re-read, and duplicates between neighbouring pages (where shifted rows show up).
Only ``consistent=True`` makes the result exact; the report says when that would have mattered.
"""

from __future__ import annotations

import logging
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from yarl import URL

from ._urls import redact_url

__all__ = ["DriftReport", "DriftTracker", "key_of", "log_drift"]

log = logging.getLogger("krill_async")


def key_of(record: Any, key: str) -> Any:
    """The record's ``key`` field (dicts and Structs alike), or None."""
    if isinstance(record, dict):
        return record.get(key)
    return getattr(record, key, None)


def _page_keys(items: Iterable[Any], key: str) -> frozenset[Any]:
    """The non-None keys of a page's records, in one C-level pass when the page holds one record type."""
    items = items if isinstance(items, list) else list(items)
    if not items:
        return frozenset()
    first = items[0]
    if not isinstance(first, dict):
        kind = type(first)
        if not hasattr(kind, key) and not hasattr(first, "__dict__") and set(map(type, items)) == {kind}:
            return frozenset()  # records without that field (a projection, raw bytes): no keys to compare
        # a sealed record's slot reader (C) rather than its property (a Python call per record)
        readers = kind.__dict__.get("__raw_readers__")
        read = readers.get(key) if isinstance(readers, dict) else None
        try:
            found = set(map(read or operator.attrgetter(key), items))
        except (AttributeError, TypeError):
            pass  # mixed records: the general path below
        else:
            found.discard(None)
            found.discard(msgspec.UNSET)
            return frozenset(found)
    return frozenset(k for k in (key_of(item, key) for item in items) if k is not None)


@dataclass(frozen=True)
class DriftReport:
    """How the collection (or the server) drifted during an export.

    ``count_at_start`` comes from the first page; ``count_at_end`` from the last page read (or, for a
    consistent export, from a request made after the last page). ``yielded`` counts the records handed
    out. ``duplicates_skipped`` (consistent exports) counts records seen twice and not yielded again;
    ``duplicates_seen`` (other exports) counts records met on two neighbouring pages, yielded twice.
    ``recovered`` counts records the paging skipped, fetched one by one afterwards (consistent exports).
    ``short_pages`` counts pages the server answered short although more followed; ``reread`` how many
    records re-reading their gap brought back, ``unread`` how many it could not. ``ended_early_at`` is the
    offset of an empty page met before ``count`` was reached: the export ended there. ``unlinked_at`` is
    where the last page ended when it linked no next page although its own ``count`` said DRF would have
    linked one (a pagination class or a proxy that drops ``next``): the export ended there too, following
    the links as Django REST Framework's contract says.
    """

    count_at_start: int | None
    count_at_end: int | None
    yielded: int
    duplicates_skipped: int = 0
    recovered: int = 0
    duplicates_seen: int = 0
    short_pages: int = 0
    reread: int = 0
    unread: int = 0
    ended_early_at: int | None = None
    unlinked_at: int | None = None
    consistent: bool = False

    @property
    def changed(self) -> bool:
        """Whether anything drifted: the result may hold duplicates or miss rows (unless consistent)."""
        return (
            self.count_at_start != self.count_at_end
            or self.duplicates_skipped > 0
            or self.recovered > 0
            or self.duplicates_seen > 0
            or self.short_pages > 0
            or self.ended_early_at is not None
            or self.unlinked_at is not None
        )

    def summary(self) -> str:
        """One line for logs: what drifted, and how to get an exact result."""
        parts = [f"count {self.count_at_start} at start, {self.count_at_end} at end", f"{self.yielded} yielded"]
        if self.duplicates_seen:
            parts.append(f"{self.duplicates_seen} yielded twice (seen on neighbouring pages)")
        if self.duplicates_skipped:
            parts.append(f"{self.duplicates_skipped} duplicates skipped")
        if self.recovered:
            parts.append(f"{self.recovered} recovered")
        if self.short_pages:
            parts.append(f"{self.short_pages} short pages ({self.reread} re-read, {self.unread} unread)")
        if self.ended_early_at is not None:
            parts.append(f"ended at an empty page at offset {self.ended_early_at}, before the count")
        if self.unlinked_at is not None:
            parts.append(
                f"the page ending at offset {self.unlinked_at} linked no next page although its own count said "
                "more follow: the paging ended there"
            )
        text = "; ".join(parts)
        if self.ended_early_at is not None or self.unlinked_at is not None:
            text += ". The server's paging contradicts its own count: report it to the deployment's operators"
        drifted = self.count_at_start != self.count_at_end or self.duplicates_seen or self.short_pages
        if self.consistent or not drifted:
            return text
        return text + ". For an exact result, export with consistent=True."


class DriftTracker:
    """Collects the evidence while pages are delivered (in any order)."""

    def __init__(self, *, key: str, step: int, start: int, dedupe_neighbours: bool) -> None:
        self.key = key
        self.step = step
        self.start = start
        self.count_at_start: int | None = None
        self.count_at_end: int | None = None
        self._last_offset = -1
        self._dedupe = dedupe_neighbours
        self._keys: dict[int, frozenset[Any]] = {}
        self._delivered: set[int] = set()
        self.duplicates_seen = 0
        self.short_pages = 0
        self.reread = 0
        self.unread = 0
        self.ended_early_at: int | None = None
        # where the last page (the highest offset) ended, if it linked no next page where DRF would have
        self._last_unlinked_at: int | None = None

    def page(self, offset: int, items: Sequence[Any], count: int | None, *, unlinked: bool = False) -> None:
        """A page was delivered: note its count, whether it was ``unlinked`` (no next link where DRF would
        have given one: `Page.unlinked_early`), and its duplicates with the neighbouring pages."""
        if self.count_at_start is None:
            self.count_at_start = count
        if offset >= self._last_offset:
            self._last_offset, self.count_at_end = offset, count
            self._last_unlinked_at = offset + len(items) if unlinked else None
        if not self._dedupe:
            return
        keys = _page_keys(items, self.key)
        for neighbour in (offset - self.step, offset + self.step):
            other = self._keys.get(neighbour)
            if other is not None:
                self.duplicates_seen += len(keys & other)
        self._keys[offset] = keys
        self._delivered.add(offset)
        for done in (offset - self.step, offset, offset + self.step):  # forget pages whose neighbours came
            if done in self._keys and self._settled(done):
                del self._keys[done]

    def _settled(self, offset: int) -> bool:
        before = offset - self.step < self.start or (offset - self.step) in self._delivered
        return before and (offset + self.step) in self._delivered

    def short(self, *, reread: int, unread: int) -> None:
        self.short_pages += 1
        self.reread += reread
        self.unread += unread

    def ended(self, offset: int) -> None:
        if self.ended_early_at is None:
            self.ended_early_at = offset

    def report(self, *, yielded: int, duplicates_skipped: int = 0, recovered: int = 0) -> DriftReport:
        return DriftReport(
            count_at_start=self.count_at_start,
            count_at_end=self.count_at_end,
            yielded=yielded,
            duplicates_skipped=duplicates_skipped,
            recovered=recovered,
            duplicates_seen=self.duplicates_seen,
            short_pages=self.short_pages,
            reread=self.reread,
            unread=self.unread,
            ended_early_at=self.ended_early_at,
            unlinked_at=self._last_unlinked_at if self.ended_early_at is None else None,
            consistent=not self._dedupe,
        )


def log_drift(url: URL, drift: DriftReport) -> None:
    """Log what an export saw drift, if anything did (every export does, consistent or not)."""
    if drift.changed:
        log.warning("export of %s drifted: %s", redact_url(url), drift.summary())
