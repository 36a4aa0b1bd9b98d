"""The ``krill`` command line (extra ``[cli]``): httpie-style queries, exports, CPE actions, a simulator.

Only the ``krill`` entry point imports this package, so ``import krill_async`` never loads click.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``krill`` console script; returns the exit status."""
    try:
        from ._commands import main as run
    except ImportError as exc:
        if exc.name != "click":
            raise
        sys.stderr.write(
            "krill: the command line needs click: pip install 'krill-async[cli]' "
            "(from a clone: pip install -e '.[cli]')\n"
        )
        return 1
    return run(argv)
