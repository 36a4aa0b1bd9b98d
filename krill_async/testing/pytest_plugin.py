"""pytest fixtures for a simulated Krill server (registered through the ``pytest11`` entry point).

Importing this module is cheap: the simulator (and aiohttp) is only imported when a fixture runs.
The fixtures are synchronous (the server runs in a thread), so they need no async plugin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._data import Network
    from ._server import KrillSimulator

__all__ = ["krill_simulator", "krill_simulator_factory"]


@pytest.fixture
def krill_simulator() -> Iterator[KrillSimulator]:
    """A default-config simulator served from a background thread; ``sim.url`` is its base URL."""
    from ._server import KrillSimulator

    sim = KrillSimulator()
    with sim.run_in_thread():
        yield sim


@pytest.fixture
def krill_simulator_factory() -> Iterator[Callable[..., KrillSimulator]]:
    """``factory(network=None, **SimulatorConfig_kwargs)`` -> a started simulator; all stop at teardown."""
    from ._server import KrillSimulator, SimulatorConfig

    with contextlib.ExitStack() as stack:

        def factory(network: Network | None = None, **config: Any) -> KrillSimulator:
            sim = KrillSimulator(SimulatorConfig(**config), network)
            stack.enter_context(sim.run_in_thread())
            return sim

        yield factory
