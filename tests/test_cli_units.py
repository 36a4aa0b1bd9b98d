"""The ``krill`` command line's pure parts, without HTTP: items, targets, fields, writers, progress, errors,
credentials and the bulk report."""

from __future__ import annotations

import base64
import csv
import io
import json
import subprocess
import sys
from typing import Any

import msgspec
import pytest

from krill_async import BasicAuth, BearerToken, JWTLogin, Selection, projection
from krill_async.cli._bulk import BulkSummary, TextReport, confirmation_text, outcome_row, read_ids
from krill_async.cli._connect import Connection, resolve_auth, resolve_url
from krill_async.cli._errors import describe, exit_status
from krill_async.cli._fields import extract, parse_fields, split_top_level
from krill_async.cli._items import (
    Target,
    UsageProblem,
    is_monitoring_search,
    parse_items,
    split_paging,
    split_target,
)
from krill_async.cli._listing import expected_records
from krill_async.cli._progress import Progress, format_duration, render
from krill_async.cli._writers import (
    CsvWriter,
    JsonArrayWriter,
    NdjsonWriter,
    ParquetWriter,
    coerce,
    column_kinds,
    csv_cell,
    format_for,
    json_line,
)
from krill_async.errors import (
    ConnectError,
    InvalidArgument,
    InvalidCredentials,
    InvalidIdentifier,
    NotFound,
    ServerError,
    Unauthorized,
)

# ------------------------------------------------------------------------------------------ query items


def test_items_are_httpie_query_parameters_in_order() -> None:
    items = ["type==Host", "perfdata.pondesv__gt==-2", "regtag==CAR-OLT02-0/3/9", "q==a==b", "empty=="]
    assert parse_items(items) == [
        ("type", "Host"),
        ("perfdata.pondesv__gt", "-2"),
        ("regtag", "CAR-OLT02-0/3/9"),
        ("q", "a==b"),
        ("empty", ""),
    ]


@pytest.mark.parametrize("bad", ["type", "==Host", "type=Host", ""])
def test_items_without_double_equals_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageProblem, match="type==Host"):
        parse_items([bad])


def test_json_field_syntax_gets_a_hint() -> None:
    with pytest.raises(UsageProblem, match="query parameter takes =="):
        parse_items(["name=value"])


def test_limit_and_offset_become_how_many_records_and_where_to_start() -> None:
    paging = split_paging([("attrs", "id"), ("offset", "42"), ("limit", "3"), ("limit", "5")])
    assert (paging.params, paging.limit, paging.offset) == ([("attrs", "id")], 5, 42)
    assert split_paging([("type", "Host")]).limit is None
    for bad in [("limit", "0"), ("limit", "x"), ("offset", "-1")]:
        with pytest.raises(UsageProblem):
            split_paging([bad])


@pytest.mark.parametrize(
    ("typed", "path", "base"),
    [
        ("isp/cpes/", "isp/cpes/", None),
        ("/api/v2/isp/cpes/74/", "isp/cpes/74/", None),
        ("api/v2/isp/cpes/", "isp/cpes/", None),  # as the vendor's guide writes GET lines
        ("/isp/cpes/", "isp/cpes/", None),
        ("/api/cpes/", "/api/cpes/", None),  # API v1 stays absolute
        ("api/cpes/", "/api/cpes/", None),
        ("monitoring/search", "monitoring/search", None),
        ("https://krill.example.net/api/v2/isp/cpes/", "isp/cpes/", "https://krill.example.net/"),
        ("https://proxy.example.net/krill/api/v2/isp/cpes/", "isp/cpes/", "https://proxy.example.net/krill"),
        ("krill.phicus.es:4780/api/v2/monitoring/search", "monitoring/search", "http://krill.phicus.es:4780/"),
        (":4780/api/cpes/", "/api/cpes/", "http://localhost:4780/"),
        ("localhost/api/v2/isp/cpes/", "isp/cpes/", "http://localhost/"),
    ],
)
def test_targets_are_read_like_httpie(typed: str, path: str, base: str | None) -> None:
    target = split_target(typed)
    assert (target.path, target.base_url) == (path, base)


def test_a_url_target_keeps_its_query() -> None:
    target = split_target("https://h.example/api/v2/isp/cpes/?attrs=id,cpename&sn=1")
    assert target.params == (("attrs", "id,cpename"), ("sn", "1"))
    assert split_target("isp/cpes/?limit=3").params == (("limit", "3"),)


@pytest.mark.parametrize(
    "bad", ["", "/", "ftp://h/api/v2/x", "https://u:p@h/api/v2/x", "https://h/isp/cpes/", "https://h/api/v2/"]
)
def test_unusable_targets_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageProblem):
        split_target(bad)


