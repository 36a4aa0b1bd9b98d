"""Records tell a key the server sent as ``null`` from a key the request left out (issue #12, item 4).

Both read as ``None``; ``to_dict()`` (and re-encoding) keep the nulls and omit only what was left out, so
every record of one query has the same keys: the stable schema CSV and Parquet need.
"""

from __future__ import annotations

import inspect

import msgspec
import pytest

import krill_async.models as models
from krill_async.models import Cpe, Customer, Host, Record
from krill_async.models._base import UNSET

from ._samples import v2_cpe


def test_to_dict_keeps_every_key_the_server_sent_nulls_included() -> None:
    wire = v2_cpe()
    assert sum(value is None for value in wire.values()) > 10  # the sample does carry nulls
    cpe = msgspec.json.decode(msgspec.json.encode(wire), type=Cpe)
    data = cpe.to_dict()
    assert set(data) == set(wire)
    assert {key for key, value in data.items() if value is None} == {k for k, v in wire.items() if v is None}


def test_fields_left_out_by_the_request_are_omitted_and_read_as_none() -> None:
    cpe = msgspec.json.decode(b'{"id": 74, "sn": null, "customer": {"id": 1, "surname": null}}', type=Cpe)
    assert cpe.to_dict() == {"id": 74, "sn": None, "customer": {"id": 1, "surname": None}}
    assert cpe.sn is None and cpe.model is None  # null and absent read alike
    assert cpe.has("sn") and not cpe.has("model")
    assert isinstance(cpe.customer, Customer) and cpe.customer.has("surname") and not cpe.customer.has("name")
    assert msgspec.json.decode(msgspec.json.encode(cpe)) == cpe.to_dict()  # re-encoding keeps them too
    with pytest.raises(AttributeError):
        cpe.has("no_such_field")


def test_same_query_same_keys_whatever_the_values() -> None:
    body = b'[{"id": 1, "sn": "a", "mac": null}, {"id": 2, "sn": null, "mac": "m"}]'
    keys = {tuple(record.to_dict()) for record in msgspec.json.decode(body, type=list[Cpe])}
    assert keys == {("id", "sn", "mac")}


def test_constructed_records_omit_what_was_not_given() -> None:
    cpe = Cpe(id=1, sn=None)
    assert cpe.to_dict() == {"id": 1, "sn": None} and cpe.mac is None
    cpe.mac = "00:11"
    assert cpe.to_dict()["mac"] == "00:11" and cpe.has("mac")
    assert repr(cpe) == "Cpe(id=1, mac='00:11')"


def test_nested_monitoring_records_keep_nulls() -> None:
    host = msgspec.json.decode(b'{"name": "cpe1", "type": "Host", "attrs": {"state": null}}', type=Host)
    assert host.to_dict() == {"name": "cpe1", "type": "Host", "attrs": {"state": None}}


def test_every_record_class_reads_absent_fields_as_none() -> None:
    """A record class left unsealed would hand ``UNSET`` to code expecting ``None``."""
    checked = 0
    for name in models.__all__:
        cls = getattr(models, name)
        if not (inspect.isclass(cls) and issubclass(cls, Record)) or cls is Record:
            continue
        fields = msgspec.structs.fields(cls)
        required = {f.name: 0 for f in fields if f.required}
        record = cls(**required)
        for field in fields:
            if field.default is UNSET:
                assert getattr(record, field.name) is None, f"{name}.{field.name}"
                checked += 1
    assert checked > 300


def test_subclasses_copies_and_pickles_keep_the_distinction() -> None:
    import copy
    import pickle

    class MyCpe(Cpe):
        extra: str | None = None

    mine = msgspec.json.decode(b'{"id": 1, "sn": null, "extra": "x"}', type=MyCpe)
    assert (mine.id, mine.sn, mine.mac, mine.extra) == (1, None, None, "x")
    assert mine.to_dict() == {"id": 1, "sn": None, "extra": "x"}
    cpe = Cpe(id=1, sn=None)
    for twin in (copy.copy(cpe), pickle.loads(pickle.dumps(cpe)), msgspec.structs.replace(cpe, id=2)):
        assert set(twin.to_dict()) == {"id", "sn"} and twin.mac is None
