"""HTTP plumbing shared by the simulator and its apps: the real server's headers, DRF-shaped JSON answers
and errors, the pagination envelope and DRF's request parsers.

Kept apart from the server so that apps and the server core speak through one small vocabulary.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from aiohttp import web

__all__ = ["HTTPError", "envelope", "json_response", "read_body"]

_ENCODER = msgspec.json.Encoder(order="sorted")  # records: keys sorted like the real server
_PLAIN_ENCODER = msgspec.json.Encoder()  # envelopes and errors: DRF's insertion order
_STREAM_THRESHOLD = 256 * 1024
_CHUNK = 128 * 1024
_COMMON_HEADERS = {
    "Access-Control-Allow-Credentials": "True",
    "Access-Control-Allow-Headers": "*",
    "Access-Control-Allow-Methods": "*",
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": "*",
    "Referrer-Policy": "same-origin",
    "Server": "nginx/1.18.0 (Ubuntu)",
    "Vary": "Accept, Cookie",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
_BASIC_HEADER = 'Basic realm="api"'
_BEARER_HEADER = 'Bearer realm="api"'


class HTTPError(Exception):
    """Short-circuits a handler with a JSON error response."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _auth_scheme(header: str | None) -> str | None:
    if not header or not header.strip():
        return None
    scheme = header.split()[0]
    lowered = scheme.lower()
    if lowered == "basic":
        return "Basic"
    if lowered == "bearer":
        return "Bearer"
    return scheme


def json_response(
    status: int, body: Any, allow: str | None = None, headers: dict[str, str] | None = None
) -> web.Response:
    payload = body if isinstance(body, bytes) else _PLAIN_ENCODER.encode(body)
    resp = web.Response(status=status, body=payload, headers=_COMMON_HEADERS)
    resp.content_type = "application/json"
    if allow:
        resp.headers["Allow"] = allow
    if headers:
        resp.headers.update(headers)
    return resp


def envelope(count: int, nxt: str | None, prev: str | None, results: bytes) -> bytes:
    """A DRF LimitOffsetPagination body around already-encoded, comma-joined records."""
    return b"".join(
        [
            b'{"count":',
            str(count).encode(),
            b',"next":',
            _ENCODER.encode(nxt),
            b',"previous":',
            _ENCODER.encode(prev),
            b',"results":[',
            results,
            b"]}",
        ]
    )


def _token_invalid(message: str) -> HTTPError:
    return HTTPError(
        401,
        {
            "detail": "Given token not valid for any token type",
            "code": "token_not_valid",
            "messages": [{"token_class": "AccessToken", "token_type": "access", "message": message}],
        },
        {"WWW-Authenticate": _BEARER_HEADER},
    )


async def read_body(request: web.Request) -> dict[str, Any]:
    """DRF parsers: JSON, form and multipart; 415 for anything else."""
    raw = await request.read()
    if not raw:
        return {}
    content_type = request.headers.get("Content-Type", "")
    media = content_type.split(";", 1)[0].strip().lower()
    data: Any
    if media == "application/json" or media.endswith("+json"):
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError as exc:
            raise HTTPError(400, {"detail": f"JSON parse error - {exc}"}) from None
    elif media == "application/x-www-form-urlencoded":
        data = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    elif media == "multipart/form-data":
        form = await request.post()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
    else:
        raise HTTPError(415, {"detail": f'Unsupported media type "{content_type}" in request.'})
    if not isinstance(data, dict):
        name = type(data).__name__
        raise HTTPError(400, {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {name}."]})
    return data


_HTTPError = HTTPError  # the names the apps import
_json_response = json_response
