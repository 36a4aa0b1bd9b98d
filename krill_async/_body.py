"""Reading answer bodies within a size limit, counted in decompressed bytes as they arrive.

A server can send a small gzip body that expands a thousandfold, or a body that never ends. aiohttp
decompresses in bounded steps as the body is read, so counting what it hands over and stopping at the
limit bounds memory to about the limit, whatever was on the wire.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from .errors import ResponseTooLarge

if TYPE_CHECKING:
    import aiohttp

__all__ = ["DEFAULT_MAX_BODY_SIZE", "ERROR_BODY_BYTES", "BodyLimit", "read_capped", "read_limited"]

#: The largest answer body the client reads by default (decompressed): 128 MiB holds a monitoring page of
#: 10,000 full objects several times over (about 20 MB); a CPE page of 1,000 is under 2 MiB.
DEFAULT_MAX_BODY_SIZE = 128 * 1024 * 1024
#: Bytes of an error answer kept for its message (an HTML error page needs no more).
ERROR_BODY_BYTES = 64 * 1024


class BodyLimit:
    """Counts the bytes of one body; raises [`ResponseTooLarge`][krill_async.ResponseTooLarge] past ``limit``."""

    def __init__(self, limit: int, *, method: str, url: str) -> None:
        self.limit = limit
        self.method = method
        self.url = url
        self.size = 0

    def check_declared(self, content_length: int | None, encoded: bool) -> None:
        """Refuse at once a body whose ``Content-Length`` (of an unencoded body) is over the limit."""
        if content_length is not None and not encoded and content_length > self.limit:
            raise self._error(f"announces {content_length} bytes")

    def add(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise self._error(f"exceeded {self.limit} bytes")

    def _error(self, what: str) -> ResponseTooLarge:
        return ResponseTooLarge(
            f"the answer to {self.method} {self.url} {what} (the client's max_body_size is {self.limit}); "
            "ask for smaller pages (page_size=...) or raise Krill(max_body_size=...) if such answers are "
            "legitimate. Not retried: the same request would get the same answer.",
            method=self.method,
            url=self.url,
            limit=self.limit,
        )


def _declared(raw: aiohttp.ClientResponse) -> tuple[int | None, bool]:
    return raw.content_length, raw.headers.get("Content-Encoding", "").strip(" ,").lower() not in ("", "identity")


async def iter_limited(raw: aiohttp.ClientResponse, limit: BodyLimit) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive, stopping with an error once ``limit`` is passed."""
    limit.check_declared(*_declared(raw))
    async for chunk in raw.content.iter_any():
        limit.add(chunk)
        yield chunk


async def read_limited(raw: aiohttp.ClientResponse, limit: BodyLimit) -> bytes:
    """The whole body, or [`ResponseTooLarge`][krill_async.ResponseTooLarge] as soon as it passes the limit."""
    chunks = [chunk async for chunk in iter_limited(raw, limit)]
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def read_capped(raw: aiohttp.ClientResponse, cap: int = ERROR_BODY_BYTES) -> bytes:
    """At most ``cap`` bytes of the body (for error answers: the rest is not needed, nor read)."""
    chunks: list[bytes] = []
    size = 0
    while size < cap:
        chunk = await raw.content.read(cap - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)