def test_monitoring_search_is_recognised_with_or_without_slash() -> None:
    assert is_monitoring_search(Target("monitoring/search"))
    assert is_monitoring_search(split_target("/api/v2/monitoring/search/"))
    assert not is_monitoring_search(Target("monitoring/hosts/x"))


# ------------------------------------------------------------------------------------------ fields


def test_fields_name_paths_like_jq() -> None:
    spec = parse_fields(["cpe=name,olt=attrs.vars.cpe_registration_host", "sn=.attrs.vars.administrative_info.sn"])
    assert spec is not None
    assert spec.names == ("cpe", "olt", "sn")
    assert spec.keys == (
        ("name",),
        ("attrs", "vars", "cpe_registration_host"),
        ("attrs", "vars", "administrative_info", "sn"),
    )
    assert spec.selection() == {
        "f0": "name",
        "f1": "attrs.vars.cpe_registration_host",
        "f2": ".attrs.vars.administrative_info.sn",
    }


def test_a_pasted_jq_object_is_accepted() -> None:
    spec = parse_fields(['{cpe: .name, "olt host": .attrs.vars.cpe_registration_host, id}'])
    assert spec is not None
    assert spec.names == ("cpe", "olt host", "id")
    assert spec.keys == (("name",), ("attrs", "vars", "cpe_registration_host"), ("id",))


def test_bare_paths_are_named_after_themselves_and_quoted_keys_may_hold_commas() -> None:
    spec = parse_fields(['id,attrs."a,b"'])
    assert spec is not None and spec.names == ("id", 'attrs."a,b"') and spec.keys[1] == ("attrs", "a,b")
    assert split_top_level('a="x,y",b=c[1,2]') == ['a="x,y"', "b=c[1,2]"]
    assert parse_fields([]) is None


@pytest.mark.parametrize("bad", ["a=name,a=sn", "=name", "x=", "x=a..b", 'x="unclosed'])
def test_bad_fields_are_usage_errors(bad: str) -> None:
    with pytest.raises(UsageProblem):
        parse_fields([bad])


def test_extract_reads_null_where_jq_does() -> None:
    data = {"name": "cpe1", "attrs": {"vars": {"sn": "ab", "list": [1, 2]}, "flat": 3}}
    assert extract(data, ("attrs", "vars", "sn")) == "ab"
    assert extract(data, ("attrs", "vars", "list")) == [1, 2]
    assert extract(data, ("attrs", "missing", "x")) is None
    assert extract(data, ("attrs", "flat", "x")) is None  # a number where an object was expected
    assert extract([1], ("a",)) is None


def test_projected_rows_and_extracted_rows_agree() -> None:
    spec = parse_fields(["cpe=name,olt=attrs.vars.cpe_registration_host,missing=attrs.nope.x,tags=attrs.tags"])
    assert spec is not None
    record = {"name": "cpe7!txrx", "type": "Service", "attrs": {"vars": {"cpe_registration_host": "OLT3"}, "tags": [1]}}
    selected: Selection = msgspec.json.decode(json.dumps(record), type=projection(**spec.selection()))
    expected = {"cpe": "cpe7!txrx", "olt": "OLT3", "missing": None, "tags": [1]}
    assert spec.row(selected) == spec.extract(record) == expected


# ------------------------------------------------------------------------------------------ writers


def test_format_comes_from_the_flag_then_the_file_name() -> None:
    assert format_for("out.CSV", None) == "csv"
    assert format_for("out.jsonl", None) == "ndjson"
    assert format_for("out.json", None) == "json"
    assert format_for("x.pq", None) == "parquet"
    assert format_for("-", None) == format_for(None, None) == "ndjson"
    for name in ("out.txt", "out.xlsx", "out.tsv", "out"):  # never NDJSON under a name promising otherwise
        with pytest.raises(UsageProblem, match="give --format"):
            format_for(name, None)
    assert format_for("out.tsv", "csv") == "csv"
    assert format_for("out.csv", "json") == "json"
    with pytest.raises(UsageProblem):
        format_for(None, "xml")


def test_json_lines_are_compact_and_raw_records_pass_through_untouched() -> None:
    raw = b'{"id":"17000831539000002       ","lat":38.01240}'
    assert json_line(raw) is raw  # padded ids and number spelling survive
    assert json_line(b'{\n  "a": 1,\n  "b": [1, 2]\n}') == b'{"a":1,"b":[1,2]}'
    assert json_line({"a": None, "ñ": "é"}) == '{"a":null,"ñ":"é"}'.encode()


