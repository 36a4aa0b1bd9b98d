"""Real Krill answers, verbatim from the vendor's API v2 overview (2023-01) and the facts file, as test data.

The v1 and v2 CPE bodies are the guide's ``GET api/cpes/?sn=0000deadbeef0000`` and
``GET api/v2/isp/cpes/?sn=0000deadbeef0000`` examples; ``POSTMAN_LINKS`` carries the other link prefix
(``/api/v2/isp/cpes/585/...``) of the 2023-02 Postman sample; the Rubik values are the documented ones.
"""

from __future__ import annotations

import json
from typing import Any

V1_CPES_BODY = """[
    {
        "access": true,
        "active": true,
        "address": "",
        "address_profile": null,
        "bridge": false,
        "city": "",
        "country": null,
        "cpename": "pim0350",
        "created": "2022-12-17T23:00:01+01:00",
        "customer": 27,
        "disable_provision": false,
        "disable_reconfig": false,
        "dsn": null,
        "enable_notifications": false,
        "expiration_date": null,
        "external_id": null,
        "external_voip": false,
        "fixed_address": null,
        "has_tr069": true,
        "id": 350,
        "internal_id": "pim0350",
        "lan_cidr": null,
        "latitude": null,
        "line_profile": null,
        "longitude": null,
        "mac": null,
        "me_vlan": null,
        "model": "HG8245H",
        "mtamac": null,
        "notes": "",
        "postalcode": null,
        "pppoe_password": "",
        "pppoe_username": null,
        "probe": false,
        "profile": 7,
        "realm": "pim",
        "remote_id": null,
        "sn": "0000deadbeef0000",
        "tech": "gpon",
        "tech_updated": null,
        "topology": "",
        "tv_profile": null,
        "updated": "2022-12-17T23:00:01+01:00",
        "voip_profile": null,
        "wanmac": null,
        "wifi_password": "",
        "wifi_profile": null,
        "wifi_ssid": ""
    }
]"""

V2_CPES_BODY = """{
    "count": 1,
    "next": null,
    "previous": null,
    "results": [
        {
            "_links": {
                "actions": {
                    "diagnostic": "/api/v2/cpes/350/cwmp_diagnostic",
                    "factory": "/api/v2/cpes/350/factory",
                    "reboot": "/api/v2/cpes/350/reboot",
                    "reconfig": "/api/v2/cpes/350/reconfig",
                    "reprovision": "/api/v2/cpes/350/reprovision",
                    "unprovision": "/api/v2/cpes/350/unprovision"
                },
                "links": {
                    "cdrs": "/api/v2/cpes/350/events?type=cdr",
                    "customer": "/api/v2/cpes/350/customer",
                    "cwmp_info": "/api/v2/cpes/350/cwmp_info",
                    "events": "/api/v2/cpes/350/events",
                    "info": "/api/v2/cpes/350/info",
                    "links": "/api/v2/cpes/350/links",
                    "livestatus": "/api/v2/cpes/350/livestatus",
                    "logs": "/api/v2/cpes/350/logs",
                    "model": "/api/v2/cpes/350/model",
                    "potses": "/api/v2/cpes/350/potses",
                    "profile": "/api/v2/cpes/350/profile"
                }
            },
            "_services": [
                "provision",
                "txrx",
                "dhcp",
                "tr069"
            ],
            "access": true,
            "active": true,
            "address": "",
            "address_profile": null,
            "avatar": "HG4201",
            "bridge": false,
            "city": "",
            "country": null,
            "cpename": "pim0350",
            "created": "2022-12-17T23:00:01+01:00",
            "customer": 27,
            "disable_provision": false,
            "disable_reconfig": false,
            "dsn": null,
            "enable_notifications": false,
            "expiration_date": null,
            "external_id": null,
            "external_voip": false,
            "fixed_address": null,
            "has_tr069": true,
            "id": 350,
            "internal_id": "pim0350",
            "is_router": true,
            "lan_cidr": null,
            "latitude": null,
            "line_profile": null,
            "longitude": null,
            "mac": null,
            "me_vlan": null,
            "model": "HG8245H",
            "mtamac": null,
            "notes": "",
            "postalcode": null,
            "pppoe_password": "",
            "pppoe_username": null,
            "probe": false,
            "profile": 7,
            "realm": "pim",
            "remote_id": null,
            "sn": "0000deadbeef0000",
            "tech": "gpon",
            "tech_updated": null,
            "topology": "",
            "tr069": true,
            "tv_profile": null,
            "updated": "2022-12-17T23:00:01+01:00",
            "voip_profile": null,
            "wanmac": null,
            "wifi_password": "",
            "wifi_profile": null,
            "wifi_ssid": ""
        }
    ]
}"""

