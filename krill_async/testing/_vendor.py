"""The vendor's sample records, seeded into every generated network of 52 CPEs or more.

So that each request of the vendor's API v2 overview answers as the overview shows: ``sn=0000deadbeef0000``
is CPE 350 ``pim0350`` (customer 27), CPE 74 is ``pim0074`` of customer 65 "Incredulo Trotamundos" with POTS
lines 138/139 (``pim0074-1``/``-2``), and ``cpes/?attrs=id&offset=42&limit=3`` gives ids 119, 121, 123 (with
158 CPEs the count is the overview's 158 too, and CPE 350 is the last). The CPEs of the 2025 monitoring
samples (``cpe25365``, ``cpe40250``, ...) are CRM records too, so monitoring and the CRM agree on them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CPE_350", "CUSTOMER_65", "MIN_CPES", "MONITORING_CPES", "POTS_74", "vendor_cpe_ids"]

Record = dict[str, Any]

CPE_350: Record = {
    "access": True, "active": True, "address": "", "address_profile": None, "avatar": "HG4201", "bridge": False,
    "city": "", "country": None, "cpename": "pim0350", "created": "2022-12-17T23:00:01+01:00", "customer": 27,
    "disable_provision": False, "disable_reconfig": False, "dsn": None, "enable_notifications": False,
    "expiration_date": None, "external_id": None, "external_voip": False, "fixed_address": None,
    "has_tr069": True, "id": 350, "internal_id": "pim0350", "is_bitstream": False, "is_router": True,
    "lan_cidr": None, "latitude": None, "line_profile": None, "locality": "", "longitude": None, "mac": None,
    "me_vlan": None, "model": "HG8245H", "mtamac": None, "notes": "", "postalcode": None, "pppoe_password": "",
    "pppoe_username": None, "probe": False, "profile": 7, "realm": "pim", "remote_id": None,
    "sn": "0000deadbeef0000", "tech": "gpon", "tech_updated": None, "topology": "", "tr069": True,
    "tv_profile": None, "updated": "2022-12-17T23:00:01+01:00", "voip_profile": None, "wanmac": None,
    "wifi_password": "", "wifi_profile": None, "wifi_ssid": "",
    "_services": ["provision", "txrx", "dhcp", "tr069"],
}  # fmt: skip
"""The overview's ``GET api/v2/isp/cpes/?sn=0000deadbeef0000`` record, plus the later fields ``locality``
(2023-02 sample) and ``is_bitstream`` (2025); ``_links`` follow the configured layout."""

CUSTOMER_65: Record = {
    "address": "Calle Bolivia nº 21 3ºB", "city": "Coslada, Madrid", "comment": "", "country": "Spain",
    "created": "2019-11-08T15:57:08+01:00", "external_id": None, "id": 65, "latitude": None, "longitude": None,
    "name": "Incredulo", "postalcode": None, "realm": "pim", "surname": "Trotamundos",
    "updated": "2019-11-08T15:57:08+01:00",
}  # fmt: skip

POTS_74: list[Record] = [
    {
        "billing_profile": None,
        "cli": None,
        "context": None,
        "contextname": None,
        "cpe": 74,
        "custom_digitmap": None,
        "dtmf": "auto",
        "id": pid,
        "label": None,
        "language": None,
        "lineid": f"pim0074-{order}",
        "order": order,
        "password": None,
        "pbx_extension": False,
        "username": None,
        "voicemail": False,
        "voicemail_password": None,
    }
    for pid, order in ((138, 1), (139, 2))
]
"""The overview's ``joins=customer,potses`` lines of CPE 74 (``billing_profile`` is the 2025 field)."""

#: The CRM side of the monitoring samples' hosts (Spanish overview, 2025): id -> fields the samples fix.
MONITORING_CPES: dict[int, Record] = {
    41385: {"model": "HG8245H", "sn": "48575443a1c04e85"},
    18838: {"model": "HG6143D", "sn": "4648545497b054c0", "latitude": "11.2496690", "longitude": "-74.1721680"},
    7819: {"model": "EG8145V5", "sn": "485754437c0b1e2a"},
    482: {"model": "HG6144F", "sn": "4648545411d0482f"},
    25365: {"model": "G-0425G-C", "sn": "414c434cfcc55390", "latitude": "10.4144880", "longitude": "-75.5026810"},
    13812: {"model": "EG8145V5", "sn": "4857544316d237a1", "latitude": "10.4153030", "longitude": "-75.4570820"},
    40250: {"model": "HG6144F", "sn": "464854549ca50778", "latitude": "10.9272710", "longitude": "-74.8145670"},
}