def test_ndjson_and_json_writers_write_whole_records() -> None:
    out = io.BytesIO()
    writer = NdjsonWriter(out)
    writer.write(b'{"id":1}')
    writer.write({"id": 2})
    writer.close()
    assert out.getvalue() == b'{"id":1}\n{"id":2}\n' and writer.records == 2

    for records, expected in [([], []), ([{"id": 1}], [{"id": 1}]), ([b'{"id":1}', {"id": 2}], [{"id": 1}, {"id": 2}])]:
        out = io.BytesIO()
        array = JsonArrayWriter(out)
        for record in records:
            array.write(record)
        array.close()  # also what an interrupted run does: the array is closed
        assert json.loads(out.getvalue()) == expected


def test_csv_cells() -> None:
    assert [csv_cell(v) for v in (None, "a,b", True, False, 3, 2.5, {"k": [1]}, [1, "x"])] == [
        "",
        "a,b",
        "true",
        "false",
        "3",
        "2.5",
        '{"k":[1]}',
        '[1,"x"]',
    ]


def test_csv_columns_come_from_the_first_record_and_later_keys_are_reported() -> None:
    warnings: list[str] = []
    out = io.BytesIO()
    writer = CsvWriter(out, None, warn=warnings.append)
    writer.write({"id": 1, "name": 'a "quoted", name\nwith a line', "nested": {"x": 1}})
    writer.write(b'{"id": 2, "extra": true}')
    writer.close()
    rows = list(csv.reader(io.StringIO(out.getvalue().decode(), newline="")))
    assert rows == [["id", "name", "nested"], ["1", 'a "quoted", name\nwith a line', '{"x":1}'], ["2", "", ""]]
    assert len(warnings) == 1 and "extra" in warnings[0] and "--fields" in warnings[0]


def test_csv_with_fields_writes_the_header_even_without_records() -> None:
    out = io.BytesIO()
    CsvWriter(out, ["cpe", "olt"], warn=print).close()
    assert out.getvalue() == b"cpe,olt\r\n"


def test_parquet_column_kinds_and_coercion() -> None:
    rows = [{"i": 1, "f": 1, "b": True, "s": "x", "n": None, "o": {"a": 1}, "m": 1}, {"f": 2.5, "m": "x"}]
    assert column_kinds(rows, ["i", "f", "b", "s", "n", "o", "m"]) == {
        "i": "int",
        "f": "float",
        "b": "bool",
        "s": "string",
        "n": "string",
        "o": "json",
        "m": "string",
    }
    assert coerce(3, "float") == (3.0, True)
    assert coerce(4.0, "int") == (4, True)
    assert coerce(4.5, "int") == (None, False)
    assert coerce("4", "int") == (None, False)
    assert coerce(True, "int") == (None, False)
    assert coerce(2**70, "int") == (None, False)
    assert coerce(1, "bool") == (None, False)
    assert coerce({"a": 1}, "json") == ('{"a":1}', True)
    assert coerce(5, "string") == ("5", True)
    assert coerce(None, "int") == (None, True)


def test_parquet_round_trip_with_a_misfit_reported() -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    warnings: list[str] = []
    out = io.BytesIO()
    writer = ParquetWriter(out, ["id", "lat", "tags"], warn=warnings.append, batch=2)
    writer.write({"id": 1, "lat": 1, "tags": ["a"]})
    writer.write({"id": 2, "lat": 2.5, "tags": None})
    writer.write({"id": "pim0003", "lat": None, "tags": []})  # after the schema was fixed: id does not fit
    writer.close()
    table = pq.read_table(io.BytesIO(out.getvalue()))
    assert [str(t) for t in table.schema.types] == ["int64", "double", "string"]
    assert table.to_pylist() == [
        {"id": 1, "lat": 1.0, "tags": '["a"]'},
        {"id": 2, "lat": 2.5, "tags": None},
        {"id": None, "lat": None, "tags": "[]"},
    ]
    assert len(warnings) == 1 and "id (1)" in warnings[0]


def test_an_empty_parquet_export_is_still_a_parquet_file() -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    for columns in (None, ["a"]):
        out = io.BytesIO()
        ParquetWriter(out, columns, warn=print).close()
        assert pq.read_table(io.BytesIO(out.getvalue())).num_rows == 0


# ------------------------------------------------------------------------------------------ progress


def test_progress_line_with_a_total() -> None:
    line = render(4_500, 10_000, 1.5, width=100)
    assert "4,500/10,000 records" in line and " 45%" in line and "3,000 records/s" in line and "ETA 0:02" in line
    assert line.startswith("[") and "#" in line
    assert "in 0:05" in render(10, 10, 5, width=100)
    assert render(0, 10, 0.0, width=100).endswith("ETA -:--")


