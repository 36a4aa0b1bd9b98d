"""The CRUD views of the simulated ``isp`` app (and API v1): list, retrieve, create, update, delete,
with DRF's serializer field conversions and error messages.

A mixin of [`KrillSimulator`][krill_async.testing.KrillSimulator], which provides the network, config and JSON sending.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from aiohttp import web

from ._data import (
    CPE_SCHEMA,
    CUSTOMER_SCHEMA,
    FIELDS,
    POTS_SCHEMA,
    V1_CPE_EXCLUDED,
    FieldSpec,
    Network,
    Record,
    ResourceName,
)
from ._http import _ENCODER, HTTPError, envelope, json_response
from ._query import ListQuery, limit_offset, make_predicate, page_links, parse_list_query, sort_records

if TYPE_CHECKING:
    from ._config import SimulatorConfig

__all__ = ["CrudMixin"]

_SCHEMAS: dict[str, dict[str, FieldSpec]] = {
    "cpes": CPE_SCHEMA,
    "customers": CUSTOMER_SCHEMA,
    "potses": POTS_SCHEMA,
}
_TRUE = frozenset({"t", "true", "y", "yes", "on", "1"})
_FALSE = frozenset({"f", "false", "n", "no", "off", "0"})
_DEC_PLACES = 7
_DEC_DIGITS = 10


class CrudMixin:
    """The ``isp`` resource views; the simulator provides the attributes and methods annotated here."""

    config: SimulatorConfig
    network: Network
    _id_cache: dict[tuple[Any, ...], tuple[int, list[int]]]

    def _link_base(self, request: web.Request, raw_path: str, mode: Any = None) -> str:
        raise NotImplementedError

    async def send_json(self, request: web.Request, body: bytes, allow: str | None = None) -> web.StreamResponse:
        raise NotImplementedError

    def _lookup(self, kind: ResourceName, key: str) -> Record:
        net = self.network
        record: Record | None
        record = net.find_cpe(key) if kind == "cpes" else net.table(kind).get(int(key)) if key.isdigit() else None
        if record is None:
            raise HTTPError(404, {"detail": "Not found."})
        return record

    def _matching_ids(self, kind: ResourceName, query: ListQuery) -> list[int]:
        net = self.network
        if not query.filters and not query.sort:
            return net.ids(kind)
        cache_key = (kind, query.filters, query.sort)
        cached = self._id_cache.get(cache_key)
        if cached is not None and cached[0] == net.version:
            return cached[1]
        records = list(net.iter_records(kind))
        if query.filters:
            predicate = make_predicate(query.filters)
            records = [r for r in records if predicate(r)]
        if query.sort:
            records = sort_records(records, query.sort)
        ids = [int(r["id"]) for r in records]
        if len(self._id_cache) > 64:
            self._id_cache.clear()
        self._id_cache[cache_key] = (net.version, ids)
        return ids

    def _shape(self, kind: ResourceName, record: Record, query: ListQuery, v1: bool) -> Record:
        """Apply ``attrs`` projection and ``joins`` embedding to one record."""
        net = self.network
        base = _v1_cpe(record) if v1 and kind == "cpes" else record
        out = {name: base[name] for name in query.attrs if name in base} if query.attrs is not None else dict(base)
        joins = query.joins
        if kind == "cpes":
            if "customer" in joins:
                customer = net.customers.get(record["customer"])
                out["customer"] = dict(customer) if customer is not None else record["customer"]
            if "potses" in joins:
                out["potses"] = [{k: v for k, v in pots.items() if k != "cpe"} for pots in net.potses_of(record["id"])]
        elif kind == "customers" and "cpes" in joins:
            out["cpes"] = [_v1_cpe(c) if v1 else dict(c) for c in net.cpes_of(record["id"])]
        elif kind == "potses" and "cpe" in joins:
            cpe = net.cpes.get(record["cpe"])
            if cpe is not None:
                out["cpe"] = _v1_cpe(cpe) if v1 else dict(cpe)
        return out

    def _encode_records(self, kind: ResourceName, ids: list[int], query: ListQuery, v1: bool) -> bytes:
        net = self.network
        if not query.shaped:
            return b",".join([net.encoded(kind, rid, v1=v1) for rid in ids])
        table = net.table(kind)
        return b",".join([_ENCODER.encode(self._shape(kind, table[rid], query, v1)) for rid in ids])

    async def _list(
        self,
        request: web.Request,
        kind: ResourceName,
        v1: bool,
        raw_path: str,
        raw_query: str,
        items: list[tuple[str, str]],
        allow: str,
    ) -> web.StreamResponse:
        net = self.network
        cfg = self.config
        with net.lock:
            query = parse_list_query(items, FIELDS[kind])
            ids = self._matching_ids(kind, query)
            if v1:
                body = b"[" + self._encode_records(kind, ids, query, v1) + b"]"
            else:
                limit, offset = limit_offset(query.params, cfg.default_page_size, cfg.max_limit)
                count = len(ids)
                page = ids[offset : offset + limit] if offset <= count else []
                nxt, prev = page_links(self._link_base(request, raw_path), raw_query, count, limit, offset)
                body = envelope(count, nxt, prev, self._encode_records(kind, page, query, v1))
        return await self.send_json(request, body, allow)

    def _detail(self, kind: ResourceName, v1: bool, record: Record, query: ListQuery, allow: str) -> web.Response:
        net = self.network
        with net.lock:
            if query.shaped:
                body = _ENCODER.encode(self._shape(kind, record, query, v1))
            else:
                body = net.encoded(kind, record["id"], v1=v1)
        return json_response(200, body, allow)

    # ------------------------------------------------------------------ writes
    def _validate(
        self, kind: ResourceName, data: dict[str, Any], *, partial: bool, instance: Record | None
    ) -> dict[str, Any]:
        schema = _SCHEMAS[kind]
        errors: dict[str, list[str]] = {}
        clean: dict[str, Any] = {}
        for name, spec in schema.items():
            if name not in data:
                if spec.required and not partial:
                    errors[name] = ["This field is required."]
                continue
            try:
                clean[name] = self._convert(spec, data[name])
            except ValueError as exc:
                errors[name] = [str(exc)]
        if kind == "potses" and clean.get("cli") is not None:
            own = instance["id"] if instance is not None else None
            for pots in self.network.potses.values():
                if pots["cli"] == clean["cli"] and pots["id"] != own:
                    errors["cli"] = ["pots with this cli already exists."]
                    break
        if errors:
            raise HTTPError(400, errors)
        return clean

    def _convert(self, spec: FieldSpec, value: Any) -> Any:
        """DRF field ``to_internal_value`` with its default error messages."""
        if value is None:
            if spec.nullable:
                return None
            raise ValueError("This field may not be null.")
        kind = spec.kind
        if kind == "any":
            return value
        if kind == "str":
            if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                raise ValueError("Not a valid string.")
            text = str(value).strip()
            if not text and not spec.allow_blank:
                raise ValueError("This field may not be blank.")
            return text
        if kind == "bool":
            if value is True or value is False:
                return value
            if isinstance(value, (int, str)):
                lowered = str(value).strip().lower()
                if lowered in _TRUE:
                    return True
                if lowered in _FALSE:
                    return False
            raise ValueError("Must be a valid boolean.")
        if kind == "int":
            if isinstance(value, bool):
                raise ValueError("A valid integer is required.")
            try:
                return int(re.sub(r"\.0*\s*$", "", str(value)))
            except ValueError:
                raise ValueError("A valid integer is required.") from None
        if kind == "decimal":
            return _decimal(value)
        if kind == "date":
            if isinstance(value, str):
                with contextlib.suppress(ValueError):
                    if len(value.strip()) == 10:
                        return date.fromisoformat(value.strip()).isoformat()
            raise ValueError("Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")
        if kind == "customer":
            if isinstance(value, bool) or not isinstance(value, (int, str, float)):
                raise ValueError(f"Incorrect type. Expected pk value, received {type(value).__name__}.")
            text = str(value).strip()
            try:
                pk = int(float(text)) if isinstance(value, float) else int(text)
            except ValueError:
                raise ValueError(f"Incorrect type. Expected pk value, received {type(value).__name__}.") from None
            if pk not in self.network.customers:
                raise ValueError(f'Invalid pk "{value}" - object does not exist.')
            return pk
        raise ValueError("Invalid value.")  # pragma: no cover

    def _create(self, kind: ResourceName, v1: bool, data: dict[str, Any], allow: str) -> web.Response:
        net = self.network
        with net.lock:
            clean = self._validate(kind, data, partial=False, instance=None)
            record = net.create_cpe(clean) if kind == "cpes" else net.create_customer(clean)
            body = net.encoded(kind, record["id"], v1=v1)
        return json_response(201, body, allow)

    def _update(
        self, kind: ResourceName, v1: bool, record: Record, data: dict[str, Any], *, partial: bool, allow: str
    ) -> web.Response:
        net = self.network
        with net.lock:
            rid = int(record["id"])
            clean = self._validate(kind, data, partial=partial, instance=record)
            if rid not in net.table(kind):
                raise HTTPError(404, {"detail": "Not found."})
            if kind == "cpes":
                net.update_cpe(rid, **clean)
            elif kind == "customers":
                net.update_customer(rid, **clean)
            else:
                net.update_pots(rid, **clean)
            body = net.encoded(kind, rid, v1=v1)
        return json_response(200, body, allow)

    def _delete(self, kind: ResourceName, rid: int) -> None:
        net = self.network
        with net.lock:
            if kind == "cpes":
                net.delete_cpe(rid)
            elif kind == "customers":
                net.delete_customer(rid)


def _v1_cpe(record: Record) -> Record:
    return {k: v for k, v in record.items() if k not in V1_CPE_EXCLUDED}


def _decimal(value: Any) -> str:
    """DRF ``DecimalField(max_digits=10, decimal_places=7)`` with string output."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        raise ValueError("A valid number is required.")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("A valid number is required.") from None
    if not number.is_finite():
        raise ValueError("A valid number is required.")
    _sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    if exponent >= 0:
        total = whole = len(digits) + exponent
        places = 0
    elif len(digits) > -exponent:
        total, places = len(digits), -exponent
        whole = total - places
    else:
        total = places = -exponent
        whole = 0
    if total > _DEC_DIGITS:
        raise ValueError(f"Ensure that there are no more than {_DEC_DIGITS} digits in total.")
    if places > _DEC_PLACES:
        raise ValueError(f"Ensure that there are no more than {_DEC_PLACES} decimal places.")
    if whole > _DEC_DIGITS - _DEC_PLACES:
        raise ValueError(
            f"Ensure that there are no more than {_DEC_DIGITS - _DEC_PLACES} digits before the decimal point."
        )
    return format(number.quantize(Decimal(1).scaleb(-_DEC_PLACES)), "f")
