"""``krill action``: one CPE action over many CPEs, with a line per CPE as soon as its answer arrives.

The library's ``bulk()`` returns its report at the end; an operator rebooting thousands of CPEs needs each
outcome written as it comes, and on Ctrl-C to know exactly which CPEs were sent. So the CLI runs the same
plan (`plan_bulk()`: each distinct CPE at most once) with its own workers: the first
Ctrl-C starts nothing new and waits for the answers in flight, a second one abandons them (listed).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

import anyio

from .._actions import ActionResult, CpeTarget, cpe_key
from .._client import Krill
from ..errors import APIStatusError, KrillError
from ._errors import describe
from ._progress import Progress
from ._runtime import Interrupt
from ._writers import Record, Writer

__all__ = ["BulkSummary", "TextReport", "confirmation_text", "outcome_row", "read_ids", "run_actions"]


_HEADERS = frozenset({"id", "cpe"})


def read_ids(lines: Iterable[str]) -> list[str]:
    """CPE ids from a file: the first field of each line (comma, tab or space separated); blank lines,
    ``#`` comments and a first line reading ``id`` or ``cpe`` (a CSV header of ``krill`` itself) are
    skipped, so a CSV export with the id first works as is."""
    ids: list[str] = []
    for line in lines:
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        first = text.replace(",", " ").replace("\t", " ").split()[0].strip('"')
        if not ids and first.lower() in _HEADERS:
            continue
        if first:
            ids.append(first)
    return ids


def confirmation_text(action: str, keys: Sequence[int | str]) -> str:
    """The question asked before acting: what, on how many CPEs, and the first ids."""
    shown = ", ".join(str(k) for k in keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
    noun = "CPE" if len(keys) == 1 else "CPEs"
    return f"{action} {len(keys)} {noun} ({shown})?"


def outcome_row(
    cpe: int | str, action: str, *, result: ActionResult | None = None, error: BaseException | None = None
) -> dict[str, Any]:
    """One report line: the CPE, whether Krill acknowledged the action, the HTTP status, the message."""
    if result is not None:
        return {"cpe": cpe, "action": action, "ok": True, "status": result.status, "message": str(result)}
    status = error.status if isinstance(error, APIStatusError) else None
    detail = error.detail if isinstance(error, APIStatusError) and error.detail else None
    return {
        "cpe": cpe,
        "action": action,
        "ok": False,
        "status": status,
        "message": detail or (describe(error) if error is not None else "failed"),
    }


class TextReport:
    """``350<TAB>ok<TAB>202<TAB>message``: readable, and easy for ``cut``/``awk``."""

    def __init__(self, stream: IO[bytes], *, flush_each: bool = False) -> None:
        self.stream = stream
        self.flush_each = flush_each
        self.records = 0

    def write(self, record: Record) -> None:
        row = record if not isinstance(record, bytes) else {}
        state = "ok" if row.get("ok") else "FAILED"
        status = row.get("status")
        message = " ".join(str(row.get("message") or "").split())
        line = f"{row.get('cpe')}\t{state}\t{status if status is not None else '-'}\t{message}\n"
        self.stream.write(line.encode("utf-8"))
        self.records += 1
        if self.flush_each:
            self.stream.flush()

    def close(self) -> None:
        self.stream.flush()


@dataclass
class BulkSummary:
    """How a bulk run ended."""

    action: str
    planned: int
    duplicates: int
    ok: int = 0
    failed: int = 0
    in_flight: list[int | str] = field(default_factory=list)

    @property
    def not_sent(self) -> int:
        return self.planned - self.ok - self.failed - len(self.in_flight)

    def text(self) -> str:
        parts = [f"{self.action}: {self.ok} acknowledged", f"{self.failed} failed"]
        if self.duplicates:
            parts.append(f"{self.duplicates} repeated ids skipped")
        if self.in_flight:
            ids = ", ".join(str(k) for k in self.in_flight[:20]) + (" ..." if len(self.in_flight) > 20 else "")
            parts.append(f"{len(self.in_flight)} sent with no answer (outcome unknown: {ids})")
        if self.not_sent > 0:
            parts.append(f"{self.not_sent} not sent")
        return ", ".join(parts)


async def run_actions(
    krill: Krill,
    action: str,
    targets: Sequence[CpeTarget],
    summary: BulkSummary,
    *,
    data: Any,
    concurrency: int,
    writer: Writer,
    progress: Progress,
    interrupt: Interrupt,
) -> None:
    """Send ``action`` once to each target, at most ``concurrency`` at a time, writing each outcome."""
    jobs = iter(targets)
    progress.set_total(len(targets))

    async def worker() -> None:
        for target in jobs:  # one shared iterator: each CPE is taken by exactly one worker
            if interrupt.requested:
                return
            key = cpe_key(target)
            summary.in_flight.append(key)
            try:
                result = await krill.isp.cpes.action(target, action, data=data)
            except KrillError as exc:
                row = outcome_row(key, action, error=exc)
                summary.failed += 1
            else:
                row = outcome_row(key, action, result=result)
                summary.ok += 1
            summary.in_flight.remove(key)
            writer.write(row)
            progress.advance()

    async with anyio.create_task_group() as tg:
        for _ in range(min(concurrency, len(targets))):
            tg.start_soon(worker)
