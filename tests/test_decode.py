"""Decoding pages and records, including the drift documented in real Krill answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from krill_async import Cpe, Customer, DecodeError, Pots
from krill_async._decode import decode_body, decode_page

# The vendor's own v2 sample (overview, "Con v2"), verbatim.
VENDOR_V2_PAGE = b"""{
"count": 1, "next": null, "previous": null,
"results": [{
"_links": {"actions": {"diagnostic": "/api/v2/cpes/350/cwmp_diagnostic", "reboot": "/api/v2/cpes/350/reboot"},
           "links": {"cdrs": "/api/v2/cpes/350/events?type=cdr", "customer": "/api/v2/cpes/350/customer"}},
"_services": ["provision", "txrx", "dhcp", "tr069"],
"access": true, "active": true, "address": "", "address_profile": null, "avatar": "HG4201", "bridge": false,
"city": "", "country": null, "cpename": "pim0350", "created": "2022-12-17T23:00:01+01:00", "customer": 27,
"disable_provision": false, "disable_reconfig": false, "dsn": null, "enable_notifications": false,
"expiration_date": null, "external_id": null, "external_voip": false, "fixed_address": null, "has_tr069": true,
"id": 350, "internal_id": "pim0350", "is_router": true, "lan_cidr": null, "latitude": null, "line_profile": null,
"longitude": null, "mac": null, "me_vlan": null, "model": "HG8245H", "mtamac": null, "notes": "",
"postalcode": null, "pppoe_password": "", "pppoe_username": null, "probe": false, "profile": 7, "realm": "pim",
"remote_id": null, "sn": "0000deadbeef0000", "tech": "gpon", "tech_updated": null, "topology": "", "tr069": true,
"tv_profile": null, "updated": "2022-12-17T23:00:01+01:00", "voip_profile": null, "wanmac": null,
"wifi_password": "", "wifi_profile": null, "wifi_ssid": ""}]}"""

# The vendor's joins sample (attrs=id&joins=customer,potses), verbatim apart from whitespace.
VENDOR_JOINS = b"""{"customer": {"address": "Calle Bolivia n\xc2\xba 21 3\xc2\xbaB", "city": "Coslada, Madrid",
"comment": "", "country": "Spain", "created": "2019-11-08T15:57:08+01:00", "external_id": null, "id": 65,
"latitude": null, "longitude": null, "name": "Incredulo", "postalcode": null, "realm": "pim",
"surname": "Trotamundos", "updated": "2019-11-08T15:57:08+01:00"}, "id": 74,
"potses": [{"cli": null, "context": null, "contextname": null, "custom_digitmap": null, "dtmf": "auto", "id": 138,
"label": null, "language": null, "lineid": "pim0074-1", "order": 1, "password": null, "pbx_extension": false,
"username": null, "voicemail": false, "voicemail_password": null},
{"cli": null, "context": null, "contextname": null, "custom_digitmap": null, "dtmf": "auto", "id": 139,
"label": null, "language": null, "lineid": "pim0074-2", "order": 2, "password": "p0ts-secret",
"pbx_extension": false, "username": null, "voicemail": false, "voicemail_password": "1234"}]}"""


def test_vendor_v2_page() -> None:
    items, count, nxt, prev = decode_page(VENDOR_V2_PAGE, Cpe, url="u")
    assert (count, nxt, prev) == (1, None, None)
    cpe = items[0]
    assert isinstance(cpe, Cpe)
    assert cpe.id == 350 and cpe.sn == "0000deadbeef0000" and cpe.customer == 27
    assert cpe.created == dt.datetime(2022, 12, 17, 23, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert cpe.links is not None and cpe.links.actions is not None
    assert cpe.links.actions.diagnostic == "/api/v2/cpes/350/cwmp_diagnostic"
    assert cpe.links.actions.get("reboot") == "/api/v2/cpes/350/reboot"
    assert cpe.links.actions.get("nonexistent") is None and cpe.links.actions.get("get") is None
    assert cpe.links.links is not None and cpe.links.links.get("cdrs") == "/api/v2/cpes/350/events?type=cdr"
    assert cpe.services == ["provision", "txrx", "dhcp", "tr069"]
    assert cpe.is_router is True and cpe.tr069 is True


def test_vendor_v1_bare_array_is_one_page() -> None:
    body = b'  \n[{"id": 350, "sn": "0000deadbeef0000", "cpename": "pim0350"}]'
    items, count, nxt, prev = decode_page(body, Cpe, url="u")
    assert [c.id for c in items] == [350]
    assert (count, nxt, prev) == (1, None, None)


def test_joins_decode_into_nested_structs() -> None:
    cpe = decode_body(VENDOR_JOINS, Cpe, url="u")
    assert isinstance(cpe.customer, Customer)
    assert cpe.customer.surname == "Trotamundos"
    assert cpe.customer.address == "Calle Bolivia nº 21 3ºB"
    assert cpe.potses is not None and [p.lineid for p in cpe.potses] == ["pim0074-1", "pim0074-2"]
    assert all(isinstance(p, Pots) for p in cpe.potses)
    assert cpe.sn is None  # left out by attrs=id: decodes, reads as None


def test_attrs_projection_decodes() -> None:
    cpe = decode_body(b'{"cpename": "pim0074", "id": 74}', Cpe, url="u")
    assert (cpe.id, cpe.cpename, cpe.sn, cpe.created) == (74, "pim0074", None, None)


@pytest.mark.parametrize(
    ("raw", "expected"), [('"38.0124867"', Decimal("38.0124867")), ("10.414488", Decimal("10.414488")),
                          ("null", None), ('"-75.502681"', Decimal("-75.502681"))],
)
def test_coordinates_as_decimal_strings_or_floats(raw: str, expected: Decimal | None) -> None:
    cpe = decode_body(f'{{"latitude": {raw}}}'.encode(), Cpe, url="u")
    assert cpe.latitude == expected


@pytest.mark.parametrize(
    "stamp", ["2025-08-07T20:47:57.982000-05:00", "2025-08-06T20:48:05-05:00", "2022-12-17T23:00:01+01:00",
              "2023-02-16T15:00:00Z"],
)
def test_timestamps_with_and_without_microseconds(stamp: str) -> None:
    cpe = decode_body(f'{{"created": "{stamp}", "expiration_date": "2023-12-12"}}'.encode(), Cpe, url="u")
    assert isinstance(cpe.created, dt.datetime) and cpe.created.tzinfo is not None
    assert cpe.expiration_date == dt.date(2023, 12, 12)


def test_unknown_fields_are_ignored() -> None:
    cpe = decode_body(b'{"id": 1, "brand_new_field": {"x": [1, 2]}, "billing": 3.5}', Cpe, url="u")
    assert cpe.id == 1


def test_secrets_never_in_repr_or_str() -> None:
    cpe = decode_body(
        b'{"id": 9, "pppoe_password": "ppp-S3cret", "wifi_password": "wifi-S3cret", "wifi_ssid": "home"}',
        Cpe, url="u",
    )
    pots = decode_body(b'{"id": 1, "password": "sip-S3cret", "voicemail_password": "4321"}', Pots, url="u")
    for text in (repr(cpe), str(cpe), repr([cpe]), repr(pots), str(pots), f"{cpe}"):
        for secret in ("ppp-S3cret", "wifi-S3cret", "sip-S3cret", "4321"):
            assert secret not in text
    assert "wifi_ssid='home'" in repr(cpe)
    assert cpe.pppoe_password == "ppp-S3cret"  # still available to code that needs it


def test_escape_hatches_dict_and_raw_bytes() -> None:
    items, *_ = decode_page(VENDOR_V2_PAGE, dict, url="u")
    assert items[0]["id"] == 350 and items[0]["_services"][0] == "provision"
    raws, *_ = decode_page(VENDOR_V2_PAGE, bytes, url="u")
    assert isinstance(raws[0], bytes)
    assert msgspec.json.decode(raws[0])["sn"] == "0000deadbeef0000"


@pytest.mark.parametrize(
    "body",
    [b"", b"{", b'{"count": 1}', b'{"results": 5}', b'{"results": [{"id": "x"}]}', b"<html>502</html>", b"null"],
)
def test_bad_pages_raise_decode_error_with_context(body: bytes) -> None:
    with pytest.raises(DecodeError) as info:
        decode_page(body, Cpe, url="https://k/api/v2/isp/cpes/?offset=40", offset=40)
    assert info.value.offset == 40
    assert info.value.url == "https://k/api/v2/isp/cpes/?offset=40"
    assert "offset 40" in str(info.value)


def test_decoders_are_cached() -> None:
    from krill_async._decode import Envelope, decoder

    assert decoder(Envelope[Cpe]) is decoder(Envelope[Cpe])


def test_to_dict_round_trip() -> None:
    cpe = decode_body(VENDOR_JOINS, Cpe, url="u")
    data: dict[str, Any] = cpe.to_dict()
    assert data["customer"]["name"] == "Incredulo"
    assert "sn" not in data


def test_every_documented_cpe_field_is_declared() -> None:
    sample = msgspec.json.decode(VENDOR_V2_PAGE)["results"][0]
    declared = {f.encode_name for f in msgspec.structs.fields(Cpe)}
    assert set(sample) <= declared
