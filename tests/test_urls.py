"""URL building and link rebasing (pure functions, no HTTP)."""

from __future__ import annotations

import datetime as dt

import pytest
from yarl import URL

from krill_async import InvalidIdentifier, UnsafeURLError
from krill_async._urls import (
    encode_params,
    join_api_path,
    normalise_base_url,
    quote_identifier,
    rebase_link,
    redact_url,
    same_origin,
    with_params,
)

ROOT = normalise_base_url("https://krill.example.net")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://krill.example.net", "https://krill.example.net/"),
        ("https://krill.example.net/", "https://krill.example.net/"),
        ("https://krill.example.net/api/v2", "https://krill.example.net/"),
        ("https://krill.example.net/api/v2/", "https://krill.example.net/"),
        ("http://krill.phicus.es:4780", "http://krill.phicus.es:4780/"),
        ("https://proxy.example.net/krill", "https://proxy.example.net/krill/"),
        ("https://proxy.example.net/krill/api/", "https://proxy.example.net/krill/"),
    ],
)
def test_normalise_base_url(given: str, expected: str) -> None:
    assert str(normalise_base_url(given)) == expected


@pytest.mark.parametrize("bad", ["krill.example.net", "ftp://krill.example.net", "https://u:p@krill.example.net"])
def test_normalise_base_url_refuses(bad: str) -> None:
    with pytest.raises(ValueError):
        normalise_base_url(bad)


def test_rebase_vendor_internal_link_keeps_our_origin() -> None:
    link = "http://pre1:4280/api/v2/isp/cpes/?attrs=id&limit=3&offset=45"
    url = rebase_link(link, root=ROOT, request_url=ROOT)
    assert str(url) == "https://krill.example.net/api/v2/isp/cpes/?attrs=id&limit=3&offset=45"


def test_rebase_relative_rubik_link() -> None:
    url = rebase_link("/api/v2/rubik/services/?limit=5&offset=10", root=ROOT, request_url=ROOT)
    assert str(url) == "https://krill.example.net/api/v2/rubik/services/?limit=5&offset=10"


def test_rebase_absolute_same_origin_link() -> None:
    link = "https://krill.example.net/api/v2/monitoring/search?limit=1&offset=1&reghost=SMR-OLT03&type=Host"
    assert str(rebase_link(link, root=ROOT, request_url=ROOT)) == link


def test_rebase_keeps_proxy_prefix() -> None:
    root = normalise_base_url("https://proxy.example.net/krill/")
    for link in (
        "http://pre1:4280/api/v2/isp/cpes/?limit=3&offset=3",
        "/api/v2/isp/cpes/?limit=3&offset=3",
        "https://proxy.example.net/krill/api/v2/isp/cpes/?limit=3&offset=3",
    ):
        assert str(rebase_link(link, root=root, request_url=root)) == (
            "https://proxy.example.net/krill/api/v2/isp/cpes/?limit=3&offset=3"
        )


def test_rebase_query_is_byte_exact() -> None:
    link = "http://pre1:4280/api/v2/monitoring/search?perfdata.pondesv__gt=-2&regtag=CAR-OLT02-0%2F3%2F9&x=a+b"
    url = rebase_link(link, root=ROOT, request_url=ROOT)
    assert url.raw_query_string == "perfdata.pondesv__gt=-2&regtag=CAR-OLT02-0%2F3%2F9&x=a+b"
    assert url.query["regtag"] == "CAR-OLT02-0/3/9"


def test_rebase_query_only_link_resolves_against_request() -> None:
    request = ROOT.join(URL("api/v2/isp/cpes/?limit=2"))
    url = rebase_link("?limit=2&offset=2", root=ROOT, request_url=request)
    assert str(url) == "https://krill.example.net/api/v2/isp/cpes/?limit=2&offset=2"


@pytest.mark.parametrize("bad", ["  ", "javascript:alert(1)", "ftp://pre1/api/v2/x/", "data:text/plain,x"])
def test_rebase_refuses_empty_and_foreign_schemes(bad: str) -> None:
    with pytest.raises(ValueError):
        rebase_link(bad, root=ROOT, request_url=ROOT)


def test_join_api_path() -> None:
    assert str(join_api_path(ROOT, "isp/cpes/74/")) == "https://krill.example.net/api/v2/isp/cpes/74/"
    assert str(join_api_path(ROOT, "/api/cpes/")) == "https://krill.example.net/api/cpes/"
    same = "https://krill.example.net/api/v2/me/apps/"
    assert str(join_api_path(ROOT, same)) == same
    with pytest.raises(UnsafeURLError):
        join_api_path(ROOT, "https://evil.example.com/api/v2/isp/cpes/")
    with pytest.raises(UnsafeURLError):
        join_api_path(ROOT, "http://krill.example.net/api/v2/isp/cpes/")  # plain http is another origin


def test_same_origin_default_ports() -> None:
    assert same_origin(URL("https://a.net/x"), URL("https://a.net:443/y"))
    assert not same_origin(URL("https://a.net/"), URL("https://a.net:4780/"))
    assert same_origin(URL("https://A.net/"), URL("https://a.net/"))


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        (74, "74"),
        ("pim0074", "pim0074"),
        ("17000831539000002       ", "17000831539000002%20%20%20%20%20%20%20"),
        ("a b+c%", "a%20b%2Bc%25"),
    ],
)
def test_quote_identifier(value: int | str, quoted: str) -> None:
    assert quote_identifier(value) == quoted


@pytest.mark.parametrize("bad", [-1, True, "", " ", ".", "..", "1/reboot", "a\\b", "x?y", "x#y", "a\nb", 1.5, None])
def test_quote_identifier_refuses(bad: object) -> None:
    with pytest.raises(InvalidIdentifier):
        quote_identifier(bad)  # type: ignore[arg-type]


def test_encode_params() -> None:
    pairs = encode_params(
        {"active": True, "id__gt": 100, "attrs": ["id", "sn"], "created__gte": dt.date(2024, 1, 2), "x": None}
    )
    assert pairs == [("active", "true"), ("id__gt", "100"), ("attrs", "id,sn"), ("created__gte", "2024-01-02")]
    with pytest.raises(TypeError):
        encode_params({"bad": object()})


def test_with_params_replaces_paging() -> None:
    url = URL("https://k.net/api/v2/isp/cpes/?realm=pim&limit=10")
    assert str(with_params(url, [("limit", "500"), ("offset", "1000")])) == (
        "https://k.net/api/v2/isp/cpes/?realm=pim&limit=500&offset=1000"
    )


def test_redact_url() -> None:
    assert redact_url("https://k.net/widgets/x?token=abc.def&host_name=pim1") == (
        "https://k.net/widgets/x?token=***&host_name=pim1"
    )
    assert "secret" not in redact_url("https://user:secret@k.net/")


def test_redact_url_of_a_url_object_and_repeated_names() -> None:
    """The transport passes URL objects (not re-parsed) and looks parameter names up once: the answers
    must not change with the input's type or with how often a name was seen."""
    url = URL("https://user:pw@k.net/api/v2/isp/cpes/?limit=10&API_KEY=k1&offset=20&Access=a")
    for _ in range(3):
        shown = redact_url(url)
        assert (
            shown == redact_url(str(url)) == "https://k.net/api/v2/isp/cpes/?limit=10&API_KEY=***&offset=20&Access=***"
        )
    assert redact_url(URL("https://k.net/?limit=10")) == "https://k.net/?limit=10"
    assert redact_url("http://[::1") == "<an unparsable URL>"
