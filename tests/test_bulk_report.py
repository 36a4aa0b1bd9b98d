"""``BulkReport`` iterates over its outcomes, like the sequence its ``len()`` says it is (issue #12, item 8).

Needs the one-method change to ``krill_async/_actions.py`` described in the report of that issue:

    def __iter__(self) -> Iterator[ActionOutcome]:
        \"\"\"The outcomes in the order the CPEs were given (``for outcome in report``).\"\"\"
        return iter(self.outcomes)
"""

from __future__ import annotations

from krill_async import ActionOutcome, BulkReport


def report() -> BulkReport:
    failure = RuntimeError("refused")
    return BulkReport(
        "reboot",
        (ActionOutcome(1, "reboot"), ActionOutcome(2, "reboot", error=failure), ActionOutcome(3, "reboot")),
    )


def test_a_report_iterates_over_its_outcomes_in_order() -> None:
    bulk = report()
    assert [outcome.cpe for outcome in bulk] == [1, 2, 3]
    assert list(bulk) == list(bulk.outcomes) and len(list(bulk)) == len(bulk)


def test_iteration_restarts_and_unpacks() -> None:
    bulk = report()
    first, second, third = bulk
    assert (first.ok, second.ok, third.ok) == (True, False, True)
    assert [o.cpe for o in bulk if not o.ok] == [o.cpe for o in bulk.failed] == [2]
