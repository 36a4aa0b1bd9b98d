"""What the adaptive limiter's first limit costs, in the queueing model of `benchmarks/pace.py` (issue #14).

Issue #14 asks the default export to be within 10% of the best fixed concurrency on servers of 1, 2, 4 and 16
workers, while a `get()` made during it waits at most the idle latency plus one page's service. On a server
the client knows nothing about, the first round trip says nothing about its workers: the limit must start
small enough for one worker and grow. This script measures, with no HTTP and no clock (the discrete-event
model of ``tests/_queue_model.py`` driving the library's own `VegasLimiter` and `Pacer`), what each first
limit does on each server for the export `pace.py` runs: 100 pages of 500 CPEs (102 ms of service each),
30 ms on the wire, a `get()` every 100 ms (2.2 ms of work), answers up to 0-15 ms late.

    PYTHONPATH=. python benchmarks/pace_model.py            # a few seconds

A faster slow start is the other lever: a second table gives the same figures with the limit doubled per
round trip below 8, 16 or always, instead of below ``DOUBLE_BELOW`` (4) and by half above (a what-if: the
script sets the module's constant).

For each first limit and server: the export's time over the best fixed concurrency's (1..32, same model)
and the `get()` p95 over its bound (idle latency plus one page), the worst of five runs (jitter 0, 5 and 15
ms, two seeds). The client's default is the first limit of 2 (``PACED_INITIAL_LIMIT``) with auto pacing.
A third table gives, on 16 workers, how long an export must be for the default to be within 10%, with the
client's default bound (``max_concurrency=16``) and larger ones: 16 workers behind 30 ms of wire serve
about 21 pages at once, which a bound of 16 cannot reach, and the best fixed concurrency (32) is not
bounded by it. The first two tables use ``--max-limit`` (the client's default bound unless given).
The model is the floor of the real benchmark: no CPU, no event loop, a server that is exactly its model.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from krill_async import _limiter  # noqa: E402
from krill_async._client import DEFAULT_MAX_CONCURRENCY  # noqa: E402
from krill_async._limiter import DOUBLE_BELOW, VegasLimiter  # noqa: E402
from krill_async._pacer import PACED_INITIAL_LIMIT, SMALL_SERVER, Pacer  # noqa: E402
from tests._queue_model import Run, simulate  # noqa: E402

SERVICE, LATENCY, PROBE_SERVICE, PROBE_EVERY = 0.102, 0.03, 0.0022, 0.1
BOUND = LATENCY + PROBE_SERVICE + SERVICE  # an idle get() plus one page in service
RUNS = ((0.0, 0), (0.005, 1), (0.015, 2), (0.005, 3), (0.015, 4))  # (jitter, seed)
FIXED = (1, 2, 4, 8, 16, 32)
DEFAULT_BOUND = DEFAULT_MAX_CONCURRENCY  # Krill(max_concurrency=)'s default: the adaptive limit's bound
WORKERS = (1, 2, 4, 16)


def export(limiter: VegasLimiter, pacer: Pacer | None, workers: int, pages: int, jitter: float, seed: int) -> Run:
    return simulate(
        limiter,
        pacer,
        workers=workers,
        pages=pages,
        service=SERVICE,
        latency=LATENCY,
        jitter=jitter,
        probe_every=PROBE_EVERY,
        probe_service=PROBE_SERVICE,
        key=500,
        seed=seed,
    )


def best_fixed(workers: int, pages: int, jitter: float, seed: int) -> float:
    return min(
        export(VegasLimiter(initial=n, min_limit=n, max_limit=n), None, workers, pages, jitter, seed).makespan
        for n in FIXED
    )


def default_client(initial: int, max_limit: int) -> tuple[VegasLimiter, Pacer]:
    """The limiter and pacer of ``Krill(concurrency="auto", pacing="auto")``, starting at ``initial``."""
    return VegasLimiter(initial=initial, max_limit=max_limit, verify_knee=True), Pacer(small_server=SMALL_SERVER)


def measure(initial: int, workers: int, pages: int, max_limit: int) -> tuple[list[float], list[float]]:
    """(time over the best fixed, get p95 over the bound), one of each per run."""
    times, p95s = [], []
    for jitter, seed in RUNS:
        limiter, pacer = default_client(initial, max_limit)
        run = export(limiter, pacer, workers, pages, jitter, seed)
        times.append(run.makespan / best_fixed(workers, pages, jitter, seed))
        p95s.append(run.probe_p95() / BOUND)
    return times, p95s


def table(label: str, rows: list[tuple[str, int, int]], pages: int, max_limit: int) -> None:
    """One row per (name, first limit, doubling below), one time and one p95 column per server."""
    head = " | ".join(f"{w} worker{'s' if w > 1 else ''}: time | p95" for w in WORKERS)
    print(f"| {label} | {head} |")
    print("|---|" + "---:|---:|" * len(WORKERS))
    default = _limiter.DOUBLE_BELOW
    try:
        for name, initial, double_below in rows:
            _limiter.DOUBLE_BELOW = double_below
            cells = []
            for workers in WORKERS:
                times, p95s = measure(initial, workers, pages, max_limit)
                cells += [cell(times, 1.10), cell(p95s, 1.00)]
            print(f"| {name} | " + " | ".join(cells) + " |")
    finally:
        _limiter.DOUBLE_BELOW = default


def cell(values: list[float], goal: float) -> str:
    worst = max(values)
    return f"{worst:.2f}{'' if worst <= goal else ' ✗'} ({statistics.median(values):.2f})"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pages", type=int, default=100, help="pages per export (100: pace.py's 50,000 CPEs)")
    p.add_argument("--initial", type=int, nargs="+", default=[2, 3, 4, 6, 8, 12, 16])
    p.add_argument(
        "--max-limit", type=int, default=DEFAULT_BOUND, help=f"the limiter's bound (the client's: {DEFAULT_BOUND})"
    )
    args = p.parse_args()
    print(
        f"# pace model: {args.pages} pages of {SERVICE * 1000:.0f} ms, {LATENCY * 1000:.0f} ms wire, get() every "
        f"{PROBE_EVERY * 1000:.0f} ms, bound {BOUND * 1000:.0f} ms; worst of {len(RUNS)} runs (median)\n"
    )
    print("## time / best fixed (goal <= 1.10) and get() p95 / bound (goal <= 1.00), by first limit\n")
    table(
        "first limit",
        [(f"{n}{' (default)' if n == PACED_INITIAL_LIMIT else ''}", n, DOUBLE_BELOW) for n in args.initial],
        args.pages,
        args.max_limit,
    )
    print(f"\n## the same, first limit {PACED_INITIAL_LIMIT}, by slow start's growth\n")
    growth = [(f"doubling below {DOUBLE_BELOW}, then x1.5 (default)", DOUBLE_BELOW)]
    growth += [(f"doubling below {n}, then x1.5", n) for n in (8, 16)] + [("doubling always", 10**6)]
    table("slow start", [(name, PACED_INITIAL_LIMIT, n) for name, n in growth], args.pages, args.max_limit)
    print(f"\n## 16 workers, first limit {PACED_INITIAL_LIMIT} (the default): time / best fixed by export length\n")
    bounds = sorted({DEFAULT_BOUND, 32, 64})
    print("| pages | CPEs at 500 a page | " + " | ".join(f"max_concurrency={b}, worst (median)" for b in bounds) + " |")
    print("|---:|---:|" + "---:|" * len(bounds))
    for pages in (50, 100, 200, 400, 800, 1600):
        cells = [cell(measure(PACED_INITIAL_LIMIT, 16, pages, bound)[0], 1.10) for bound in bounds]
        print(f"| {pages} | {pages * 500:,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