MIN_CPES = 45 + len(MONITORING_CPES)
"""The smallest network that carries the samples (ids 1..123 for the overview's page, then the rest)."""


def vendor_cpe_ids(total: int) -> list[int]:
    """Ids of the generated CPEs of a ``total``-CPE network (the monitoring samples' CPEs come on top):
    42 ids in 1..118 including 74, then 119, 121, 123, then every other id from 140 with 350 included."""
    generated = total - len(MONITORING_CPES)
    head = sorted({1 + (k * 117) // 41 for k in range(42)} - {73, 75} | {74})
    while len(head) < 42:  # keep exactly 42 ids below 119
        head.append(next(i for i in range(1, 119) if i not in head))
        head.sort()
    ids = [*head[:42], 119, 121, 123]
    tail = generated - len(ids)
    if tail <= 106:
        ids += [140 + 2 * k for k in range(tail - 1)] + [350]
    else:
        ids += [140 + 2 * k for k in range(106)]
        nxt = 351
        while len(ids) < generated:
            if nxt not in MONITORING_CPES:
                ids.append(nxt)
            nxt += 1
    return ids


def seed_samples(net: Any, rng: Any, used_sn: set[str]) -> None:
    """Put the sample records into a freshly generated network ``net`` (a [`Network`][krill_async.testing.Network] whose
    CPE ids came from `vendor_cpe_ids()`); ``rng`` keeps it deterministic per seed."""
    from ._records import _random_cpe, _random_customer, cpe_links

    old_27 = net.customers.get(27)
    net._store("customers", {**(old_27 or _random_customer(rng, 27, 0.0)), "realm": "pim"})
    net._store("customers", dict(CUSTOMER_65))
    owners = [c for c in net.customers.values() if c["realm"] == "cpe"] or [net.customers[27]]
    used_sn.update(str(fields["sn"]) for fields in MONITORING_CPES.values())
    for n, (rid, fields) in enumerate(MONITORING_CPES.items()):
        rec = _random_cpe(rng, rid, owners[n % len(owners)], 0.0, 0, used_sn)
        rec.update(
            realm="cpe", cpename=f"cpe{rid:04d}", internal_id=f"cpe{rid:04d}", tech="gpon", access=True,
            active=True, has_tr069=True, bridge=False, external_voip=False, address_profile="nat",
            line_profile="residential", pppoe_username=None, pppoe_password="", probe=False, topology="",
            disable_provision=False, disable_reconfig=False, address="", city="", locality="", **fields,
        )  # fmt: skip
        net._store("cpes", rec)
        net._recompute_cpe(rec)
    net._store("cpes", {**CPE_350, "_links": cpe_links(350, net.link_layout)})
    cpe_74 = {**net.cpes[74], "cpename": "pim0074", "internal_id": "pim0074", "realm": "pim", "customer": 65}
    for pid in list(net._potses_by_cpe.get(74, ())):
        net._unindex(net._potses_by_cpe, 74, pid)
        del net.potses[pid]
    for pots in POTS_74:
        taken = net.potses.get(pots["id"])
        if taken is not None:  # another CPE's line holds the sample's id: renumber it after the last one
            net._unindex(net._potses_by_cpe, taken["cpe"], taken["id"])
            del net.potses[taken["id"]]
            net._store("potses", {**taken, "id": max(net.potses, default=0) + 1000})
        net._store("potses", dict(pots))
    cpe_74["voip_profile"] = "sip"
    net._recompute_cpe(cpe_74)
    net._store("cpes", dict(sorted(cpe_74.items())))
    for table in (net.cpes, net.customers, net.potses):  # keep every table in id order, as generated ones are
        ordered = sorted(table.items())
        table.clear()
        table.update(ordered)
