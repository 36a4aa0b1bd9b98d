"""What the simulator knows about each monitoring host (`HostFacts`) and the constants of the
vendor's samples that monitoring objects are built from.

Split from the JSON builders so that other apps (gpon) can share the same facts without the encoders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ._data import TZ

__all__ = ["DRIFT_KINDS", "OLTS", "TXRX_METRICS", "HostFacts"]

TXRX_METRICS = ("dnrx", "uptx", "uprx", "dnatt", "upatt", "pondesv")
#: (critical, max, min, warning) per txrx metric, from the vendor's sample.
_TXRX_LIMITS = {
    "dnrx": (-8.0, 5.0, -49.0, -11.0),
    "uptx": (16.0, 15.0, -10.0, 15.0),
    "uprx": (-9.0, 5.0, -49.0, -12.0),
    "dnatt": (50.0, 60.0, 1.0, 30.0),
    "upatt": (50.0, 60.0, 1.0, 30.0),
    "pondesv": (4.0, 10.0, -10.0, 2.0),
}
DRIFT_KINDS = ("list", "placeholder", "absent", "pending", "floats", "uom_null", "no_micro")
OLTS: dict[str, str] = {
    "CAR-OLT01": "OLT01",
    "CAR-OLT02": "OLT02",
    "SMR-OLT03": "OLT03",
    "CAR-OLT04": "OLT04",
    "oltCEEIM": "oltCEEIM",
    "oltHuawei": "oltHuawei",
}
"""Every OLT, full name -> the label monitoring's vars and outputs show. The overview's filters name an OLT in
full (``reghost==SMR-OLT03``, ``regtag==CAR-OLT02-0/3/9``) while its answers show ``OLT03`` and
``OLT02-0/3/9``: the site prefix is dropped in vars (an inference from the samples). gpon knows both names."""
_OLTS = tuple(OLTS)
_REGSTATES = (
    ("online",),
    ("offline",),
    ("alarm", "losi", "offline"),
    ("alarm", "lofi", "offline"),
    ("dyinggasp", "offline"),
    ("losi", "offline"),
)
_REGSTATE_WEIGHTS = (0.80, 0.07, 0.05, 0.02, 0.04, 0.02)
_VENDORS = {"48575443": "Huawei", "414c434c": "ALCL", "46485454": "FiberHome"}
_GPON_MODELS = (("HG8245H", "48575443"), ("EG8145V5", "48575443"), ("G-0425G-C", "414c434c"), ("HG6144F", "46485454"))
_PROFILES = {i: (f"{mb} MB", f"{mb}M", f"{mb}M") for i, mb in enumerate((30, 50, 100, 200, 300, 400, 600, 1000), 1)}
_ACTIONS = ["diagnostic", "factory", "reboot", "reconfig", "reprovision", "unprovision"]
_CHECK_COMMANDS = {"txrx": "check_txrx", "dhcp": "check_dhcp", "provision": "check_provision", "tr069": "check_tr069"}
_NOW = datetime(2025, 8, 8, 9, 23, 21, tzinfo=TZ).timestamp()


@dataclass(slots=True)
class HostFacts:
    """What the simulator knows about one host; everything else in its JSON derives from these."""

    index: int
    cpe_id: int
    name: str
    tech: str
    groups: tuple[str, ...]
    services: tuple[str, ...]
    olt: str
    pon: tuple[int, int, int]
    onu: int
    states: tuple[str, ...]  # canonical registration states, main one first
    ip: str
    latency: int
    checked: float  # epoch of the last check
    changed: float  # epoch of the last state change
    dnbw: float
    upbw: float
    txrx: tuple[float, ...]
    handled: bool
    drift: frozenset[str]
    topology: str

    @property
    def pending(self) -> bool:
        return "pending" in self.drift

    @property
    def state(self) -> int:
        """Host state: 0 up, 1 down, 99 pending."""
        if self.pending:
            return 99
        return 0 if self.states[0] == "online" and "placeholder" not in self.drift else 1

    @property
    def olt_label(self) -> str:
        """The OLT as vars and outputs show it (``OLT03`` for ``SMR-OLT03``)."""
        return OLTS.get(self.olt, self.olt)

    @property
    def pon_text(self) -> str:
        return f"{self.pon[0]}/{self.pon[1]}/{self.pon[2]}"

    @property
    def regtag(self) -> str:
        """The registration tag as vars show it (``OLT02-0/3/9``)."""
        return f"{self.olt_label}-{self.pon_text}"

    @property
    def registered(self) -> bool:
        """Whether monitoring knows where the CPE is (no ``__reghost__`` placeholders, keys present)."""
        return not self.drift & {"placeholder", "absent"}

    def matches_reghost(self, wanted: str) -> bool:
        """``reghost=``: the OLT's full name or its label."""
        return self.registered and wanted in (self.olt, self.olt_label)

    def matches_regtag(self, wanted: str) -> bool:
        """``regtag=``: ``<OLT>-<frame>/<slot>/<port>`` or ``<OLT>``, the OLT in full or as its label."""
        if not self.registered:
            return False
        names = (self.olt, self.olt_label)
        return wanted in names or wanted in {f"{name}-{self.pon_text}" for name in names}

    @property
    def regid(self) -> str:
        return f"{self.pon_text}-{self.onu}"

    def exposed_states(self) -> tuple[str, ...]:
        """The registration states as this host's JSON shows them (what regstate= matches)."""
        if self.drift & {"placeholder", "absent"}:
            return ()
        return self.states if "list" in self.drift else self.states[:1]

    def exposed_tags(self) -> tuple[str, ...]:
        if self.drift & {"placeholder", "absent"}:
            return ()
        return (self.regtag, self.olt_label) if "list" in self.drift else (self.regtag,)

    def exposed_host(self) -> str | None:
        return self.olt_label if self.registered else None

    def txrx_state(self) -> int:
        """State of the txrx service: warning above pondesv 2, critical above 4; unknown without data."""
        if self.pending:
            return 99
        if not self.txrx:
            return 3
        pondesv = self.txrx[5]
        return 2 if pondesv > 4.0 else 1 if pondesv > 2.0 else 0

    def metrics(self, service: str | None) -> dict[str, float]:
        """Perfdata values of the host (``None``) or one of its services, by metric name."""
        if self.pending:
            return {}
        if service is None:
            return {"dnbw": self.dnbw, "upbw": self.upbw}
        if service == "txrx" and self.txrx:
            return dict(zip(TXRX_METRICS, self.txrx, strict=True))
        return {}


def _iso(epoch: float, micro: bool) -> str:
    stamp = datetime.fromtimestamp(epoch if micro else float(int(epoch)), TZ)
    return stamp.isoformat()


def _floats(value: Any) -> Any:
    """Integers written as doubles, as Icinga did before 2.13 (``1`` becomes ``1.0``)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, dict):
        return {k: _floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats(v) for v in value]
    return value
