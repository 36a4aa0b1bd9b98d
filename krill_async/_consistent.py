"""The end of a consistent export: re-count, find the ids the paging skipped, fetch them one by one."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, TypeVar

from yarl import URL

from ._drift import DriftTracker, log_drift
from ._urls import quote_identifier
from .errors import NotFound

if TYPE_CHECKING:
    from ._export import Export

T = TypeVar("T")

__all__ = ["finish_consistent"]


async def finish_consistent(export: Export[T]) -> list[T]:
    """Re-count; with ``recover_missed``, find ids the paging skipped and fetch them one by one."""
    query = export.query
    assert export._seen is not None
    count_at_end = await query.count()
    recovered: list[T] = []
    if export.recover_missed:
        # Counts cannot prove nothing was skipped (an insert and a delete cancel out), so compare ids.
        from ._pagination import ListQuery

        ids_query: ListQuery[dict[str, Any]] = ListQuery(
            query._transport,
            query.url,
            params=[(k, v) for k, v in query.params if k != "attrs"] + [("attrs", export.key)],
            model=dict,
            page_size=max(export.page_size, 1000),
            timeout=query.timeout,
        )
        async with ids_query.export(concurrency=export.concurrency) as rows:
            missing = [
                row[export.key]
                async for row in rows
                if isinstance(row.get(export.key), (int, str)) and row[export.key] not in export._seen
            ]
        detail_params = [(k, v) for k, v in query.params if k in ("attrs", "joins")]
        for ident in missing:
            url = query.url.join(URL(quote_identifier(ident) + "/")).with_query(detail_params)
            try:
                response = await query._transport.request("GET", url, timeout=query.timeout)
            except NotFound:
                continue  # deleted in the meantime
            recovered.append(response.json(query.model))  # marked as seen when yielded
    tracker = export._tracker or DriftTracker(
        key=export.key, step=export._step, start=export._start, dedupe_neighbours=False
    )
    report = tracker.report(
        yielded=len(export._seen) + len(recovered),
        duplicates_skipped=export.duplicates_skipped,
        recovered=len(recovered),
    )
    export.drift = replace(report, count_at_start=export.count, count_at_end=count_at_end)
    log_drift(query.url, export.drift)
    return recovered
