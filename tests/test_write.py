"""``krill_async.write``: exports to NDJSON, JSON, CSV and Parquet from Python (issue #12, item 4)."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import krill_async
from krill_async import Krill, MissingExtra, write
from krill_async.testing import KrillSimulator

pytestmark = pytest.mark.anyio
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

AUTH = ("usuario", "contraseña")


async def test_parquet_export_of_typed_records_has_one_schema(krill_simulator: KrillSimulator, tmp_path: Path) -> None:
    """The reported failure: typed CPEs in several row groups, nulls varying from record to record."""
    calls: list[tuple[int, int | None]] = []
    warnings: list[str] = []
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        report = await write(
            krill.isp.cpes.list(page_size=50),
            tmp_path / "cpes.parquet",
            batch=64,
            progress=lambda done, total: calls.append((done, total)),
            on_warning=warnings.append,
        )
        wire = json.loads((await krill.request("GET", "isp/cpes/", params={"limit": "1"})).content)["results"][0]
    table = pq.read_table(tmp_path / "cpes.parquet")
    assert report.records == table.num_rows == report.count == 200 and report.format == "parquet"
    assert set(table.column_names) == set(wire)  # nulls kept: every key the server sends is a column
    assert pq.ParquetFile(tmp_path / "cpes.parquet").num_row_groups == 4  # 64 + 64 + 64 + 8
    assert warnings == [] and report.warnings == []
    assert calls == [(64, 200), (128, 200), (192, 200), (200, 200)]


async def test_selection_columns_are_fixed_and_csv_keeps_order(krill_simulator: KrillSimulator, tmp_path: Path) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        query = krill.monitoring.search(type="Host", page_size=100).select(
            cpe="name", olt="attrs.vars.cpe_registration_host"
        )
        report = await write(query, tmp_path / "hosts.csv")
    rows = list(csv.reader((tmp_path / "hosts.csv").read_text(encoding="utf-8").splitlines()))
    assert rows[0] == ["cpe", "olt"] and len(rows) == report.records + 1 > 100


async def test_an_entered_export_and_plain_iterables(krill_simulator: KrillSimulator, tmp_path: Path) -> None:
    async with Krill(krill_simulator.url, auth=AUTH) as krill:
        async with krill.isp.cpes.list(attrs=["id", "sn"]).export(concurrency=2, page_size=30) as records:
            report = await write(records, tmp_path / "cpes.ndjson")
    lines = (tmp_path / "cpes.ndjson").read_text().splitlines()
    assert report.records == len(lines) == 200 and set(json.loads(lines[0])) == {"id", "sn"}

    stream = io.BytesIO()
    report = await write([{"a": 1}, b'{"a": 2}'], stream, format="json")
    assert json.loads(stream.getvalue()) == [{"a": 1}, {"a": 2}] and report.path == "<stream>"


@pytest.mark.parametrize("name", ["cpes.xlsx", "cpes.tsv", "cpes"])
async def test_an_unknown_suffix_is_refused_before_anything_is_written(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="cannot tell the format"):
        await write([{"a": 1}], tmp_path / name)
    assert not (tmp_path / name).exists()
    await write([{"a": 1}], tmp_path / name, format="csv")
    assert (tmp_path / name).read_bytes() == b"a\r\n1\r\n"


async def test_records_that_are_not_rows_are_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="cannot write a int"):
        await write([1], tmp_path / "x.ndjson")


def test_missing_pyarrow_names_the_extra(tmp_path: Path) -> None:
    """Without pyarrow, Parquet fails at once with the pip command (and nothing else needs pyarrow)."""
    code = (
        "import sys, anyio; sys.modules['pyarrow'] = None\n"
        "import krill_async\n"
        "try:\n"
        f"    anyio.run(krill_async.write, [{{'a': 1}}], {str(tmp_path / 'x.parquet')!r})\n"
        "except krill_async.MissingExtra as exc:\n"
        "    print(exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert "pip install 'krill-async[parquet]'" in out.stdout
    assert issubclass(MissingExtra, ImportError)


def test_the_writers_do_not_import_click() -> None:
    code = "import sys, krill_async._write, krill_async._writers; assert 'click' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_write_is_public() -> None:
    names: Any = krill_async.__all__
    assert {"write", "WriteReport", "MissingExtra"} <= set(names)


async def test_an_empty_export_still_reports_progress_once(tmp_path: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    report = await write([], tmp_path / "none.json", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(0, None)] and report.records == 0
    assert json.loads((tmp_path / "none.json").read_text()) == []
    with pytest.raises(ValueError, match="stdout"):
        await write([], "-")
