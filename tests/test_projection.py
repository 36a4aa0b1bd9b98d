"""jq-like path projections: parsing, the generated types, missing and odd values (pure, no HTTP)."""

from __future__ import annotations

import gc
import json
from typing import Any

import msgspec
import pytest

from krill_async import Selection, projection
from krill_async._projection import parse_path
from krill_async._stream_decode import lax_decoder

OBJ = {
    "name": "cpe1!txrx",
    "type": "Service",
    "attrs": {
        "state": 1.0,
        "perfdata": [{"name": "pondesv", "value": 2.5}],
        "vars": {
            "cpe_registration_host": "OLT01",
            "cpe_registration_state": ["alarm", "losi"],
            "administrative_info": {"sn": "48575443614711a7", "id": 7, "odd.key": "dotted"},
        },
    },
}


def decode(paths: dict[str, Any], obj: Any = OBJ) -> Any:
    return lax_decoder(projection(**paths)).decode(json.dumps(obj).encode())


@pytest.mark.parametrize(
    ("path", "keys"),
    [
        ("name", ("name",)),
        (".name", ("name",)),
        ("attrs.vars.cpe_registration_host", ("attrs", "vars", "cpe_registration_host")),
        (".attrs.vars.cpe_registration_host", ("attrs", "vars", "cpe_registration_host")),
        ('.attrs."odd.key"', ("attrs", "odd.key")),
        ('.["with space"].x', ("with space", "x")),
        ('a["b"]', ("a", "b")),
        ('."q\\"uote"', ('q"uote',)),
    ],
)
def test_parse_path(path: str, keys: tuple[str, ...]) -> None:
    assert parse_path(path) == keys


@pytest.mark.parametrize("path", ["", ".", "a..b", "a.", ".[", 'a."', "a.[1]"])
def test_parse_path_refuses(path: str) -> None:
    with pytest.raises(ValueError):
        parse_path(path)


def test_nested_paths_and_names() -> None:
    rec = decode(
        {
            "cpe": "name",
            "olt": "attrs.vars.cpe_registration_host",
            "sn": ".attrs.vars.administrative_info.sn",
            "dotted": '.attrs.vars.administrative_info."odd.key"',
        }
    )
    assert isinstance(rec, Selection)
    assert (rec.cpe, rec.olt, rec.sn, rec.dotted) == ("cpe1!txrx", "OLT01", "48575443614711a7", "dotted")
    assert rec.to_dict() == {"cpe": "cpe1!txrx", "olt": "OLT01", "sn": "48575443614711a7", "dotted": "dotted"}
    assert tuple(rec) == ("cpe1!txrx", "OLT01", "48575443614711a7", "dotted")  # unpacks in selection order
    assert repr(rec) == "Selection(cpe='cpe1!txrx', olt='OLT01', sn='48575443614711a7', dotted='dotted')"


def test_missing_paths_read_as_none_like_jq() -> None:
    rec = decode({"a": "nope", "b": "attrs.nope.deeper", "c": "attrs.vars.administrative_info.nope"})
    assert rec.to_dict() == {"a": None, "b": None, "c": None}
    empty = decode({"a": "name", "b": "attrs.vars.x"}, {})
    assert empty.to_dict() == {"a": None, "b": None}


@pytest.mark.parametrize("odd", ["a string", 3, 2.5, True, None, ["a", {"vars": {"x": 1}}]])
def test_a_non_object_on_the_way_reads_as_none_instead_of_failing(odd: Any) -> None:
    rec = decode({"x": "attrs.vars.cpe_registration_host", "name": "name"}, {"name": "n", "attrs": odd})
    assert rec.to_dict() == {"x": None, "name": "n"}


def test_values_come_whole_and_arrays_are_not_indexed() -> None:
    rec = decode(
        {"perf": "attrs.perfdata", "states": "attrs.vars.cpe_registration_state", "value": "attrs.perfdata.value"}
    )
    assert rec.perf == [{"name": "pondesv", "value": 2.5}]
    assert rec.states == ["alarm", "losi"]
    assert rec.value is None  # jq would need .perfdata[]: arrays are returned whole, not indexed


def test_a_shorter_path_takes_its_subtree_whole_and_deeper_ones_read_from_it() -> None:
    for order in (("vars", "olt"), ("olt", "vars")):
        paths = {"vars": "attrs.vars", "olt": "attrs.vars.cpe_registration_host"}
        rec = decode({name: paths[name] for name in order})
        assert rec.olt == "OLT01" and rec.vars["administrative_info"]["id"] == 7


def test_typed_leaves() -> None:
    rec = decode({"state": ("attrs.state", int), "id": ("attrs.vars.administrative_info.id", int), "n": "name"})
    assert rec.state == 1 and isinstance(rec.state, int) and rec.id == 7  # 1.0 from old Icinga is an int
    with pytest.raises(msgspec.ValidationError):
        decode({"sn": ("attrs.vars.administrative_info.sn", int)})


def test_the_same_path_twice_and_conflicting_types() -> None:
    rec = decode({"a": "name", "b": ".name"})
    assert rec.to_dict() == {"a": "cpe1!txrx", "b": "cpe1!txrx"}
    with pytest.raises(ValueError, match="different types"):
        projection(a=("name", int), b=("name", str))


@pytest.mark.parametrize("name", ["_private", "to_dict", "class"])
def test_selected_names_must_be_plain_identifiers(name: str) -> None:
    with pytest.raises(ValueError):
        projection(**{name: "name"})


def test_bad_specs() -> None:
    with pytest.raises(ValueError):
        projection()
    with pytest.raises(TypeError):
        projection(a=("name",))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        projection(a=3)  # type: ignore[arg-type]


def test_types_are_cached_and_records_compare_by_value() -> None:
    first = projection(cpe="name", olt="attrs.vars.cpe_registration_host")
    assert projection(cpe="name", olt="attrs.vars.cpe_registration_host") is first
    assert projection(olt="attrs.vars.cpe_registration_host", cpe="name") is not first  # order is the output order
    one, two = decode({"cpe": "name"}), decode({"cpe": "name"})
    assert one == two


def test_records_never_burden_the_cyclic_gc() -> None:
    rec = decode({"cpe": "name", "olt": "attrs.vars.cpe_registration_host"})
    gc.collect()
    assert not gc.is_tracked(rec)


def test_only_the_selected_paths_are_decoded() -> None:
    # a field of the wrong type elsewhere in the object does not matter: it is skipped, not decoded
    obj = {"name": "x", "attrs": {"state": "not a number", "vars": {"cpe_registration_host": "OLT9"}}}
    assert decode({"olt": "attrs.vars.cpe_registration_host"}, obj).olt == "OLT9"
