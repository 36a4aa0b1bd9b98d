"""The hosts of the vendor's 2025 monitoring samples (Spanish overview), as facts the generator applies.

They come first in search order, so the overview's examples answer with the sample's objects: the first
services with ``pondesv`` above 2 are ``cpe41385``, ``cpe7819`` and ``cpe0482`` (OLT04, OLT03, OLT03), the first
host of ``reghost=SMR-OLT03`` is ``cpe18838`` (``0/14/3-7``), and ``regstate=alarm regtag=CAR-OLT02-0/3/9`` finds
exactly ``cpe40250`` (``0/3/9-15``). Their CRM records are in ``_vendor.MONITORING_CPES``. The jmq-krill
example position (``oltCEEIM`` frame 0 slot 05 port 15) holds the first other GPON host.
"""

from __future__ import annotations

from typing import Any

from ._monitoring_facts import _NOW

__all__ = ["JMQ_POSITION", "RESERVED_PONS", "SAMPLE_HOSTS"]

_ONLINE = ("online",)
_ALARM = ("alarm", "losi", "offline")

SAMPLE_HOSTS: dict[int, dict[str, Any]] = {
    41385: {"olt": "CAR-OLT04", "pon": (0, 2, 4), "onu": 11, "states": _ONLINE,
            "txrx": (-22.8, 2.1, -23.5, 27.5, 26.3, 3.05)},
    18838: {"olt": "SMR-OLT03", "pon": (0, 14, 3), "onu": 7, "states": _ONLINE, "ip": "0.0.0.0",
            "dnbw": 923862.3, "upbw": 32692.7, "latency": 265, "checked": _NOW,
            "txrx": (-19.52, 2.31, -21.4, 24.1, 23.9, 0.41)},
    7819: {"olt": "SMR-OLT03", "pon": (0, 2, 12), "onu": 3, "states": _ONLINE,
           "txrx": (-24.1, 2.5, -26.0, 28.2, 27.7, 2.47)},
    482: {"olt": "SMR-OLT03", "pon": (0, 5, 1), "onu": 20, "states": _ONLINE,
          "txrx": (-26.3, 1.9, -27.1, 29.8, 29.0, 4.31)},
    25365: {"olt": "CAR-OLT01", "pon": (0, 7, 7), "onu": 35, "states": ("dyinggasp", "offline"),
            "latency": 982, "handled": True, "txrx": (-21.55, 2.67, -24.95, 26.61, 27.62, 2.32)},
    13812: {"olt": "CAR-OLT01", "pon": (0, 13, 6), "onu": 6, "states": _ALARM, "latency": 854, "handled": False},
    40250: {"olt": "CAR-OLT02", "pon": (0, 3, 9), "onu": 15, "states": _ALARM, "latency": 842, "handled": False},
}  # fmt: skip
"""CPE id -> the facts the samples fix (everything else is generated)."""

RESERVED_PONS = frozenset({("CAR-OLT02", (0, 3, 9))})
"""PONs where no generated host goes (the overview's alarm search there finds exactly one host)."""

JMQ_POSITION = ("oltCEEIM", (0, 5, 15), 1)