def test_progress_line_without_a_total_and_narrow_terminals() -> None:
    assert render(1234, None, 2.0, width=80) == "1,234 records  617 records/s  0:02"
    narrow = render(5, 10, 1.0, width=30)
    assert len(narrow) <= 30 and not narrow.startswith("[")


def test_durations() -> None:
    assert [format_duration(s) for s in (0, 7.4, 750, 7384)] == ["0:00", "0:07", "12:30", "2:03:04"]


def test_progress_redraws_at_most_every_interval_and_finishes_with_a_newline() -> None:
    now = [0.0]
    out = io.StringIO()
    progress = Progress(out, enabled=True, interval=1.0, clock=lambda: now[0])
    progress.set_total(3)
    progress.advance()  # first draw
    now[0] = 0.5
    progress.advance()  # too soon
    now[0] = 2.0
    progress.advance()
    progress.finish()
    text = out.getvalue()
    assert text.count("\r") == 3 and text.endswith("\n") and "3/3 records" in text


def test_disabled_progress_writes_nothing() -> None:
    out = io.StringIO()
    progress = Progress(out, enabled=False)
    progress.advance(5)
    progress.finish()
    assert out.getvalue() == "" and progress.done == 5


def test_expected_records_for_the_eta() -> None:
    assert expected_records(158, offset=42, limit=3) == 3
    assert expected_records(158, offset=42, limit=None) == 116
    assert expected_records(10, offset=42, limit=None) == 0
    assert expected_records(None, offset=0, limit=5) is None


# ------------------------------------------------------------------------------------------ errors


def _status(cls: type[Any], **kw: Any) -> Any:
    return cls(status=cls.status, method="GET", url="https://k.example/api/v2/isp/cpes/", **kw)


def test_auth_errors_say_how_to_give_credentials_on_the_command_line() -> None:
    text = describe(_status(Unauthorized, detail="Invalid username/password."))
    assert text.startswith("GET https://k.example/api/v2/isp/cpes/ -> HTTP 401: Invalid username/password.")
    assert "-a USER[:PASSWORD]" in text and "KRILL_PASSWORD" in text and "Krill(auth" not in text
    assert "not retried" in describe(_status(InvalidCredentials))
    assert "isp/cpes/" in describe(_status(NotFound, detail="Not found."))
    # each sentence starts with a capital: "... -> HTTP 404: Not found. Check the path ..."
    assert ": Not found. Check the path" in describe(_status(NotFound, detail="Not found."))


def test_other_errors_keep_the_library_message_on_one_line() -> None:
    error = ConnectError("GET x failed:\n  refused. The server may be down.", method="GET", url="x")
    assert describe(error) == "GET x failed: refused. The server may be down."
    assert "retry later" in describe(_status(ServerError))
    assert describe(FileNotFoundError(2, "No such file or directory", "/no/dir/out.csv")) == (
        "cannot use /no/dir/out.csv: No such file or directory"
    )
    assert "--debug" in describe(RuntimeError("boom"))


def test_exit_statuses() -> None:
    assert exit_status(_status(NotFound)) == 1
    assert exit_status(ConnectError("x")) == 1
    assert exit_status(OSError("disk full")) == 1
    assert exit_status(UsageProblem("x")) == 2
    assert exit_status(InvalidIdentifier("a/b")) == 2
    assert exit_status(InvalidArgument("x")) == 2
    assert exit_status(KeyboardInterrupt()) == 130
    assert exit_status(BrokenPipeError()) == 0


# ------------------------------------------------------------------------------------------ credentials


def _basic(auth: Any) -> tuple[str, str]:
    """The user and password a BasicAuth sends."""
    assert isinstance(auth, BasicAuth)
    user, _, password = base64.b64decode(auth._header.removeprefix("Basic ")).decode().partition(":")
    return user, password


def _never(user: str) -> str:
    raise AssertionError(f"asked for {user}'s password")


def test_httpie_style_auth_flag() -> None:
    auth = resolve_auth(auth="usuario:contra:seña", token=None, auth_type="basic", env={}, ask_password=_never)
    assert _basic(auth) == ("usuario", "contra:seña")
    jwt = resolve_auth(auth="u:p", token=None, auth_type="jwt", env={}, ask_password=_never)
    assert isinstance(jwt, JWTLogin)


