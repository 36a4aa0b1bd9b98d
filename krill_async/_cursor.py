"""Where an export's consumer stands in the current page: one list iterator, read by every protocol.

``async for`` hands records out of the page's list iterator from an async generator (no coroutine and no
Python frame per record); ``__anext__``, ``pages()`` and the resume point read the same iterator, so the
position is never kept twice. ``records_yielded`` is derived from it.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Iterator
from operator import length_hint
from typing import Generic, TypeVar

T = TypeVar("T")

__all__ = ["PageCursor"]


class PageCursor(Generic[T]):
    """The current page's records and the iterator over those not yet handed out."""

    def __init__(self) -> None:
        self._items: list[T] = []
        self._cursor: Iterator[T] = iter(self._items)
        self._yielded_before = 0  # records_yielded = this + the position in the current page
        self._iterators: list[AsyncGenerator[T, None]] = []  # closed on exit (asyncio would spawn a task)

    @property
    def records_yielded(self) -> int:
        """How many records were handed out so far."""
        return self._yielded_before + self._index

    @property
    def _index(self) -> int:
        """Where the consumer stands in the current page (records before it were handed out or skipped)."""
        return len(self._items) - length_hint(self._cursor)

    def _set_items(self, items: list[T], index: int) -> None:
        """Make ``items`` the current page, read from ``index`` on (the records before it not yielded)."""
        self._yielded_before = self.records_yielded - index
        self._items = items
        self._cursor = cursor = iter(items)
        if index:
            cursor.__setstate__(index)  # type: ignore[attr-defined]  # list iterators can be positioned

    def _count_skipped(self) -> None:
        """The record just read from the cursor is not handed out (a duplicate)."""
        self._yielded_before -= 1

    def _count_page(self, size: int) -> None:
        """The current page was handed out whole (as a page): its records count as yielded."""
        self._yielded_before += size

    def _track(self, iterator: AsyncGenerator[T, None]) -> AsyncGenerator[T, None]:
        self._iterators.append(iterator)
        return iterator

    async def _close_iterators(self) -> None:
        """Close the generators of loops left by ``break``: an unclosed one would make asyncio start a task
        to finalise it after the export has ended."""
        for iterator in self._iterators:
            with contextlib.suppress(RuntimeError):  # (one still running in another task)
                await iterator.aclose()
        self._iterators.clear()
