"""Answers as the transport hands them out: complete ([`Response`][krill_async.Response]) or streamed
(`StreamingResponse`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDictProxy
from yarl import URL

from ._body import BodyLimit, iter_limited, read_limited
from ._decode import decode_body
from ._urls import redact_url

if TYPE_CHECKING:
    import aiohttp

__all__ = ["Response", "StreamingResponse"]


@dataclass(frozen=True, eq=False)
class Response:
    """A complete HTTP answer: status, headers and the body as bytes."""

    method: str
    url: URL
    status: int
    headers: CIMultiDictProxy[str]
    content: bytes

    def json(self, model: Any = Any) -> Any:
        """The body decoded into ``model`` (a Struct, ``dict``, ``list``...; ``Any`` for plain JSON)."""
        return decode_body(self.content, model, url=redact_url(self.url))

    def __repr__(self) -> str:
        return f"<Response {self.method} {redact_url(self.url)} {self.status} ({len(self.content)} bytes)>"


class StreamingResponse:
    """A successful answer whose body is read chunk by chunk (inside `Transport.stream()`)."""

    def __init__(self, method: str, url: URL, raw: aiohttp.ClientResponse, limit: BodyLimit) -> None:
        self.method = method
        self.url = url
        self.status = raw.status
        self.headers = raw.headers
        self._raw = raw
        self._limit = limit

    def __repr__(self) -> str:
        return f"<StreamingResponse {self.method} {redact_url(self.url)} {self.status}>"

    async def iter_chunks(self) -> AsyncIterator[bytes]:
        """The body in pieces as they arrive (up to a few hundred KB each)."""
        async for chunk in iter_limited(self._raw, self._limit):
            yield chunk

    async def read(self) -> bytes:
        """The rest of the body at once."""
        return await read_limited(self._raw, self._limit)