def test_a_user_without_password_takes_it_from_the_environment_or_asks() -> None:
    auth = resolve_auth(auth="u", token=None, auth_type="basic", env={"KRILL_PASSWORD": "p"}, ask_password=_never)
    assert _basic(auth) == ("u", "p")
    asked: list[str] = []
    auth = resolve_auth(
        auth="u", token=None, auth_type="basic", env={}, ask_password=lambda u: asked.append(u) or "typed"
    )
    assert _basic(auth) == ("u", "typed") and asked == ["u"]


def test_flags_replace_the_environment_and_the_environment_is_read_otherwise() -> None:
    env = {"KRILL_TOKEN": "t0k", "KRILL_USERNAME": "env", "KRILL_PASSWORD": "envp"}
    flag = resolve_auth(auth="u:p", token=None, auth_type="basic", env=env, ask_password=_never)
    assert _basic(flag) == ("u", "p")
    assert isinstance(resolve_auth(auth=None, token=None, auth_type="basic", env=env, ask_password=_never), BearerToken)
    del env["KRILL_TOKEN"]
    from_env = resolve_auth(auth=None, token=None, auth_type="basic", env=env, ask_password=_never)
    assert _basic(from_env) == ("env", "envp")
    assert isinstance(resolve_auth(auth=None, token="x", auth_type="basic", env={}, ask_password=_never), BearerToken)
    assert resolve_auth(auth=None, token=None, auth_type="basic", env={}, ask_password=_never) is None


@pytest.mark.parametrize(("auth", "token"), [("u:p", "t"), (":p", None), (None, "")])
def test_contradictory_or_empty_credentials_are_usage_errors(auth: str | None, token: str | None) -> None:
    with pytest.raises(UsageProblem):
        resolve_auth(auth=auth, token=token, auth_type="basic", env={}, ask_password=_never)


def test_urls() -> None:
    assert resolve_url("https://k.example", None) == "https://k.example"
    assert resolve_url(None, split_target("k.example:4780/api/v2/isp/cpes/")) == "http://k.example:4780/"
    for bad in (None, "k.example", "ftp://k.example", "https://u:p@k.example"):
        with pytest.raises(UsageProblem):
            resolve_url(bad, Target("isp/cpes/"))


def test_connections_never_show_credentials() -> None:
    shown = repr(Connection("https://k.example", BasicAuth("usuario", "s3cret!")))
    assert "s3cret!" not in shown and "BasicAuth" in shown


# ------------------------------------------------------------------------------------------ bulk actions


def test_ids_from_a_file() -> None:
    lines = ["id\n", "350\n", "# a comment\n", "\n", "351,pim0351,HG8245H\n", '"352"\t x\n', "pim0353  # named\n"]
    assert read_ids(lines) == ["350", "351", "352", "pim0353"]
    assert read_ids(["cpe,action,ok\n", "7,reboot,true\n"]) == ["7"]  # krill's own report


def test_confirmation_and_report_rows() -> None:
    assert confirmation_text("reboot", [350]) == "reboot 1 CPE (350)?"
    assert confirmation_text("factory", list(range(7))) == "factory 7 CPEs (0, 1, 2, 3, 4 and 2 more)?"
    failed = outcome_row(9, "reboot", error=_status(NotFound, detail="Not found."))
    assert failed == {"cpe": 9, "action": "reboot", "ok": False, "status": 404, "message": "Not found."}
    cut = outcome_row(9, "reboot", error=ConnectError("connection reset"))
    assert cut["status"] is None and cut["message"] == "connection reset"


def test_text_report_and_summary() -> None:
    out = io.BytesIO()
    report = TextReport(out)
    report.write({"cpe": 350, "ok": True, "status": 202, "message": "Reboot requested\nfor pim0350"})
    report.write({"cpe": "pim9", "ok": False, "status": None, "message": "refused"})
    report.close()
    assert out.getvalue().decode() == "350\tok\t202\tReboot requested for pim0350\npim9\tFAILED\t-\trefused\n"
    summary = BulkSummary("reboot", planned=10, duplicates=1, ok=5, failed=1, in_flight=[7, 8])
    assert summary.not_sent == 2
    assert summary.text() == (
        "reboot: 5 acknowledged, 1 failed, 1 repeated ids skipped, 2 sent with no answer (outcome unknown: 7, 8), "
        "2 not sent"
    )


# ------------------------------------------------------------------------------------------ packaging


def test_importing_the_library_loads_no_cli_dependency() -> None:
    loaded = "sorted(m for m in ('click', 'pyarrow', 'krill_async.cli') if m in sys.modules)"
    code = f"import sys, krill_async; print({loaded})"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


def test_the_console_script_is_declared() -> None:
    from importlib.metadata import entry_points

    scripts = {ep.name: ep.value for ep in entry_points(group="console_scripts")}
    assert scripts.get("krill") == "krill_async.cli:main"
