"""A simulated Krill (Phicus) API server for testing and benchmarking krill_async.

The simulator is written from the documented facts of the real API, independently of the
client, so it can catch client bugs. Names are imported lazily so that loading the pytest
plugin (which lives in this package) stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from krill_async._lazy import lazy_attributes

if TYPE_CHECKING:
    from ._data import Network
    from ._faults import Fault
    from ._server import KrillSimulator, RequestInfo, RequestRecord, SimulatorConfig, SimulatorStats
    from ._spawn import spawn_simulator

__all__ = [
    "Fault",
    "KrillSimulator",
    "Network",
    "RequestInfo",
    "RequestRecord",
    "SimulatorConfig",
    "SimulatorStats",
    "spawn_simulator",
]

_LOCATIONS = {
    "KrillSimulator": "._server",
    "RequestInfo": "._server",
    "RequestRecord": "._server",
    "SimulatorConfig": "._server",
    "SimulatorStats": "._server",
    "Network": "._data",
    "Fault": "._faults",
    "spawn_simulator": "._spawn",
}


__getattr__, __dir__ = lazy_attributes(__name__, _LOCATIONS)
