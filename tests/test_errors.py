"""Error mapping from HTTP answers (pure, no HTTP)."""

from __future__ import annotations

import pytest

from krill_async import (
    APIStatusError,
    BadRequest,
    Forbidden,
    KrillError,
    MethodNotAllowed,
    NotFound,
    ServerError,
    Throttled,
    Unauthorized,
)
from krill_async.errors import parse_error_body, parse_retry_after, status_error


def make(status: int, body: bytes, headers: dict[str, str] | None = None) -> APIStatusError:
    return status_error(status=status, method="GET", url="https://k/api/v2/isp/cpes/", body=body, headers=headers or {})


@pytest.mark.parametrize(
    ("status", "cls"),
    [(400, BadRequest), (401, Unauthorized), (403, Forbidden), (404, NotFound), (405, MethodNotAllowed),
     (429, Throttled), (500, ServerError), (502, ServerError), (503, ServerError), (418, APIStatusError)],
)
def test_status_classes(status: int, cls: type[APIStatusError]) -> None:
    err = make(status, b'{"detail": "x"}')
    assert type(err) is cls
    assert isinstance(err, KrillError)
    assert err.status == status
    assert err.method == "GET"
    assert err.url == "https://k/api/v2/isp/cpes/"


def test_drf_field_errors() -> None:
    err = make(400, b'{"sn": ["This field is required."], "non_field_errors": ["Duplicated CLI"]}')
    assert err.field_errors == {"sn": ["This field is required."], "non_field_errors": ["Duplicated CLI"]}
    assert "sn: This field is required." in str(err)
    assert "fix the fields" in str(err)


def test_detail_and_hint_in_message() -> None:
    err = make(404, b'{"detail": "Not found."}')
    assert err.detail == "Not found."
    assert str(err).startswith("GET https://k/api/v2/isp/cpes/ -> HTTP 404: Not found.")
    assert "record id" in str(err)


def test_simplejwt_body_is_detail_not_fields() -> None:
    body = b'{"detail": "Given token not valid for any token type", "code": "token_not_valid", "messages": [{}]}'
    err = make(401, body)
    assert err.detail == "Given token not valid for any token type"
    assert err.field_errors == {}


def test_nginx_html_body() -> None:
    err = make(502, b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>nginx/1.18.0</body></html>")
    assert isinstance(err, ServerError)
    assert err.detail is not None and "502 Bad Gateway" in err.detail


def test_a_django_html_page_becomes_its_text_not_its_markup() -> None:
    """Django's own 404 page (an unknown path, outside DRF): the detail is its text, no markup in the message."""
    page = (
        b'<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n'
        b"  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n"
    )
    err = make(404, page)
    assert err.detail == "Not Found The requested resource was not found on this server."
    assert "<" not in str(err) and "Check the path" in str(err)
    long_page = b"<html><body><script>var x = 1;</script><p>" + b"word " * 100 + b"&amp;</p></body></html>"
    detail = make(500, long_page).detail
    assert detail is not None and len(detail) == 200 and detail.endswith("…") and "script" not in detail
    assert make(502, b"Bad gateway: upstream closed").detail == "Bad gateway: upstream closed"


def test_throttled_retry_after() -> None:
    err = make(429, b'{"detail": "Request was throttled."}', {"Retry-After": "7"})
    assert isinstance(err, Throttled)
    assert err.retry_after == 7.0


@pytest.mark.parametrize(
    ("value", "expected"), [(None, None), ("", None), ("3", 3.0), ("-2", 0.0), ("nan", None), ("soon", None)]
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    seconds = parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT")
    assert seconds == 0.0  # in the past


@pytest.mark.parametrize("body", [b"", b"null", b"[", b"\xff\xfe", b'["a", "b"]', b"42"])
def test_parse_error_body_tolerates_anything(body: bytes) -> None:
    detail, fields = parse_error_body(body)
    assert isinstance(fields, dict)
    assert detail is None or isinstance(detail, str)


def test_transport_failures_map_to_typed_errors_without_http() -> None:
    import asyncio

    import aiohttp

    from krill_async import ConnectError, IncompleteBody, RequestTimeout, Timeout, TransportError
    from krill_async._error_mapping import transport_error

    def mapped(exc: BaseException) -> TransportError:
        return transport_error(exc, method="GET", url="https://k/api/v2/isp/cpes/", timeout=Timeout())

    assert type(mapped(asyncio.TimeoutError())) is RequestTimeout
    assert type(mapped(aiohttp.ServerTimeoutError("read"))) is RequestTimeout
    assert type(mapped(aiohttp.ClientPayloadError("Response payload is not completed"))) is IncompleteBody
    assert type(mapped(aiohttp.ServerDisconnectedError())) is ConnectError
    assert type(mapped(aiohttp.InvalidURL("x"))) is TransportError
    error = mapped(asyncio.TimeoutError())
    assert error.method == "GET" and error.url == "https://k/api/v2/isp/cpes/" and "raise the timeout" in str(error)


def test_vendor_limit_is_a_record_count_and_implies_the_page_size() -> None:
    from krill_async._paging import record_limit, sizes

    assert record_limit("3") == 3 and record_limit(None) is None
    assert sizes(page_size=None, limit=3, default=100) == 3
    assert sizes(page_size=None, limit=1500, default=100) == 1000
    assert sizes(page_size=50, limit=3, default=100) == 50
    assert sizes(page_size=None, limit=None, default=100) == 100
