"""Query-string semantics of the Krill CRUD endpoints, reproduced from DRF and django-filter.

* pagination is DRF ``LimitOffsetPagination`` (``get_limit``, ``get_offset`` and the
  ``replace_query_param`` / ``remove_query_param`` link builders, byte for byte);
* filters are field equality plus Django lookups; unknown or empty parameters are ignored like
  django-filter does;
* ``attrs``, ``joins`` and ``sort`` are Krill's own projection, embedding and ordering params.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode

__all__ = [
    "ListQuery",
    "limit_offset",
    "make_predicate",
    "page_links",
    "parse_list_query",
    "remove_query_param",
    "replace_query_param",
    "sort_records",
]

Record = dict[str, Any]
RESERVED = frozenset({"limit", "offset", "attrs", "joins", "sort", "format", "search"})
LOOKUPS = frozenset(
    {
        "exact", "iexact", "gt", "gte", "lt", "lte", "in", "contains", "icontains", "isnull",
        "startswith", "istartswith", "endswith", "iendswith",
    }
)  # fmt: skip
TRUE_VALUES = frozenset({"t", "true", "y", "yes", "on", "1"})
FALSE_VALUES = frozenset({"f", "false", "n", "no", "off", "0"})
_LOCAL_TZ = timezone(timedelta(hours=1))

Filter = tuple[str, str, str]
"""``(field, lookup, value)``"""


@dataclass(frozen=True, slots=True)
class ListQuery:
    """The parsed Krill query parameters of one request."""

    params: dict[str, str]
    attrs: tuple[str, ...] | None
    joins: frozenset[str]
    sort: tuple[tuple[str, bool], ...]
    filters: tuple[Filter, ...]

    @property
    def shaped(self) -> bool:
        """True when records must be rebuilt (projection or joins) instead of served from cache."""
        return self.attrs is not None or bool(self.joins)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_list_query(items: Sequence[tuple[str, str]], fields: Iterable[str]) -> ListQuery:
    """Interpret query pairs; ``fields`` are the filterable record fields.

    Like Django's ``QueryDict.__getitem__`` the last value of a repeated key wins.
    """
    known = set(fields)
    params: dict[str, str] = {}
    for key, value in items:
        params[key] = value
    attrs_raw = params.get("attrs", "")
    attrs = tuple(_split(attrs_raw)) if _split(attrs_raw) else None
    joins = frozenset(_split(params.get("joins", "")))
    sort: list[tuple[str, bool]] = []
    for name in _split(params.get("sort", "")):
        desc = name.startswith("-")
        name = name.lstrip("-+")
        if name in known:
            sort.append((name, desc))
    filters: list[Filter] = []
    for key, value in params.items():
        if key in RESERVED or value == "":
            continue
        field, lookup = key, "exact"
        if "__" in key:
            head, _, tail = key.rpartition("__")
            if tail in LOOKUPS:
                field, lookup = head, tail
        if field in known:
            filters.append((field, lookup, value))
    return ListQuery(params, attrs, joins, tuple(sort), tuple(filters))


# ---------------------------------------------------------------------- filtering
def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        if number != number or number in (float("inf"), float("-inf")):
            return None
        return number
    return None


def _datetime(value: str) -> datetime | None:
    if len(value) < 10 or value[4:5] != "-":
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=_LOCAL_TZ)


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, (list, dict)):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _equals(value: Any, query: str) -> bool:
    if value is None or isinstance(value, (list, dict)):
        return False
    if isinstance(value, bool):
        wanted = query.strip().lower()
        return wanted in TRUE_VALUES if value else wanted in FALSE_VALUES
    if isinstance(value, (int, float)):
        number = _number(query.strip())
        return number is not None and number == value
    return str(value) == query


def _compare(op: Callable[[Any, Any], bool]) -> Callable[[Any, str], bool]:
    def check(value: Any, query: str) -> bool:
        if value is None or isinstance(value, (bool, list, dict)):
            return False
        left, right = _number(value), _number(query)
        if left is not None and right is not None:
            return op(left, right)
        text = str(value)
        left_dt, right_dt = _datetime(text), _datetime(query)
        if left_dt is not None and right_dt is not None:
            return op(left_dt, right_dt)
        return op(text, query)

    return check


def _text_check(fn: Callable[[str, str], bool], fold: bool) -> Callable[[Any, str], bool]:
    def check(value: Any, query: str) -> bool:
        text = _text(value)
        if text is None:
            return False
        if fold:
            return fn(text.casefold(), query.casefold())
        return fn(text, query)

    return check


def _isnull(value: Any, query: str) -> bool:
    wanted = query.strip().lower()
    if wanted in TRUE_VALUES:
        return value is None
    if wanted in FALSE_VALUES:
        return value is not None
    return True  # invalid boolean: the filter is not applied


_CHECKS: dict[str, Callable[[Any, str], bool]] = {
    "exact": _equals,
    "iexact": _text_check(operator.eq, True),
    "gt": _compare(operator.gt),
    "gte": _compare(operator.ge),
    "lt": _compare(operator.lt),
    "lte": _compare(operator.le),
    "in": lambda value, query: any(_equals(value, part) for part in query.split(",")),
    "contains": _text_check(operator.contains, False),
    "icontains": _text_check(operator.contains, True),
    "startswith": _text_check(str.startswith, False),
    "istartswith": _text_check(str.startswith, True),
    "endswith": _text_check(str.endswith, False),
    "iendswith": _text_check(str.endswith, True),
    "isnull": _isnull,
}


def make_predicate(filters: Sequence[Filter]) -> Callable[[Record], bool]:
    """A function telling whether a record passes every filter."""
    checks = [(field, _CHECKS[lookup], value) for field, lookup, value in filters]

    def predicate(record: Record) -> bool:
        return all(check(record.get(field), value) for field, check, value in checks)

    return predicate


def _sort_key(field: str) -> Callable[[Record], tuple[int, Any]]:
    def key(record: Record) -> tuple[int, Any]:
        value = record.get(field)
        if value is None:
            return (2, 0)  # PostgreSQL: NULLs last ascending, first descending
        if isinstance(value, (bool, int, float)):
            return (0, value)
        if isinstance(value, str):
            number = _number(value) if field in ("latitude", "longitude") else None
            return (0, number) if number is not None else (1, value)
        return (1, str(value))

    return key


def sort_records(records: list[Record], sort: Sequence[tuple[str, bool]]) -> list[Record]:
    """Stable multi-key sort; ties keep id order like a final ``id`` ordering would."""
    result = list(records)
    for field, desc in reversed(sort):
        result.sort(key=_sort_key(field), reverse=desc)
    return result


# ---------------------------------------------------------------------- pagination
def _positive_int(text: str, strict: bool = False, cutoff: int | None = None) -> int:
    """DRF ``rest_framework.pagination._positive_int``."""
    ret = int(text)
    if ret < 0 or (ret == 0 and strict):
        raise ValueError
    if cutoff is not None:
        return min(ret, cutoff)
    return ret


def limit_offset(params: dict[str, str], default_limit: int, max_limit: int | None) -> tuple[int, int]:
    """DRF ``LimitOffsetPagination.get_limit`` and ``get_offset``."""
    try:
        limit = _positive_int(params["limit"], strict=True, cutoff=max_limit)
    except (KeyError, ValueError):
        limit = default_limit
    try:
        offset = _positive_int(params["offset"])
    except (KeyError, ValueError):
        offset = 0
    return limit, offset


def replace_query_param(query: str, key: str, val: object) -> str:
    """DRF ``replace_query_param`` on a raw query string: params re-encoded sorted by key."""
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict[str(key)] = [str(val)]
    return urlencode(sorted(query_dict.items()), doseq=True)


def remove_query_param(query: str, key: str) -> str:
    """DRF ``remove_query_param`` on a raw query string."""
    query_dict = parse_qs(query, keep_blank_values=True)
    query_dict.pop(key, None)
    return urlencode(sorted(query_dict.items()), doseq=True)


def page_links(base: str, query: str, count: int, limit: int, offset: int) -> tuple[str | None, str | None]:
    """``(next, previous)`` like ``LimitOffsetPagination``; ``base`` is origin + request path."""
    nxt: str | None = None
    prev: str | None = None
    if offset + limit < count:
        q = replace_query_param(query, "limit", limit)
        q = replace_query_param(q, "offset", offset + limit)
        nxt = f"{base}?{q}"
    if offset > 0:
        q = replace_query_param(query, "limit", limit)
        q = remove_query_param(q, "offset") if offset - limit <= 0 else replace_query_param(q, "offset", offset - limit)
        prev = f"{base}?{q}" if q else base
    return nxt, prev
