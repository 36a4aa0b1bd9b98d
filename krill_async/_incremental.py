"""Incremental decoding of large list bodies, sans-I/O: feed bytes, take batches of records.

msgspec has no streaming decoder, so `IncrementalPageDecoder` keeps a buffer, cuts the ``results``
array at item boundaries every ``batch_bytes`` and decodes each batch as a JSON array with one cached
decoder. Finding a boundary:

1. a learned *signature* (the text between two top-level items, e.g. ``"type":"Host"},{"attrs":``) found
   with ``rfind`` near the end of the buffer: C speed;
2. otherwise, bracket counting from the batch start (exact unless strings hold unbalanced brackets);
3. otherwise, an exact tokenizer that skips strings (slow, rare).

A cut is only accepted when the batch decodes: a prefix of valid JSON cut anywhere but between top-level
items cannot decode, so a wrong guess costs time, never correctness. The envelope's other keys
(``count``, ``next``, ``previous``) are read before and after ``results``, in any order.
"""

from __future__ import annotations

import functools
import re
import time
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec

from ._boundaries import _CLOSE, _COMMA, _OPEN, _RESULTS_MARGIN, BoundaryScanner, _complete
from ._decode import Envelope, too_deep, wire_type
from ._urls import redact_url
from .errors import DecodeError, IncompleteBody, KrillError

T = TypeVar("T")

__all__ = ["DEFAULT_BATCH_BYTES", "IncrementalPageDecoder", "Learnt", "decode_lax", "lax_decoder"]

#: Most bytes of JSON decoded in one go. Batches are also sized to take about ``BATCH_SECONDS`` of CPU, so a
#: full decode (slow) gets smaller batches than a projection (fast): with several pages decoding at once,
#: each gets a turn per loop iteration, and the event loop's worst stall is about their sum.
DEFAULT_BATCH_BYTES = 256 * 1024
BATCH_SECONDS = 0.0005
_MIN_BATCH = 16 * 1024

_RESULTS = re.compile(rb'"results"\s*:\s*\[')
_FIRST_NON_SPACE = re.compile(rb"\S")
_MAX_MISSES = 2


@dataclass(eq=False)
class Learnt:
    """What decoding a query's pages teaches, shared by its decoders: the text between two records
    (to find boundaries with ``rfind``) and the decode rate (to size batches by time)."""

    signatures: list[tuple[bytes, int]] = field(default_factory=list)  # (text, offset of its ",")
    rate: float = 0.0  # bytes per second, a moving average; 0 until measured


@functools.lru_cache(maxsize=256)
def lax_decoder(type_: Any) -> msgspec.json.Decoder[Any]:
    """A cached decoder in msgspec's lax mode: ``3.0`` decodes as an int, ``1`` as a bool, ``"2.5"`` as a
    float. Icinga wrote integers as doubles before 2.13; monitoring answers carry that drift."""
    return msgspec.json.Decoder(type_, strict=False)


@functools.lru_cache(maxsize=256)
def holds_raw(type_: Any) -> bool:
    """Whether values decoded as ``type_`` may contain ``msgspec.Raw`` (which points into its input)."""
    seen: set[int] = set()

    def walk(info: Any) -> bool:
        if isinstance(info, (msgspec.inspect.RawType, msgspec.inspect.AnyType)):
            return isinstance(info, msgspec.inspect.RawType)
        if id(info) in seen:
            return False
        seen.add(id(info))
        for attr in ("types", "item_type", "key_type", "value_type", "item_types"):
            child = getattr(info, attr, None)
            if child is None:
                continue
            if isinstance(child, tuple):
                if any(walk(t) for t in child):
                    return True
            elif walk(child):
                return True
        fields: Any = getattr(info, "fields", None) or ()
        return any(walk(f.type) for f in fields)

    try:
        return walk(msgspec.inspect.type_info(type_))
    except (TypeError, ValueError):
        return True  # unknown to msgspec's inspection: keep the safe copy


def decode_lax(body: bytes, model: Any, *, url: str) -> Any:
    """Decode one whole answer in lax mode; typed errors (a truncated body is
    [`IncompleteBody`][krill_async.IncompleteBody])."""
    try:
        return lax_decoder(wire_type(model)).decode(body)
    except RecursionError:
        raise too_deep(redact_url(url), body) from None
    except msgspec.DecodeError as exc:
        shown = redact_url(url)
        if _truncated(exc):
            raise IncompleteBody(
                f"the answer of {shown} ended before its JSON was complete; retrying is safe for reads.",
                method="GET",
                url=shown,
            ) from None
        raise DecodeError(
            f"could not decode the answer of {shown} as {getattr(model, '__name__', model)}: {exc}. "
            "If the server changed a field's type, report it.",
            url=shown,
            body_excerpt=body[:200],
            malformed=not isinstance(exc, msgspec.ValidationError),
        ) from None


def _truncated(exc: msgspec.DecodeError) -> bool:
    return "truncated" in str(exc)