JOINS_BODY = """{
    "customer": {
        "address": "Calle Bolivia nº 21 3ºB",
        "city": "Coslada, Madrid",
        "comment": "",
        "country": "Spain",
        "created": "2019-11-08T15:57:08+01:00",
        "external_id": null,
        "id": 65,
        "latitude": null,
        "longitude": null,
        "name": "Incredulo",
        "postalcode": null,
        "realm": "pim",
        "surname": "Trotamundos",
        "updated": "2019-11-08T15:57:08+01:00"
    },
    "id": 74,
    "potses": [
        {
            "cli": null,
            "context": null,
            "contextname": null,
            "custom_digitmap": null,
            "dtmf": "auto",
            "id": 138,
            "label": null,
            "language": null,
            "lineid": "pim0074-1",
            "order": 1,
            "password": null,
            "pbx_extension": false,
            "username": null,
            "voicemail": false,
            "voicemail_password": null
        },
        {
            "cli": null,
            "context": null,
            "contextname": null,
            "custom_digitmap": null,
            "dtmf": "auto",
            "id": 139,
            "label": null,
            "language": null,
            "lineid": "pim0074-2",
            "order": 2,
            "password": null,
            "pbx_extension": false,
            "username": null,
            "voicemail": false,
            "voicemail_password": null
        }
    ]
}"""


def postman_links(cpe_id: int) -> dict[str, dict[str, str]]:
    """``_links`` with the ``/api/v2/isp/cpes/{id}/`` prefix of the Postman sample."""
    base = f"/api/v2/isp/cpes/{cpe_id}/"
    actions = {
        "diagnostic": "cwmp_diagnostic",
        "factory": "factory",
        "reboot": "reboot",
        "reconfig": "reconfig",
        "reprovision": "reprovision",
        "unprovision": "unprovision",
    }
    links = {
        "cdrs": "events?type=cdr",
        "customer": "customer",
        "cwmp_info": "cwmp_info",
        "events": "events",
        "info": "info",
        "links": "links",
        "livestatus": "livestatus",
        "logs": "logs",
        "model": "model",
        "potses": "potses",
        "profile": "profile",
    }
    return {
        "actions": {k: base + v for k, v in actions.items()},
        "links": {k: base + v for k, v in links.items()},
    }


def v2_cpe(**changes: Any) -> dict[str, Any]:
    """The v2 sample CPE record, with ``changes`` applied."""
    record: dict[str, Any] = json.loads(V2_CPES_BODY)["results"][0]
    record.update(changes)
    return record


#: A Rubik address id as documented: padded with trailing spaces, to be kept byte-exact.
RUBIK_ADDRESS_ID = "17000831539000002       "

#: A created Rubik service, from the documented fields and values (facts §6.2, §7.11).
RUBIK_SERVICE_BODY = json.dumps(
    {
        "id": 42,
        "owner": "onivia",
        "address_uid": RUBIK_ADDRESS_ID,
        "remote_id": None,
        "state": "InProgress",
        "last_state": None,
        "owner_state": "VAL",
        "product": "ftth-residencial",
        "installation_info": {},
        "service_profile": "FTTH_1G",
        "ppai": "NO_APLICA",
        "tv_remote_id": None,
        "crm_phone_label": "600000000",
        "crm_contact_label": None,
        "crm_external_id": "CLI-1",
        "crm_customer_label": "Incredulo Trotamundos",
        "administrative_id": None,
        "order_id": "42:231110172544:",
        "reason": "",
        "planned": "2023-11-20 09:30",
        "created": "2023-11-10T17:25:44.123456+01:00",
        "updated": "2023-11-10T17:25:44.654321+01:00",
        "an_unknown_future_field": {"ignored": True},
    }
)
