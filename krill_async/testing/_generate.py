"""Generation of a deterministic network ([`Network.generate()`][krill_async.testing.Network.generate]): customers,
CPEs, POTS lines, and the vendor's sample records on top.

One seeded ``random.Random`` drives everything, so the same arguments give byte-identical records.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from ._records import _SPAN, _int, _pick, _random_cpe, _random_customer, _random_pots
from ._vendor import MIN_CPES, seed_samples, vendor_cpe_ids

if TYPE_CHECKING:
    from ._data import Network

__all__ = ["generate_network"]


def generate_network(net: Network, seed: int, customers: int | None, cpes: int, *, vendor_samples: bool) -> Network:
    """Fill the empty ``net``; see [`Network.generate()`][krill_async.testing.Network.generate]."""
    if customers is None:
        customers = max(1, cpes // 2)
    if customers < 1 and cpes > 0:
        raise ValueError("CPEs need at least one customer")
    rng = random.Random(seed)
    cust_ids: list[int] = []
    next_id = 1
    step = _SPAN / max(customers, 1)
    ts = 0.0
    for _ in range(customers):
        ts += rng.uniform(0.0, 2 * step)
        rec = _random_customer(rng, next_id, ts)
        net._store("customers", rec)
        cust_ids.append(next_id)
        next_id += 1 + (_int(rng, 1, 3) if rng.random() < 0.1 else 0)
    next_id = 1
    pots_id = 1
    step = _SPAN / max(cpes, 1)
    ts = 0.0
    used_sn: set[str] = set()
    used_cli: set[str] = set()
    vendor_ids = vendor_cpe_ids(cpes) if vendor_samples and cpes >= MIN_CPES else None
    for index in range(len(vendor_ids) if vendor_ids else cpes):
        ts += rng.uniform(0.0, 2 * step)
        customer = net.customers[_pick(rng, cust_ids)]
        n_lines = 0
        if rng.random() < 1 / 3:
            n_lines = 1 if rng.random() < 0.75 else 2
        rid = vendor_ids[index] if vendor_ids else next_id
        rec = _random_cpe(rng, rid, customer, ts, n_lines, used_sn)
        net._store("cpes", rec)
        for order in range(1, n_lines + 1):
            pots = _random_pots(rng, pots_id, rec, order, used_cli)
            net._store("potses", pots)
            pots_id += 1 + (1 if rng.random() < 0.05 else 0)
        next_id += 1 + (_int(rng, 1, 3) if rng.random() < 0.15 else 0)
    if vendor_ids:
        seed_samples(net, rng, used_sn)
    net._next_id = {
        "cpes": max(net.cpes, default=0) + 1,
        "customers": max(net.customers, default=0) + 1,
        "potses": max(net.potses, default=0) + 1,
    }
    return net