class IncrementalPageDecoder(BoundaryScanner, Generic[T]):
    """Decodes one list body (``{"count", "next", "previous", "results": [...]}`` or a bare array) as its
    bytes arrive: ``feed(chunk)``, then ``next_batch()`` until it returns ``None``; ``finish()`` at the end.

    Memory is about one batch plus one chunk, whatever the body's size. A body that ends before its JSON is
    complete raises [`IncompleteBody`][krill_async.IncompleteBody] (retryable); malformed JSON or a record that does
    not fit ``model`` raises [`DecodeError`][krill_async.DecodeError].
    """

    def __init__(
        self,
        model: Any,
        *,
        batch_bytes: int = DEFAULT_BATCH_BYTES,
        url: str = "",
        offset: int | None = None,
        learnt: Learnt | None = None,
    ) -> None:
        if batch_bytes < 1:
            raise ValueError("batch_bytes must be positive")
        self.model = model
        self.batch_bytes = batch_bytes
        self.url = url
        self.offset = offset
        item = wire_type(model)
        self._copy_raw = model is bytes
        self._zero_copy = not holds_raw(item)
        self._list = lax_decoder(list[item])  # type: ignore[valid-type]
        self._envelope = lax_decoder(Envelope[item])  # type: ignore[valid-type]
        self._buf = bytearray()
        self._mode = "head"  # head -> items (buf[0] is the "[" of the batch) | whole (fallback) -> done
        self._bare = False
        self._scan = 0
        self._learnt = Learnt() if learnt is None else learnt  # pass one to the decoders of a query's pages
        self._signatures = self._learnt.signatures
        self._init_scan()
        #: Envelope fields, known once read (``count`` and the links usually precede ``results``).
        self.count: int | None = None
        self.next: str | None = None
        self.previous: str | None = None
        #: Counters for observability and tests.
        self.bytes_fed = 0
        self.batches = 0
        self.records = 0
        self.fallback_cuts = 0

    def __repr__(self) -> str:
        return (
            f"<IncrementalPageDecoder {self.url} mode={self._mode} buffered={len(self._buf)} "
            f"batches={self.batches} records={self.records}>"
        )

    @property
    def buffered(self) -> int:
        """Bytes held, waiting for the rest of a record (about one batch at most)."""
        return len(self._buf)

    # -- input ----------------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Append the next piece of the body (any size, split anywhere)."""
        if self._mode == "done":
            raise KrillError("this decoder has finished; create a new one per body")
        self._buf += data
        self.bytes_fed += len(data)
        if self._mode == "head":
            try:
                self._locate_results()
            except RecursionError:
                raise too_deep(self.url, bytes(self._buf[:200]), self.offset) from None

    def next_batch(self) -> list[T] | None:
        """The next complete batch of records, or ``None`` until more bytes arrive."""
        try:
            return self._next_batch()
        except RecursionError:
            raise too_deep(self.url, bytes(self._buf[:200]), self.offset) from None

    def _next_batch(self) -> list[T] | None:
        size = len(self._buf)
        target = self._target()
        if self._mode != "items" or size < target:
            return None
        window = target  # cut near the target even when a huge piece arrived at once
        while True:
            end = min(window, size)
            items = self._cut(end, last=end == size)
            if items is not None or end == size:
                return items
            window *= 2

    def finish(self) -> list[T]:
        """The records left at the end of the body; reads the envelope keys that follow ``results``."""
        head = bytes(self._buf[:200])
        try:
            return self._finish()
        except RecursionError:
            raise too_deep(self.url, head, self.offset) from None

    def _finish(self) -> list[T]:
        mode, self._mode = self._mode, "done"
        buf, self._buf = self._buf, bytearray()
        try:
            if mode == "items" and self._bare:
                items: list[T] = self._list.decode(buf)
                self.count = self.records + len(items)  # a bare array is the whole collection
            elif mode == "items":
                envelope = self._envelope.decode(b'{"results":' + buf)
                items = envelope.results
                self._read_envelope(envelope, overwrite=False)
            elif mode in ("head", "whole"):
                items = self._decode_whole(bytes(buf))
            else:
                raise KrillError("finish() was already called")
        except msgspec.DecodeError as exc:
            text = b'{"results":' + buf if mode == "items" and not self._bare else bytes(buf)
            if _truncated(exc) or not _complete(text):
                raise IncompleteBody(
                    f"the answer of {self.url} ended before its JSON was complete "
                    f"({self.bytes_fed} bytes); retrying is safe for reads.",
                    method="GET",
                    url=self.url,
                ) from None
            raise self._error(exc, bytes(buf[:200])) from None
        return self._emit(items)

    # -- locating "results" ---------------------------------------------------------------------------

    def _locate_results(self) -> None:
        buf = self._buf
        first = _FIRST_NON_SPACE.search(buf)
        if first is None:
            return
        if buf[first.start()] == _OPEN:  # a bare JSON array (API v1 style): one complete page
            del buf[: first.start()]
            self._mode, self._bare = "items", True
            return
        match = _RESULTS.search(buf, self._scan)
        if match is None:
            self._scan = max(0, len(buf) - _RESULTS_MARGIN)
            return
        try:
            head: Envelope[Any] = lax_decoder(Envelope[msgspec.Raw]).decode(
                bytes(buf[: match.start()]) + b'"results":[]}'
            )
        except msgspec.DecodeError:
            self._mode = "whole"  # "results" was not a top-level key: decode the body whole at the end
            return
        self._read_envelope(head, overwrite=True)
        del buf[: match.end() - 1]
        self._mode = "items"

    def _read_envelope(self, envelope: Envelope[Any], *, overwrite: bool) -> None:
        if overwrite or envelope.count is not None:
            self.count = envelope.count
        if overwrite or envelope.next is not None:
            self.next = envelope.next
        if overwrite or envelope.previous is not None:
            self.previous = envelope.previous

    def _decode_whole(self, body: bytes) -> list[T]:
        first = _FIRST_NON_SPACE.search(body)
        if first is not None and body[first.start()] == _OPEN:
            items: list[T] = self._list.decode(body)
            self.count = len(items)
            return items
        envelope = self._envelope.decode(body)
        self._read_envelope(envelope, overwrite=True)
        items = envelope.results
        return items

    # -- cutting batches ------------------------------------------------------------------------------

    def _cut(self, end: int, *, last: bool) -> list[T] | None:
        """One batch ending at the last item boundary before ``end``, or ``None`` (look further / wait)."""
        tried: set[int] = set()
        error: msgspec.DecodeError | None = None
        # Each rejected guess costs a decode of the whole buffer: after two in one batch (strings full of
        # look-alike boundaries), only the exact tokenizer, which reads each byte once, is asked.
        guessing = self._misses < _MAX_MISSES
        comma = self._signature_cut(end) if guessing else None
        if comma is not None:
            items, error = self._try(comma, learn=False)
            if items is not None:
                return self._emit(items)
            tried.add(comma)
        comma = self._count_cut(end) if guessing else None
        if comma is not None and comma not in tried:
            items, error = self._try(comma)
            if items is not None:
                return self._emit(items)
            tried.add(comma)
        if guessing and comma is None and not tried and (not last or end < 4 * self.batch_bytes):
            return None  # no boundary yet: look further, or wait while the current record arrives
        self.fallback_cuts += 1
        comma = self._exact_cut(end)
        if comma is None:
            return None
        if comma in tried:  # the boundary was right, so the records themselves do not decode
            assert error is not None
            raise self._error(error, bytes(self._buf[:200]))
        items, error = self._try(comma)
        if items is None:
            assert error is not None
            raise self._error(error, bytes(self._buf[:200]))
        self._reset_count()  # strings holding brackets fooled the count: start it afresh
        return self._emit(items)

    def _try(self, comma: int, *, learn: bool = True) -> tuple[list[T] | None, msgspec.DecodeError | None]:
        """Decode ``buf[0:comma]`` as one array; on success make ``comma`` the next batch's ``[``."""
        buf = self._buf
        buf[comma] = _CLOSE
        started = time.perf_counter()
        try:
            if self._zero_copy:  # decoded in place: nothing decoded keeps a reference to the buffer
                with memoryview(buf) as view, view[: comma + 1] as part:
                    items: list[T] = self._list.decode(part)
            else:  # msgspec.Raw values point into their input: give them a batch of their own
                with memoryview(buf) as view:
                    batch = bytes(view[: comma + 1])
                items = self._list.decode(batch)
        except msgspec.DecodeError as exc:
            self._rejected.add(comma)
            self._misses += 1
            return None, exc
        finally:
            buf[comma] = _COMMA
        elapsed = time.perf_counter() - started
        if elapsed > 0:
            rate, learnt = (comma + 1) / elapsed, self._learnt
            learnt.rate = rate if learnt.rate <= 0 else 0.8 * learnt.rate + 0.2 * rate
        if learn:
            self._learn(comma)
        buf[comma] = _OPEN
        del buf[:comma]
        self._rejected.clear()
        self._misses = 0
        self._shift(comma)
        if self._counted_to > comma:  # the depth at a boundary is 0: the running count stays valid
            self._counted_to -= comma
            self._count_floor = max(1, self._count_floor - comma)
        else:
            self._reset_count()
        return items, None

    def _target(self) -> int:
        rate = self._learnt.rate
        if rate <= 0:
            return self.batch_bytes
        return min(self.batch_bytes, max(_MIN_BATCH, int(rate * BATCH_SECONDS)))

    def _emit(self, items: list[T]) -> list[T]:
        if self._copy_raw:
            items = [bytes(raw) for raw in items]  # type: ignore[call-overload]  # T is msgspec.Raw here
        self.batches += 1
        self.records += len(items)
        return items

    def _error(self, exc: msgspec.DecodeError, excerpt: bytes) -> DecodeError:
        where = f" at offset {self.offset}" if self.offset is not None else ""
        return DecodeError(
            f"could not decode the page{where} of {self.url}: {exc}. If the server changed a field's type, "
            "decode with into=dict and report it.",
            url=self.url,
            offset=self.offset,
            body_excerpt=excerpt,
            malformed=not isinstance(exc, msgspec.ValidationError),
        )


# -- I/O glue ------------------------------------------------------------------------------------------
