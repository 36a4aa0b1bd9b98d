"""Finding record boundaries in a growing ``results`` array: the scanners of the incremental decoder.

Three ways, cheapest first: a learned *signature* (the text between two records) found with ``rfind``;
bracket counting from the batch start (exact unless strings hold unbalanced brackets); an exact tokenizer
that skips strings. Each keeps its progress across calls, so every byte of a body is scanned about once,
whatever the sizes of its records and chunks: the decoder stays linear.
"""

from __future__ import annotations

import re

__all__ = ["BoundaryScanner"]

_LAST_MEMBER = re.compile(rb'"[^"\\]{1,64}"\s*:\s*"[^"\\]{0,64}"\s*\}\Z')
_FIRST_KEY = re.compile(rb'\s*\{\s*"[^"\\]{1,64}"\s*:')
_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*(?:"|\\?\Z)|[{}\[\],]')
_STRING_TAIL = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*')
_WHITESPACE = b" \t\r\n"
_COMMA, _OPEN, _CLOSE = 0x2C, 0x5B, 0x5D
_MAX_SIGNATURES = 4
_RESULTS_MARGIN = 64


class BoundaryScanner:
    """The boundary-finding half of [IncrementalPageDecoder][krill_async._incremental.IncrementalPageDecoder]:
    it reads ``_buf`` (``_buf[0]`` is the ``[`` of the current batch) and reports comma indexes."""

    _buf: bytearray
    _signatures: list[tuple[bytes, int]]

    def _init_scan(self) -> None:
        """The scanning state of a fresh body (called by the decoder's ``__init__``)."""
        self._rejected: set[int] = set()  # comma indexes whose batch did not decode
        self._counted_to = 1
        self._depth = 0
        self._count_floor = 1
        self._misses = 0  # guessed boundaries rejected in the current batch
        self._count_examined = 0  # braces before it were all examined (no boundary)
        self._sig_floor = 1  # below it, no learned signature occurs (each byte is searched about once)
        # The exact tokenizer's progress, kept across calls so each byte is tokenized once: where it stopped
        # (a token boundary), the depth there, and the top-level commas it found (batch-relative).
        self._exact_pos = 1
        self._exact_depth = 0
        self._exact_commas: list[int] = []
        self._exact_closed = False
        self._exact_in_string = False
        #: Bytes the exact tokenizer examined (stays about the body's size: the decoder is linear).
        self.exact_scanned = 0

    def _shift(self, comma: int) -> None:
        """The buffer lost its first ``comma`` bytes (a batch was cut there, at depth 0): move the scan
        states along, so no byte is scanned twice."""
        self._sig_floor = max(1, self._sig_floor - comma)
        self._count_examined = max(0, self._count_examined - comma)
        if self._exact_pos > comma:
            self._exact_pos -= comma
            self._exact_commas = [c - comma for c in self._exact_commas if c > comma]
        else:
            self._exact_pos, self._exact_depth, self._exact_commas, self._exact_closed = 1, 0, [], False
            self._exact_in_string = False

    def _reset_count(self) -> None:
        self._counted_to, self._depth, self._count_floor, self._count_examined = 1, 0, 1, 0

    def _signature_cut(self, end: int) -> int | None:
        """The last occurrence before ``end`` of a learned boundary text (not rejected), as a comma index."""
        buf = self._buf
        best: int | None = None
        for text, at in self._signatures:
            stop = end
            floor = max(1, self._sig_floor - len(text))
            while True:
                found = buf.rfind(text, floor, stop)
                if found < 0 or (best is not None and found + at <= best):
                    break
                if found + at not in self._rejected:
                    best = found + at
                    break
                stop = found + len(text) - 1
        if best is None and self._signatures:
            self._sig_floor = max(self._sig_floor, end)  # nothing below `end`: never search it again
        return best

    def _count_cut(self, end: int) -> int | None:
        """The last ``}`` at depth 0 that a ``,`` follows, counting brackets from the batch start.

        ``_depth`` is the depth at ``_counted_to`` (0 at the batch start), so each byte is counted once;
        candidates are then walked backwards from the end, subtracting the counts of the small gaps.
        """
        buf = self._buf
        if end <= self._count_examined:
            return None  # every brace before `end` was examined already, and none was a boundary
        if end >= self._counted_to:
            self._depth += _net(buf, self._counted_to, end)
            self._counted_to = end
            depth = self._depth
        else:
            depth = self._depth - _net(buf, end, self._counted_to)
        pos = search_end = end
        while True:
            brace = buf.rfind(b"}", self._count_floor, search_end)
            if brace < 0:
                break
            depth -= _net(buf, brace + 1, pos)
            pos, search_end = brace + 1, brace
            if depth == 0:
                after = _after_space(buf, brace + 1)
                if after is not None and buf[after] == _COMMA and after not in self._rejected:
                    return after
        # every brace below `end - margin` was examined and rejected: it stays rejected as data arrives
        self._count_floor = max(self._count_floor, end - _RESULTS_MARGIN)
        self._count_examined = max(self._count_examined, end - _RESULTS_MARGIN)
        return None

    def _exact_cut(self, end: int) -> int | None:
        """The last top-level ``,`` before ``end``, skipping strings (slow: the last resort).

        Tokenizing resumes where the previous call stopped (inside a string, if one was still arriving), so
        a record of many megabytes arriving in small chunks is tokenized once, not once per chunk.
        """
        buf = self._buf
        pos = self._exact_pos
        if not self._exact_closed and pos < end:
            depth, commas, start = self._exact_depth, self._exact_commas, pos
            if self._exact_in_string:
                pos = self._string_rest(pos, end)
            while not self._exact_in_string and pos < end:
                match = _TOKEN.search(buf, pos, end)
                if match is None:
                    pos = end
                    break
                first = buf[match.start()]
                if first == 0x22:  # a string: skip it, or remember we are inside one
                    self._exact_in_string = True
                    pos = self._string_rest(match.start() + 1, end)
                    continue
                pos = match.end()
                if first in (0x7B, _OPEN):  # { [
                    depth += 1
                elif first in (0x7D, _CLOSE):  # } ]
                    depth -= 1
                    if depth < 0:
                        self._exact_closed = True  # the end of the results array
                        break
                elif depth == 0:  # a comma
                    commas.append(match.start())
            self.exact_scanned += max(0, pos - start)
            self._exact_depth, self._exact_pos = depth, pos
        for comma in reversed(self._exact_commas):
            if comma < end and comma not in self._rejected:
                return comma
        return None

    def _string_rest(self, pos: int, end: int) -> int:
        """Skip the rest of a string from ``pos`` (just after its opening quote or where the last call
        stopped); leaves ``_exact_in_string`` set when its closing quote has not arrived yet."""
        tail = _STRING_TAIL.match(self._buf, pos, end)
        stop = tail.end() if tail is not None else pos
        if stop < end and self._buf[stop] == 0x22:
            self._exact_in_string = False
            return stop + 1
        return stop  # at `end`, or before a backslash whose escaped character has not arrived

    def _learn(self, comma: int) -> None:
        """Remember the text around a verified boundary (``"type":"Host"},{"attrs":``) for ``rfind``."""
        buf = self._buf
        brace = comma - 1
        while brace > 0 and buf[brace] in _WHITESPACE:
            brace -= 1
        head = _FIRST_KEY.match(buf, comma + 1)
        if buf[brace] != 0x7D or head is None:
            return
        member = _LAST_MEMBER.search(buf, max(1, brace - 160), brace + 1)
        start = member.start() if member is not None else brace
        signature = (bytes(buf[start : head.end()]), comma - start)
        if signature not in self._signatures:
            self._sig_floor = 1
            self._signatures.insert(0, signature)
            del self._signatures[_MAX_SIGNATURES:]


def _complete(text: bytes) -> bool:
    """Whether ``text`` holds a whole JSON value (a cut body fails to decode with varied messages: an invalid
    number, a bad character... the structure tells)."""
    depth = 0
    for match in _TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first == 0x22:  # a string: complete only if closed
            if len(token) < 2 or not token.endswith(b'"') or _escaped_end(token):
                return False
        elif first in (0x7B, _OPEN):
            depth += 1
        elif first in (0x7D, _CLOSE):
            depth -= 1
            if depth == 0:
                return True
    return False


def _escaped_end(token: bytes) -> bool:
    """True when the closing quote of a string token is escaped (an odd run of backslashes before it)."""
    run = len(token) - 1 - len(token[:-1].rstrip(b"\\"))
    return run % 2 == 1 and len(token) > 2


def _net(buf: bytearray, start: int, end: int) -> int:
    """Opened minus closed brackets in ``buf[start:end]`` (strings not excluded: callers verify)."""
    if end <= start:
        return 0
    return (
        buf.count(b"{", start, end)
        + buf.count(b"[", start, end)
        - buf.count(b"}", start, end)
        - buf.count(b"]", start, end)
    )


def _after_space(buf: bytearray, pos: int) -> int | None:
    """Index of the first non-whitespace byte at or after ``pos``; ``None`` if the buffer ends first."""
    end = len(buf)
    while pos < end and buf[pos] in _WHITESPACE:
        pos += 1
    return pos if pos < end else None
