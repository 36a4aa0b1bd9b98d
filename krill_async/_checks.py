"""Pure checks of values Krill validates itself: caught before sending, with a message that says why.

Nothing here does I/O, so each rule is testable on its own and a corrected rule is a one-line change.
"""

from __future__ import annotations

import datetime as _dt
import re

from ._urls import quote_identifier
from .errors import InvalidArgument, InvalidIdentifier

__all__ = ["EASTER", "InvalidArgument", "check_holiday_day", "check_pon_segment", "format_planned"]

#: The movable feast a PBX holiday may name instead of a ``DD/MM`` date.
EASTER = "$easter$"

_DAY_RE = re.compile(r"(\d{2})/(\d{2})")
_PLANNED_RE = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_PLANNED_FORMAT = "%Y-%m-%d %H:%M"


def check_holiday_day(day: str | _dt.date) -> str:
    """A PBX holiday ``day`` as Krill accepts it: ``DD/MM`` (a real day of that month) or ``$easter$``.

    Krill's ``/api/v2/pbx/holidays`` validates this since 2023-10; checking first turns a vague 400 into a
    precise error. A ``date`` is formatted as ``DD/MM`` (the year is not part of a holiday).
    """
    if isinstance(day, _dt.date):
        return day.strftime("%d/%m")
    if not isinstance(day, str):
        raise InvalidArgument(f"holiday day must be 'DD/MM' or {EASTER!r}, not {type(day).__name__}")
    if day == EASTER:
        return day
    match = _DAY_RE.fullmatch(day)
    if match is None:
        raise InvalidArgument(f"holiday day {day!r} must be 'DD/MM' (two digits each, e.g. '06/01') or {EASTER!r}")
    dd, mm = int(match.group(1)), int(match.group(2))
    try:
        _dt.date(2000, mm, dd)  # a leap year: 29/02 is a valid holiday
    except ValueError:
        raise InvalidArgument(f"holiday day {day!r} is not a day of the year (DD/MM)") from None
    return day


def format_planned(value: str | _dt.datetime) -> str:
    """A Rubik ``planned`` value: ``"YYYY-MM-DD HH:MM"`` (not ISO 8601: no ``T``, no seconds, no offset).

    A ``datetime`` is written as its wall-clock time (Krill reads it in the deployment's local time).
    """
    if isinstance(value, _dt.datetime):
        return value.strftime(_PLANNED_FORMAT)
    if not isinstance(value, str) or not _PLANNED_RE.fullmatch(value):
        raise InvalidArgument(f"planned must be 'YYYY-MM-DD HH:MM' or a datetime, not {value!r}")
    try:
        _dt.datetime.strptime(value, _PLANNED_FORMAT)
    except ValueError:
        raise InvalidArgument(f"planned {value!r} is not a real date and time") from None
    return value


def check_pon_segment(name: str, value: str) -> str:
    """One of frame/slot/port, quoted for the path exactly as the server spells it (``"05"`` stays ``"05"``).

    Integers are refused on purpose: Krill zero-pads some of these (slot ``05``) and not others (frame
    ``0``), so turning ``5`` into text would be a guess.
    """
    if not isinstance(value, str):
        raise InvalidArgument(
            f"{name} must be a string spelled as the OLT names it (e.g. frame '0', slot '05', port '15'), not {value!r}"
        )
    try:
        return quote_identifier(value)
    except InvalidIdentifier as exc:
        raise InvalidArgument(f"{name}: {exc}") from None
