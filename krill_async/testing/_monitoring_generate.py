"""Generation of the monitoring facts: registration states, positions (one per CPE, the samples' own kept),
drift and unregistered hosts, metrics; deterministic per seed.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from ._data import Record
from ._monitoring_facts import _NOW, _OLTS, _REGSTATE_WEIGHTS, _REGSTATES, DRIFT_KINDS, HostFacts
from ._monitoring_samples import JMQ_POSITION, RESERVED_PONS, SAMPLE_HOSTS

__all__ = ["Position", "generate_facts"]

Position = tuple[str, tuple[int, int, int], int]


def _position(rand: Callable[[], float], used: set[Position]) -> Position:
    """A free ONU position: one CPE sits at one place, and the reserved PONs stay the samples' own."""
    while True:
        olt = _OLTS[int(rand() * len(_OLTS))]
        pon = (0, int(rand() * 16), int(rand() * 16))
        onu = int(rand() * 64) + 1
        if (olt, pon) in RESERVED_PONS or (olt, pon, onu) in used:
            continue
        used.add((olt, pon, onu))
        return olt, pon, onu


def generate_facts(
    cpes: list[Record], count: int, *, seed: int, drift_share: float, unregistered: float
) -> list[HostFacts]:
    """The facts of ``count`` hosts: host ``i`` mirrors ``cpes[i]`` (the samples' CPEs first), extra hosts are
    CPE-like GPON hosts with ids after the last CPE."""
    rng = random.Random(seed * 7919 + 3)
    rand = rng.random
    cpes = cpes
    next_id = (max((c["id"] for c in cpes), default=0)) + 1
    weights = list(_REGSTATE_WEIGHTS)
    facts: list[HostFacts] = []
    used = {(fixed["olt"], fixed["pon"], fixed["onu"]) for fixed in SAMPLE_HOSTS.values()}
    used.add(JMQ_POSITION)
    jmq_placed = False
    for index in range(count):
        if index < len(cpes):
            cpe = cpes[index]
            cpe_id, name, tech = int(cpe["id"]), str(cpe["cpename"]), str(cpe["tech"])
            services = tuple(sorted(cpe["_services"]))
            topology = str(cpe["topology"])
            probe = bool(cpe["probe"])
        else:
            cpe_id, name, tech = next_id, f"cpe{next_id:04d}", "gpon"
            next_id += 1
            services = ("dhcp", "provision", "tr069", "txrx")
            topology = f"NAP-{int(rand() * 400) + 1:04d}" if rand() < 0.4 else ""
            probe = False
        groups = (f"cpe{tech}", "cpeprobe") if probe else (f"cpe{tech}",)
        states = rng.choices(_REGSTATES, weights)[0]
        online = states[0] == "online"
        drift: frozenset[str] = frozenset()
        if rand() < drift_share:
            kinds = {DRIFT_KINDS[int(rand() * len(DRIFT_KINDS))]}
            if rand() < 0.3:
                kinds.add(DRIFT_KINDS[3 + int(rand() * 4)])  # plus one of the non-registration kinds
            drift = frozenset(kinds)
        if rand() < unregistered:
            drift = drift | {"placeholder" if rand() < 0.6 else "absent"}
        txrx: tuple[float, ...] = ()
        if "txrx" in services and online:
            pondesv = round(rand() * 2.6 - 0.4 if rand() < 0.9 else 2.0 + rand() * 3.0, 2)
            txrx = (
                round(-18.0 - rand() * 10.0, 2),
                round(1.5 + rand() * 2.0, 2),
                round(-20.0 - rand() * 9.0, 2),
                round(20.0 + rand() * 10.0, 2),
                round(20.0 + rand() * 10.0, 2),
                pondesv,
            )
        checked = _NOW - rand() * 86400.0
        olt, pon, onu = _position(rand, used)
        fact = HostFacts(
            index=index,
            cpe_id=cpe_id,
            name=name,
            tech=tech,
            groups=groups,
            services=services,
            olt=olt,
            pon=pon,
            onu=onu,
            states=states,
            ip=f"10.8.{int(rand() * 256)}.{int(rand() * 254) + 1}" if online else "0.0.0.0",
            latency=int(rand() * 1000),
            checked=float(int(checked)),
            changed=float(int(checked - rand() * 30 * 86400.0)),
            dnbw=round(rand() * 1_000_000.0, 1) if online else 0.0,
            upbw=round(rand() * 50_000.0, 1) if online else 0.0,
            txrx=txrx,
            handled=rand() < 0.2,
            drift=drift,
            topology=topology,
        )
        fixed = SAMPLE_HOSTS.get(cpe_id) if index < len(cpes) else None
        if fixed is not None:
            fact = dataclasses.replace(fact, drift=frozenset(), **fixed)
            if "ip" not in fixed and fact.states[0] != "online":
                fact.ip, fact.dnbw, fact.upbw = "0.0.0.0", 0.0, 0.0
        elif not jmq_placed and tech == "gpon" and fixed is None:
            jmq_placed = True  # the first other GPON host hangs where jmq-krill's example looks
            fact = dataclasses.replace(fact, olt=JMQ_POSITION[0], pon=JMQ_POSITION[1], onu=JMQ_POSITION[2])
            fact.drift = fact.drift - {"placeholder", "absent"}
        facts.append(fact)
    return facts
