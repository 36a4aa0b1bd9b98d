"""The vendor's monitoring examples (overview, "Ejemplos de consultas a la API"), verbatim, and what they show.

Imported by the other monitoring tests. Quirks of the published text, kept as published:

* ``SERVICE_PONDESV_FRAGMENT`` and ``HOST_ALARM_FRAGMENT`` are fragments of a streamed ``results`` array (they end
  with ``},``); the Service one has five redacted values (``"address":`` with nothing after it): not valid JSON;
  `repaired()` fills exactly those with ``""``.
* ``PAGE_REGHOST_LIMIT1`` has ``®host`` in its ``next`` link: the doc renderer turned ``&reg`` into ``®``.
* The vendor redacted some values inconsistently: the query says ``regtag==CAR-OLT02-0/3/9`` and
  ``reghost==SMR-OLT03`` while the objects show ``OLT02`` and ``OLT03``; the page shows ``"name": "cpe"`` and
  ``"sn": ""`` where the jq output shows ``cpe18838`` and a serial.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import msgspec
import pytest

from krill_async import Host, MonitoringObject, Service, projection
from krill_async._stream_decode import IncrementalPageDecoder, decode_lax, lax_decoder
from krill_async.models import CpeInfo, DataPoint, DatasetMetric, Graph, Registration
from krill_async.models.monitoring import series_from_datasets, when

SERVICE_PONDESV_FRAGMENT = b"""{
"attrs": {
"acknowledged": 0,
"acknowledgement": 0,
"address": "",
"alarm": 0,
"business_impact": 1,
"check_attempt": 1,
"check_command": "check_txrx",
"check_interval": 604800,
"check_period": "",
"downtime": 0,
"downtime_depth": 0,
"downtimed": 0,
"enable_active_checks": 0,
"enable_passive_checks": 1,
"flap_detection_enabled": 0,
"handled": 1,
"has_been_checked": 1,
"host_name": "cpe25365",
"is_flapping": 0,
"last_check": "2025-08-07T20:47:57.982000-05:00",
"last_hard_state": 0,
"last_hard_state_change": "2025-08-06T20:48:05-05:00",
"last_state_change": "2025-08-06T20:48:05-05:00",
"latency": 982,
"long_output": null,
"max_check_attempts": 1,
"next_check": "2025-08-14T20:47:57.982000-05:00",
"output": "pondesv=2.32 > 2.00!",
"perfdata": [
{
"critical": -8.0,
"max": 5.0,
"min": -49.0,
"name": "dnrx",
"uom": "",
"value": -21.55,
"warning": -11.0
},
{
"critical": 16.0,
"max": 15.0,
"min": -10.0,
"name": "uptx",
"uom": "",
"value": 2.67,
"warning": 15.0
},
{
"critical": -9.0,
"max": 5.0,
"min": -49.0,
"name": "uprx",
"uom": "",
"value": -24.95,
"warning": -12.0
},
{
"critical": 50.0,
"max": 60.0,
"min": 1.0,
"name": "dnatt",
"uom": "",
"value": 26.61,
"warning": 30.0
},
{
"critical": 50.0,
"max": 60.0,
"min": 1.0,
"name": "upatt",
"uom": "",
"value": 27.62,
"warning": 30.0
},
{
"critical": 4.0,
"max": 10.0,
"min": -10.0,
"name": "pondesv",
"uom": "",
"value": 2.32,
"warning": 2.0
}
],
"problem": 1,
"retry_interval": 60,
"service_name": "txrx",
"severity": 1056,
"state": 1,
"state_long": "warning",
"state_type": 1,
"vars": {
"administrative_info": {
"access": false,
"actions": [
"diagnostic",
"factory",
"reboot",
"reconfig",
"reprovision",
"unprovision"
],
"active": true,
"address":
"address_profile":
"customer_address":
"customer_external_id":
"customer_name":
"external_voip": false,
"id": 25365,
"latitude": 10.414488,
"line_profile": "residential",
"longitude": -75.502681,
"model": "G-0425G-C",
"potses": [],
"profile_downstream": "400M",
"profile_name": "400 MB",
"profile_upstream": "400M",
"realm": "cpe",
"services": [
"dhcp",
"provision",
"tr069",
"txrx"
],
"sn": "414c434cfcc55390",
"tech": "gpon",
"tr069": true,
"vendor": "ALCL"
},
"business_impact": 1,
"cpe_registration_host": "OLT1",
"cpe_registration_id": "0/7/7-35",
"cpe_registration_state": "dyinggasp",
"cpe_registration_tags": "OLT01-0/7/7",
"model": "G-0425G-C",
"search": " ",
"type": "cpe",
"vendor": "ALCL"
}
},
"joins": {},
"meta": {},
"name": "cpe25365!txrx",
"type": "Service"
},
"""

JQ_CPE_OLT_OUTPUT = b"""{
"cpe": "cpe41385!txrx",
"olt": "OLT04"
}
{
"cpe": "cpe7819!txrx",
"olt": "OLT03"
}
{
"cpe": "cpe0482!txrx",
"olt": "OLT03"
}
"""

HOST_ALARM_FRAGMENT = b"""{
"attrs": {
"acknowledged": 0,
"acknowledgement": 0,
"address": "",
"alarm": 1,
"business_impact": 1,
"check_attempt": 1,
"check_command": "check_cpe",
"check_interval": 86400,
"check_period": "",
"downtime": 0,
"downtime_depth": 0,
"downtimed": 0,
"enable_active_checks": 1,
"enable_passive_checks": 1,
"flap_detection_enabled": 0,
"handled": 0,
"has_been_checked": 1,
"host_name": "cpe13812",
"is_flapping": 0,
"last_check": "2025-08-08T06:27:09.854000-05:00",
"last_hard_state": 0,
"last_hard_state_change": "2025-08-07T17:07:06-05:00",
"last_state_change": "2025-08-07T17:07:06-05:00",
"latency": 854,
"long_output": null,
"max_check_attempts": 1,
"next_check": "2025-08-09T06:27:09.854000-05:00",
"output": "alarm/losi/offline OLT01:0/13/6-6 0.0.0.0",
"perfdata": [
{
"critical": null,
"max": null,
"min": null,
"name": "dnbw",
"uom": "",
"value": 0.0,
"warning": null
},
{
"critical": null,
"max": null,
"min": null,
"name": "upbw",
"uom": "",
"value": 0.0,
"warning": null
}
],
"problem": 1,
"retry_interval": 60,
"service_name": "",
"severity": 2112,
"state": 1,
"state_long": "down",
"state_type": 1,
"vars": {
"administrative_info": {
"access": true,
"actions": [
"diagnostic",
"factory",
"reboot",
"reconfig",
"reprovision",
"unprovision"
],
"active": true,
"address": "",
"address_profile": "nat",
"customer_address": "",
"customer_external_id": "30116",
"customer_name": "",
"external_voip": false,
"id": 13812,
"latitude": 10.415303,
"line_profile": "residential",
"longitude": -75.457082,
"model": "EG8145V5",
"potses": [],
"profile_downstream": "400M",
"profile_name": "400 MB",
"profile_upstream": "400M",
"realm": "cpe",
"services": [
"dhcp",
"provision",
"tr069",
"txrx"
],
"sn": "4857544316d237a1",
"tech": "gpon",
"tr069": true,
"vendor": "Huawei"
},
"business_impact": 1,
"cpe_registration_host": "OLT01",
"cpe_registration_id": "0/13/6-6",
"cpe_registration_state": "alarm",
"cpe_registration_tags": "OLT01-0/13/6",
"model": "EG8145V5",
"search": "",
"type": "cpe",
"vendor": "Huawei"
}
},
"joins": {},
"meta": {},
"name": "cpe13812",
"type": "Host"
},
"""

PAGE_ALARM_REGTAG = b"""{
"count": 1,
"next": null,
"previous": null,
"results": [
{
"attrs": {
"acknowledged": 0,
"acknowledgement": 0,
"address": "",
"alarm": 1,
"business_impact": 1,
"check_attempt": 1,
"check_command": "check_cpe",
"check_interval": 86400,
"check_period": "",
"downtime": 0,
"downtime_depth": 0,
"downtimed": 0,
"enable_active_checks": 1,
"enable_passive_checks": 1,
"flap_detection_enabled": 0,
"handled": 0,
"has_been_checked": 1,
"host_name": "cpe40250",
"is_flapping": 0,
"last_check": "2025-08-08T06:01:38.842000-05:00",
"last_hard_state": 0,
"last_hard_state_change": "2025-08-08T06:01:38-05:00",
"last_state_change": "2025-08-08T06:01:38-05:00",
"latency": 842,
"long_output": null,
"max_check_attempts": 1,
"next_check": "2025-08-09T06:01:38.842000-05:00",
"output": "alarm/losi/offline OLT02:0/3/9-15 0.0.0.0",
"perfdata": [
{
"critical": null,
"max": null,
"min": null,
"name": "dnbw",
"uom": "",
"value": 0.0,
"warning": null
},
{
"critical": null,
"max": null,
"min": null,
"name": "upbw",
"uom": "",
"value": 0.0,
"warning": null
}
],
"problem": 1,
"retry_interval": 60,
"service_name": "",
"severity": 2112,
"state": 1,
"state_long": "down",
"state_type": 1,
"vars": {
"administrative_info": {
"access": true,
"actions": [
"diagnostic",
"factory",
"reboot",
"reconfig",
"reprovision",
"unprovision"
],
"active": true,
"address": "",
"address_profile": "nat",
"customer_address": "",
"customer_external_id": "",
"customer_name": "",
"external_voip": false,
"id": 40250,
"latitude": 10.927271,
"line_profile": "residential",
"longitude": -74.814567,
"model": "HG6144F",
"potses": [],
"profile_downstream": "400M",
"profile_name": "400 MB",
"profile_upstream": "400M",
"realm": "cpe",
"services": [
"dhcp",
"provision",
"tr069",
"txrx"
],
"sn": "464854549ca50778",
"tech": "gpon",
"tr069": true,
"vendor": "FiberHome"
},
"business_impact": 1,
"cpe_registration_host": "OLT02",
"cpe_registration_id": "0/3/9-15",
"cpe_registration_state": "alarm",
"cpe_registration_tags": "OLT02-0/3/9",
"model": "HG6144F",
"search": "",
"type": "cpe",
"vendor": "FiberHome"
}
},
"joins": {},
"meta": {},
"name": "cpe40250",
"type": "Host"
}
]
}
"""

JQ_REGID_OUTPUT = b"""{
"regid": "0/3/9-15"
}
"""

PAGE_REGHOST_LIMIT1 = """{
"count": 1732,
"next": "http://krill.phicus.es:4780/api/v2/monitoring/search?limit=1&offset=1®host=SMR-OLT03&type=Host",
"previous": null,
"results": [
{
"attrs": {
"acknowledged": 0,
"acknowledgement": 0,
"address": "",
"alarm": 0,
"business_impact": 1,
"check_attempt": 1,
"check_command": "check_cpe",
"check_interval": 86400,
"check_period": "",
"downtime": 0,
"downtime_depth": 0,
"downtimed": 0,
"enable_active_checks": 1,
"enable_passive_checks": 1,
"flap_detection_enabled": 0,
"handled": 0,
"has_been_checked": 1,
"host_name": "cpe18838",
"is_flapping": 0,
"last_check": "2025-08-08T09:23:21.265000-05:00",
"last_hard_state": 1,
"last_hard_state_change": "2025-08-01T18:13:20-05:00",
"last_state_change": "2025-08-01T18:13:20-05:00",
"latency": 265,
"long_output": null,
"max_check_attempts": 1,
"next_check": "2025-08-09T09:23:21.265000-05:00",
"output": "online OLT03:0/14/3-7 0.0.0.0",
"perfdata": [
{
"critical": null,
"max": null,
"min": null,
"name": "dnbw",
"uom": "",
"value": 923862.3,
"warning": null
},
{
"critical": null,
"max": null,
"min": null,
"name": "upbw",
"uom": "",
"value": 32692.7,
"warning": null
}
],
"problem": 0,
"retry_interval": 60,
"service_name": "",
"severity": 0,
"state": 0,
"state_long": "up",
"state_type": 1,
"vars": {
"administrative_info": {
"access": true,
"actions": [
"diagnostic",
"factory",
"reboot",
"reconfig",
"reprovision",
"unprovision"
],
"active": true,
"address": "",
"address_profile": "nat",
"customer_address": "",
"customer_external_id": "",
"customer_name": "",
"external_voip": false,
"id": 18838,
"latitude": 11.249669,
"line_profile": "residential",
"longitude": -74.172168,
"model": "HG6143D",
"potses": [],
"profile_downstream": "400M",
"profile_name": "400 MB",
"profile_upstream": "400M",
"realm": "cpe",
"services": [
"dhcp",
"provision",
"tr069",
"txrx"
],
"sn": "",
"tech": "gpon",
"tr069": true,
"vendor": "FiberHome"
},
"business_impact": 1,
"cpe_registration_host": "OLT03",
"cpe_registration_id": "0/14/3-7",
"cpe_registration_state": "online",
"cpe_registration_tags": "OLT03-0/14/3",
"model": "HG6143D",
"search": "",
"type": "cpe",
"vendor": "FiberHome"
}
},
"joins": {},
"meta": {},
"name": "cpe",
"type": "Host"
}
]
}
""".encode()

JQ_NAME_SN_OUTPUT = b"""{
"name": "cpe18838",
"sn": "4648545497b054c0"
}"""

_BLANK_VALUE = re.compile(rb'^("(?:address|address_profile|customer_address|customer_external_id|customer_name)"):\n',
                          re.M)  # fmt: skip
MINUS_5 = dt.timezone(dt.timedelta(hours=-5))


def repaired(fragment: bytes) -> bytes:
    """A published fragment as the object it was: trailing ``,`` dropped, the five blanked values set to ``""``."""
    text, count = _BLANK_VALUE.subn(rb'\1: "",\n', fragment.rstrip().rstrip(b","))
    assert count in (0, 5)
    return text


def page_of(*objects: bytes) -> bytes:
    return b'{"count": %d, "next": null, "previous": null, "results": [' % len(objects) + b",".join(objects) + b"]}"


def jq_objects(output: bytes) -> list[dict[str, Any]]:
    """jq prints one object after another: decode them as a list."""
    decoded: list[dict[str, Any]] = msgspec.json.decode(b"[" + re.sub(rb"}\s*{", b"},{", output.strip()) + b"]")
    return decoded


def decode_page(body: bytes, model: Any) -> list[Any]:
    decoder: IncrementalPageDecoder[Any] = IncrementalPageDecoder(model, batch_bytes=512)
    decoder.feed(body)
    items: list[Any] = []
    while (batch := decoder.next_batch()) is not None:
        items += batch
    return items + decoder.finish()


# -- the vendor's objects ------------------------------------------------------------------------------


def test_the_service_sample_is_published_broken_and_repairs_to_exactly_five_blanks() -> None:
    with pytest.raises(msgspec.DecodeError):
        msgspec.json.decode(SERVICE_PONDESV_FRAGMENT.rstrip().rstrip(b","))
    fixed = msgspec.json.decode(repaired(SERVICE_PONDESV_FRAGMENT))
    info = fixed["attrs"]["vars"]["administrative_info"]
    blanked = ("address", "address_profile", "customer_address", "customer_external_id", "customer_name")
    assert all(info[key] == "" for key in blanked)
    assert repaired(HOST_ALARM_FRAGMENT) == HOST_ALARM_FRAGMENT.rstrip().rstrip(b",")  # nothing blanked there


def test_vendor_service_decodes_typed() -> None:
    service = decode_lax(repaired(SERVICE_PONDESV_FRAGMENT), Service, url="u")
    assert isinstance(service, Service) and service.is_service
    assert service.name == "cpe25365!txrx" and service.host_name == "cpe25365" and service.service_name == "txrx"
    attrs = service.attrs
    assert attrs is not None
    assert attrs.state == 1 and attrs.state_name == "warning" and attrs.severity == 1056
    assert attrs.last_check == dt.datetime(2025, 8, 7, 20, 47, 57, 982000, tzinfo=MINUS_5)
    assert attrs.last_state_change == dt.datetime(2025, 8, 6, 20, 48, 5, tzinfo=MINUS_5)  # no microseconds
    assert attrs.is_problem is True and attrs.is_handled is True and attrs.is_acknowledged is False
    assert service.metric("pondesv") == 2.32 and service.metric("dnrx") == -21.55 and service.metric("nope") is None
    pondesv = attrs.perf("pondesv")
    assert pondesv is not None and (pondesv.warning, pondesv.critical) == (2.0, 4.0) and pondesv.unit is None
    assert [p.name for p in attrs.perfdata or ()] == ["dnrx", "uptx", "uprx", "dnatt", "upatt", "pondesv"]
    # Service search results carry the host's vars
    assert service.olt == "OLT1" and service.registration_id == "0/7/7-35" and service.cpe_id == 25365
    assert service.registration == Registration("OLT1", "0/7/7-35", ("dyinggasp",), ("OLT01-0/7/7",))
    assert service.serial == "414c434cfcc55390" and str(service.pon_port) == "0/7/7" and service.registration.onu == 35
    assert service.administrative_info is not None and service.administrative_info.latitude == 10.414488


def test_vendor_alarmed_host_decodes_typed() -> None:
    host = decode_lax(repaired(HOST_ALARM_FRAGMENT), Host, url="u")
    assert host.is_host and host.name == "cpe13812" and host.host_name == "cpe13812" and host.service_name is None
    assert host.attrs is not None and host.attrs.state_name == "down" and host.attrs.is_alarmed is True
    assert host.attrs.output == "alarm/losi/offline OLT01:0/13/6-6 0.0.0.0"
    assert host.olt == "OLT01" and host.registration.state == "alarm" and host.registration.tags == ("OLT01-0/13/6",)
    assert host.pon_port is not None and (host.pon_port.frame, host.pon_port.slot, host.pon_port.port) == (0, 13, 6)
    assert host.metric("dnbw") == 0.0 and host.attrs.perf("upbw") is not None
    info = host.administrative_info
    assert info is not None and info.customer_external_id == "30116" and info.actions is not None
    assert "reboot" in info.actions and info.vendor == "Huawei" and info.access is True
    assert host.services == () and host.service("txrx") is None and host.meta == {}


def test_vendor_pages_decode_whole_and_incrementally_alike() -> None:
    for body in (PAGE_ALARM_REGTAG, PAGE_REGHOST_LIMIT1):
        whole = msgspec.json.decode(body)
        for model in (Host, MonitoringObject, dict):
            items = decode_page(body, model)
            assert len(items) == len(whole["results"]) == 1
    decoder: IncrementalPageDecoder[Host] = IncrementalPageDecoder(Host)
    decoder.feed(PAGE_REGHOST_LIMIT1)
    (host,) = decoder.finish()
    assert decoder.count == 1732 and decoder.previous is None
    assert (
        decoder.next == "http://krill.phicus.es:4780/api/v2/monitoring/search?limit=1&offset=1®host=SMR-OLT03&type=Host"
    )
    assert host.name == "cpe" and host.serial is None and host.olt == "OLT03"  # the vendor redacted name and sn
    assert host.metric("dnbw") == 923862.3 and host.attrs is not None and host.attrs.last_hard_state == 1


@pytest.mark.parametrize(
    ("body", "paths", "jq_output"),
    [
        # jq '.results[] | {regid: .attrs.vars.cpe_registration_id}'
        (PAGE_ALARM_REGTAG, {"regid": "attrs.vars.cpe_registration_id"}, JQ_REGID_OUTPUT),
        # jq '.results[] | {name: .name, sn: .attrs.vars.administrative_info.sn}': same shape; the page itself
        # is redacted, so the values are the page's
        (PAGE_REGHOST_LIMIT1, {"name": "name", "sn": ".attrs.vars.administrative_info.sn"}, None),
    ],
)
def test_vendor_jq_recipes_as_projections(body: bytes, paths: dict[str, str], jq_output: bytes | None) -> None:
    records = decode_page(body, projection(**paths))
    got = [record.to_dict() for record in records]
    if jq_output is not None:
        assert got == jq_objects(jq_output)
    else:
        assert got == [{"name": "cpe", "sn": ""}]
        assert list(jq_objects(JQ_NAME_SN_OUTPUT)[0]) == list(paths)  # the keys jq printed


def test_vendor_cpe_olt_recipe_on_the_service_sample() -> None:
    # jq '.results[] | {cpe: .name, olt: .attrs.vars.cpe_registration_host}'
    (record,) = decode_page(
        page_of(repaired(SERVICE_PONDESV_FRAGMENT)), projection(cpe="name", olt="attrs.vars.cpe_registration_host")
    )
    assert record.to_dict() == {"cpe": "cpe25365!txrx", "olt": "OLT1"}
    assert [set(obj) for obj in jq_objects(JQ_CPE_OLT_OUTPUT)] == [{"cpe", "olt"}] * 3


# -- drift ---------------------------------------------------------------------------------------------


def _host(**attrs: Any) -> dict[str, Any]:
    base: dict[str, Any] = msgspec.json.decode(repaired(HOST_ALARM_FRAGMENT))
    base["attrs"].update(attrs)
    return base


def _decode(obj: dict[str, Any], model: Any = Host) -> Any:
    return lax_decoder(model).decode(msgspec.json.encode(obj))


@pytest.mark.parametrize(
    ("state", "tags", "host", "expected_states", "expected_tags", "registered"),
    [
        ("alarm", "OLT01-0/13/6", "OLT01", ("alarm",), ("OLT01-0/13/6",), True),  # strings (DOC-ES 2025)
        (["alarm", "losi", "offline"], ["OLT01-0/13/6", "OLT01"], "OLT01", ("alarm", "losi", "offline"),
         ("OLT01-0/13/6", "OLT01"), True),  # lists (hosts/{name} 2023, jmq 2025)
        ("__regstate__", ["__regtags__"], "__reghost__", (), (), False),  # unregistered placeholders
        (None, None, None, (), (), False),  # keys absent
    ],
)  # fmt: skip
def test_registration_drift(
    state: Any, tags: Any, host: Any, expected_states: tuple[str, ...], expected_tags: tuple[str, ...], registered: bool
) -> None:
    obj = _host()
    host_vars = obj["attrs"]["vars"]
    for key, value in (("cpe_registration_state", state), ("cpe_registration_tags", tags),
                       ("cpe_registration_host", host)):  # fmt: skip
        if value is None:
            host_vars.pop(key)
        else:
            host_vars[key] = value
    if not registered:
        if state is None:
            host_vars.pop("cpe_registration_id")
        else:
            host_vars["cpe_registration_id"] = "__regid__"
    decoded = _decode(obj)
    reg = decoded.registration
    assert reg.states == expected_states and reg.tags == expected_tags and reg.registered is registered
    assert decoded.olt == (host if registered else None)
    assert (decoded.registration_id is not None) is registered and (decoded.pon_port is not None) is registered
    projected = _decode(obj, projection(state="attrs.vars.cpe_registration_state"))
    assert projected.state == (list(state) if isinstance(state, list) else state)  # a projection shows the raw value


def test_pending_objects() -> None:
    obj = _host(state=99, state_long="pending", has_been_checked=0, last_check=-1, perfdata=[], output=None,
                last_check_result=None)  # fmt: skip
    host = _decode(obj)
    assert host.is_pending and host.attrs.is_pending and host.state == 99 and host.state_name == "pending"
    assert host.attrs.last_check == -1.0 and host.attrs.last_checked is None and when(host.attrs.last_check) is None
    assert host.metric("dnbw") is None and host.attrs.last_check_result is None
    obj["attrs"]["last_check"] = None
    obj["attrs"]["state_long"] = None
    pending = _decode(obj)
    assert pending.attrs.last_check is None and pending.state_name == "pending"  # from the state number


def test_integers_written_as_doubles_by_old_icinga() -> None:
    fields = ("state", "state_type", "check_attempt", "severity", "business_impact", "last_hard_state",
              "max_check_attempts", "downtime_depth", "problem", "handled", "alarm", "acknowledged")  # fmt: skip
    obj = _host(**{name: float(_host()["attrs"][name]) for name in fields})
    obj["attrs"]["vars"]["administrative_info"]["id"] = 13812.0
    obj["attrs"]["vars"]["business_impact"] = 1.0
    host = _decode(obj)
    assert host.attrs.state == 1 and isinstance(host.attrs.state, int) and host.attrs.severity == 2112
    assert host.attrs.is_problem is True and host.attrs.is_alarmed is True and host.cpe_id == 13812
    assert isinstance(host.cpe_id, int) and host.attrs.state_name == "down"
    with pytest.raises(msgspec.ValidationError):  # a real fraction is not an integer
        _decode(_host(state=1.5))


def test_flags_as_booleans_and_uom_null() -> None:
    obj = _host(problem=True, handled=False, downtimed=1)
    obj["attrs"]["perfdata"][0]["uom"] = "null"
    obj["attrs"]["perfdata"][1]["uom"] = "bps"
    host = _decode(obj)
    assert host.attrs.is_problem is True and host.attrs.is_handled is False and host.attrs.in_downtime is True
    assert host.attrs.perfdata[0].unit is None and host.attrs.perfdata[0].uom == "null"
    assert host.attrs.perfdata[1].unit == "bps"


def test_unknown_fields_and_missing_everything() -> None:
    host = _decode({"type": "Host", "name": "x", "attrs": {"brand_new": {"a": [1]}, "state": 0}, "extra": 1})
    assert (
        host.attrs.state_name == "up" and host.olt is None and host.serial is None and host.registration.state is None
    )
    empty = _decode({})
    assert empty.name is None and empty.host_name is None and empty.state is None and empty.metric("x") is None
    assert empty.registration == Registration(None, None, (), ()) and empty.services == ()


def test_joined_services_and_repr_hides_nothing_secret() -> None:
    service = msgspec.json.decode(repaired(SERVICE_PONDESV_FRAGMENT))
    del service["attrs"]["vars"]  # joined services carry no vars
    obj = _host()
    obj["joins"] = {"services": [service]}
    host = _decode(obj)
    assert [s.name for s in host.services] == ["cpe25365!txrx"]
    joined = host.service("txrx")
    assert joined is not None and joined.metric("pondesv") == 2.32 and joined.olt is None
    assert "cpe13812" in repr(host) and host.to_dict()["name"] == "cpe13812"


def test_arrays_are_tuples_untracked_by_the_gc_after_one_pass() -> None:
    import gc

    host = decode_lax(repaired(HOST_ALARM_FRAGMENT), Host, url="u")
    assert isinstance(host.attrs.perfdata, tuple) and isinstance(host.administrative_info.actions, tuple)
    gc.collect()
    tracked = [gc.is_tracked(x) for x in (host, host.attrs, host.attrs.perfdata, host.administrative_info.actions)]
    assert tracked == [False, False, False, False]


# -- other answers -------------------------------------------------------------------------------------

CPE_INFO = b"""{"state": "up", "state_id": 0, "output": "online oltHuawei:0/5/14-2 10.8.33.14", "uptime": 86400,
"dnbw": 1000.5, "upbw": 20, "ips": ["10.8.33.14"], "distance": -1,
"alarms": [{"level": "warning", "type": "servicequality", "admin_status": "init", "name": "pondesv", "extra": ""}],
"registration": {"host": "oltHuawei", "id": "0/5/14-2", "last_down_time": null,
 "related_services": ["onug-olt0/05/14"], "states": ["online"], "tags": ["oltHuawei-0/5/14"]},
"services": {"txrx": {"output": "ok", "state_id": 0, "perfdatas": [{"metric": "dnrx", "value": -21.3, "uom": "dBm",
 "min": -40, "max": 0, "thresholds": [-27, -29], "items": []}, {"metric": "pondesv", "value": null, "uom": "dB",
 "min": 0, "max": 5, "thresholds": [], "items": []}]}},
"tech": {"line_profile": "lp", "service_profile": "sp", "type_name": "HG8245H", "service_ports": [{"id": 1,
 "user_vlan": 100, "service_vlan": 200, "inbound_traffic_table_name": "in", "outbound_traffic_table_name": "out",
 "native_vlan": 100}]}}"""


def test_cpe_info_shape_of_the_facts() -> None:
    info = decode_lax(CPE_INFO, CpeInfo, url="u")
    assert info.is_up and info.distance == -1 and info.ips == ("10.8.33.14",)
    assert info.registration is not None and info.registration.id == "0/5/14-2"
    assert info.services is not None and info.services["txrx"].metric("dnrx") == -21.3
    assert info.services["txrx"].metric("pondesv") is None
    assert (
        info.tech is not None and info.tech.service_ports is not None and info.tech.service_ports[0].service_vlan == 200
    )
    assert info.alarms is not None and info.alarms[0].type == "servicequality"


def test_graph_with_literal_null_uom() -> None:
    graph = decode_lax(
        b'{"group": "txrx", "severity": 0, "title": "TxRx", "type": "LineChart", "weight": 1, "range": "24h",'
        b'"datasets": [{"label": "dnrx", "measurement": "check_txrx", "metric": "dnrx", "uom": "null", "min": null,'
        b'"max": "null", "warning": -27, "critical": -29, "error": null, "percentile": null, "operator": null,'
        b'"color_index": 2}]}',
        Graph,
        url="u",
    )
    (line,) = graph.datasets or ()
    assert line.unit is None and line.uom == "null" and line.max is None and line.warning == -27.0
    assert line.color_index == 2 and graph.range == "24h"


def test_datasets_keys_parse_into_series() -> None:
    body = (
        b'{"check_txrx__pim0585__txrx__dnatt": [{"time": "2023-02-16T15:00:00Z", "value": 27.5, "unit": null},'
        b'{"time": "2023-02-16T19:00:00Z", "value": 27.9, "unit": null}],'
        b'"check_cpe__pim0585__None__dnbw": [{"time": "2023-02-16T15:00:00Z", "value": 10, "unit": null}],'
        b'"check_x__host__with__dunder__svc__metric": []}'
    )
    data = decode_lax(body, dict[str, list[DataPoint]], url="u")
    wanted = [
        DatasetMetric(host_name="pim0585", service_name="txrx", measurement="check_txrx", metric="dnatt"),
        DatasetMetric(host_name="pim0585", service_name=None, measurement="check_cpe", metric="dnbw"),
    ]
    series = series_from_datasets(data, wanted)
    assert [(s.measurement, s.host_name, s.service_name, s.metric) for s in series] == [
        ("check_txrx", "pim0585", "txrx", "dnatt"),
        ("check_cpe", "pim0585", None, "dnbw"),
        ("check_x", "host", "with__dunder__svc", "metric"),
    ]
    assert series[0].values == [27.5, 27.9] and series[0].points[1].time == dt.datetime(
        2023, 2, 16, 19, tzinfo=dt.timezone.utc
    )
    assert wanted[0].key == "check_txrx__pim0585__txrx__dnatt"
