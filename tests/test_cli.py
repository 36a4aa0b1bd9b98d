"""The ``krill`` command line, run as a subprocess against the simulator on loopback (ephemeral ports).

Every vendor example of docs/cli.md is run as written (with the simulated data's ids and tags) and its
output compared with the raw API's answer; then formats, progress on a terminal, pipes closed early,
Ctrl-C, errors and exit statuses, credentials, CPE actions, ``demo`` and ``serve``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from krill_async.testing import KrillSimulator, SimulatorConfig
from krill_async.testing.apps import app_state

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "cli.md"
AUTH = ("usuario", "contraseña")
POSIX = sys.platform != "win32"


# ------------------------------------------------------------------------------------------ helpers


def _env(sim: KrillSimulator | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KRILL_")}
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONIOENCODING"] = "utf-8"
    if sim is not None:
        env.update(KRILL_URL=sim.url, KRILL_USERNAME=AUTH[0], KRILL_PASSWORD=AUTH[1])
    env.update(extra)
    return env


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "krill_async.cli", *args]


def krill(*args: str, env: dict[str, str], stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run ``krill ARGS`` to completion; stdin is empty unless given (never the test's terminal)."""
    return subprocess.run(
        _command(*args),
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=env,
        timeout=300,
        check=False,
    )


def ndjson(data: bytes) -> list[Any]:
    assert data.endswith(b"\n") or not data
    return [json.loads(line) for line in data.splitlines()]


def jq(record: Any, path: str) -> Any:
    """jq's ``.a.b.c``: null for a missing key or a non-object on the way."""
    for key in path.split("."):
        record = record.get(key) if isinstance(record, dict) else None
    return record


class Raw:
    """The simulator answered directly (with requests), to compare the CLI's output with."""

    def __init__(self, sim: KrillSimulator) -> None:
        self.sim = sim

    def get(self, path: str, params: list[tuple[str, str]]) -> bytes:
        response = requests.get(self.sim.url + path, params=params, auth=AUTH, timeout=60)
        response.raise_for_status()
        return response.content

    def records(self, path: str, params: list[tuple[str, str]], *, offset: int = 0, limit: int | None = None) -> Any:
        found: list[Any] = []
        while True:
            page = json.loads(self.get(path, [*params, ("limit", "1000"), ("offset", str(offset))]))
            found += page["results"]
            offset += len(page["results"])
            if not page["next"] or not page["results"]:
                break
        return found[:limit] if limit is not None else found


@pytest.fixture(scope="module")
def sim() -> Iterator[KrillSimulator]:
    """One simulator for the read-only tests (300 CPEs, their monitoring hosts and services)."""
    server = KrillSimulator(SimulatorConfig(cpes=300))
    with server.run_in_thread():
        yield server


# ------------------------------------------------------------------------------------------ the vendor's examples


def doc_examples() -> list[str]:
    """The ``$ krill ...`` lines of the vendor examples section of docs/cli.md."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## The vendor's examples, with `krill`", 1)[1].split("\n## ", 1)[0]
    return [line[2:].strip() for line in section.splitlines() if line.startswith("$ krill ")]


SERVICES = [("type", "Service"), ("perfdata.pondesv__gt", "2")]
ALARMS = [("type", "Host"), ("regstate", "alarm")]
SMR = [("type", "Host"), ("reghost", "SMR-OLT03")]
SEARCH = "/api/v2/monitoring/search"
SN = "0000deadbeef0000"


@pytest.fixture(scope="module")
def doc_data(sim: KrillSimulator) -> dict[str, Any]:
    """The documented values, made real in the simulated data: the vendor's serial number is given to a CPE
    with two telephone lines (like the guide's CPE 74), and an alarmed OLT port stands for CAR-OLT02-0/3/9."""
    net = sim.network
    cpe_id = 74 if 74 in net.cpes else next(i for i in sorted(net.cpes) if len(net.potses_of(i)) >= 2)
    if not any(c["sn"] == SN for c in net.cpes.values()):  # the simulator seeds the vendor's CPE 350 itself
        net.update_cpe(cpe_id, sn=SN)
    raw = Raw(sim)
    tag = None
    for host in raw.records(SEARCH, ALARMS):
        tags = jq(host, "attrs.vars.cpe_registration_tags")
        tags = [tags] if isinstance(tags, str) else tags or []
        tag = next((t for t in tags if re.fullmatch(r".+-\d+/\d+/\d+", t)), None)
        if tag:
            break
    assert tag is not None, "the simulated network has no alarmed host with a registration tag"
    host_port = sim.url.removeprefix("http://")
    return {
        "cpe_id": cpe_id,
        "tag": tag,
        "replace": {
            "isp/cpes/74/": f"isp/cpes/{cpe_id}/",
            "regtag==CAR-OLT02-0/3/9": f"regtag=={tag}",
            "krill.phicus.es:4780": host_port,
        },
    }


Check = Callable[[Raw, dict[str, Any], bytes], None]


def _same_body(
    path: str, params: Callable[[dict[str, Any]], list[tuple[str, str]]], check: Callable[[Any], bool]
) -> Check:
    """``krill get``: the answer byte for byte (stdout is not a terminal, so nothing is reformatted)."""

    def verify(raw: Raw, data: dict[str, Any], out: bytes) -> None:
        body = raw.get(path.format(**data), params(data))
        assert out == body + (b"" if body.endswith(b"\n") else b"\n")
        assert check(json.loads(out))

    return verify


def _same_records(
    path: str,
    params: Callable[[dict[str, Any]], list[tuple[str, str]]],
    *,
    offset: int = 0,
    limit: int | None = None,
    fields: dict[str, str] | None = None,
    at_least: int = 1,
) -> Check:
    """``krill list``/``search``: every record of every page, in server order (or the selected fields)."""

    def verify(raw: Raw, data: dict[str, Any], out: bytes) -> None:
        expected = raw.records(path, params(data), offset=offset, limit=limit)
        if fields is not None:
            expected = [{name: jq(r, p) for name, p in fields.items()} for r in expected]
        got = ndjson(out)
        assert got == expected
        assert len(got) >= at_least

    return verify


def _tag(data: dict[str, Any]) -> list[tuple[str, str]]:
    return [*ALARMS, ("regtag", data["tag"])]


CPE_OLT = {"cpe": "name", "olt": "attrs.vars.cpe_registration_host"}

EXAMPLES: dict[str, Check] = {
    "krill get /api/cpes/ sn==0000deadbeef0000": _same_body(
        "/api/cpes/", lambda d: [("sn", SN)], lambda body: [c["sn"] for c in body] == [SN]
    ),
    "krill get isp/cpes/ sn==0000deadbeef0000": _same_body(
        "/api/v2/isp/cpes/", lambda d: [("sn", SN)], lambda body: body["count"] == 1 and body["results"][0]["sn"] == SN
    ),
    "krill list isp/cpes/ sn==0000deadbeef0000": _same_records("/api/v2/isp/cpes/", lambda d: [("sn", SN)]),
    "krill get isp/cpes/74/ attrs==id,cpename": _same_body(
        "/api/v2/isp/cpes/{cpe_id}/", lambda d: [("attrs", "id,cpename")], lambda body: set(body) == {"id", "cpename"}
    ),
    "krill get isp/cpes/74/ attrs==id joins==customer,potses": _same_body(
        "/api/v2/isp/cpes/{cpe_id}/",
        lambda d: [("attrs", "id"), ("joins", "customer,potses")],
        lambda body: isinstance(body["customer"], dict) and len(body["potses"]) >= 2,
    ),
    "krill get isp/cpes/74/ --attrs id --joins customer,potses": _same_body(
        "/api/v2/isp/cpes/{cpe_id}/",
        lambda d: [("attrs", "id"), ("joins", "customer,potses")],
        lambda body: isinstance(body["customer"], dict) and len(body["potses"]) >= 2,
    ),
    "krill get isp/cpes/ attrs==id offset==42 limit==3": _same_body(
        "/api/v2/isp/cpes/",
        lambda d: [("attrs", "id"), ("offset", "42"), ("limit", "3")],
        lambda body: body["count"] == 300 and len(body["results"]) == 3 and "offset=45" in body["next"],
    ),
    "krill list isp/cpes/ attrs==id offset==42 limit==3": _same_records(
        "/api/v2/isp/cpes/", lambda d: [("attrs", "id")], offset=42, limit=3, at_least=3
    ),
    "krill search type==Service perfdata.pondesv__gt==2": _same_records(SEARCH, lambda d: SERVICES, at_least=11),
    "krill search -a usuario:contraseña krill.phicus.es:4780/api/v2/monitoring/search type==Service "
    "perfdata.pondesv__gt==2": _same_records(SEARCH, lambda d: SERVICES, at_least=11),
    "krill search type==Service perfdata.pondesv__gt==2 --fields cpe=name,olt=attrs.vars.cpe_registration_host": (
        _same_records(SEARCH, lambda d: SERVICES, fields=CPE_OLT, at_least=11)
    ),
    "krill search type==Service perfdata.pondesv__gt==2 "
    "--fields '{cpe: .name, olt: .attrs.vars.cpe_registration_host}'": (
        _same_records(SEARCH, lambda d: SERVICES, fields=CPE_OLT, at_least=11)
    ),
    "krill search type==Host regstate==alarm": _same_records(SEARCH, lambda d: ALARMS, at_least=11),
    "krill search type==Host regstate==alarm regtag==CAR-OLT02-0/3/9": _same_records(SEARCH, _tag),
    "krill search type==Host regstate==alarm regtag==CAR-OLT02-0/3/9 --fields regid=attrs.vars.cpe_registration_id": (
        _same_records(SEARCH, _tag, fields={"regid": "attrs.vars.cpe_registration_id"})
    ),
    "krill search type==Host reghost==SMR-OLT03 limit==1": _same_records(SEARCH, lambda d: SMR, limit=1),
    "krill search type==Host reghost==SMR-OLT03 limit==1 --fields name=name,sn=attrs.vars.administrative_info.sn": (
        _same_records(
            SEARCH, lambda d: SMR, limit=1, fields={"name": "name", "sn": "attrs.vars.administrative_info.sn"}
        )
    ),
}


def test_every_vendor_example_in_the_docs_is_tested() -> None:
    documented = doc_examples()
    assert len(documented) == len(set(documented)) >= 12
    assert set(documented) == set(EXAMPLES)


@pytest.mark.parametrize("example", list(EXAMPLES))
def test_vendor_example(example: str, sim: KrillSimulator, doc_data: dict[str, Any]) -> None:
    args = []
    for arg in shlex.split(example)[1:]:
        for documented, simulated in doc_data["replace"].items():
            arg = arg.replace(documented, simulated)
        args.append(arg)
    result = krill(*args, env=_env(sim))
    assert result.returncode == 0, result.stderr.decode()
    assert result.stderr == b""  # no terminal: no progress, no messages
    EXAMPLES[example](Raw(sim), doc_data, result.stdout)


# ------------------------------------------------------------------------------------------ formats


def test_exports_in_every_format_hold_the_same_records(sim: KrillSimulator, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    expected = [{"id": c["id"], "sn": c["sn"], "lat": c["latitude"]} for _, c in sorted(sim.network.cpes.items())]
    fields = ["--fields", "id,sn,lat=latitude", "--page-size", "70"]
    for name in ("cpes.ndjson", "cpes.json", "cpes.csv", "cpes.parquet"):
        result = krill("export", "isp/cpes/", "-o", str(tmp_path / name), *fields, env=_env(sim))
        assert result.returncode == 0 and result.stderr == b"", result.stderr.decode()
    assert ndjson((tmp_path / "cpes.ndjson").read_bytes()) == expected
    assert json.loads((tmp_path / "cpes.json").read_bytes()) == expected
    rows = list(csv.DictReader(io.StringIO((tmp_path / "cpes.csv").read_text(encoding="utf-8"), newline="")))
    assert rows == [{k: "" if v is None else str(v) for k, v in r.items()} for r in expected]
    table = pq.read_table(tmp_path / "cpes.parquet")
    assert table.column_names == ["id", "sn", "lat"] and table.to_pylist() == expected


def test_list_formats_on_stdout_and_unordered_pages(sim: KrillSimulator) -> None:
    whole = krill("list", "isp/cpes/", "--page-size", "64", env=_env(sim))
    records = ndjson(whole.stdout)
    assert [r["id"] for r in records] == sorted(sim.network.cpes) and "_links" in records[0]
    as_json = krill("list", "isp/cpes/", "--format", "json", "--attrs", "id,sn", env=_env(sim))
    assert json.loads(as_json.stdout) == [{"id": r["id"], "sn": r["sn"]} for r in records]
    as_csv = krill("list", "isp/cpes/", "--format", "csv", env=_env(sim))
    rows = list(csv.reader(io.StringIO(as_csv.stdout.decode(), newline="")))
    assert rows[0][:3] == ["_links", "_services", "access"] and len(rows) == len(records) + 1
    assert json.loads(rows[1][0]) == records[0]["_links"]  # nested values as JSON text
    unordered = krill("list", "isp/cpes/", "--attrs", "id", "--unordered", "--page-size", "16", env=_env(sim))
    assert sorted(r["id"] for r in ndjson(unordered.stdout)) == sorted(sim.network.cpes)


def test_parquet_needs_its_extra() -> None:
    code = (
        "import sys; sys.modules['pyarrow'] = None; from krill_async.cli import main; "
        "sys.exit(main(['export', 'isp/cpes/', '-o', 'x.parquet', '--url', 'http://127.0.0.1:9']))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, env=_env(), timeout=120, check=False)
    assert result.returncode == 2 and b"pip install 'krill-async[parquet]'" in result.stderr


def test_the_cli_extra_is_named_when_click_is_missing() -> None:
    code = "import sys; sys.modules['click'] = None; from krill_async.cli import main; sys.exit(main(['--help']))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, env=_env(), timeout=120, check=False)
    assert result.returncode == 1 and b"pip install 'krill-async[cli]'" in result.stderr


# ------------------------------------------------------------------------------------------ terminals and pipes


def _run_on_a_terminal(args: list[str], env: dict[str, str]) -> tuple[int, bytes, bytes]:
    """Run with stderr on a pseudo-terminal (stdout a pipe); returns (status, stdout, terminal output)."""
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(_command(*args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave, env=env)
    os.close(slave)
    seen: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO once the child closed its side
                return
            if not chunk:
                return
            seen.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    out, _ = proc.communicate(timeout=300)
    reader.join(timeout=30)
    os.close(master)
    return proc.returncode, out, b"".join(seen)


@pytest.mark.skipif(not POSIX, reason="pseudo-terminals are POSIX")
def test_progress_shows_on_a_terminal_only(sim: KrillSimulator, tmp_path: Path) -> None:
    args = ["export", "isp/cpes/", "--page-size", "25", "--fields", "id,sn"]
    status, out, terminal = _run_on_a_terminal([*args, "-o", str(tmp_path / "a.csv")], _env(sim))
    assert status == 0 and out == b""
    text = terminal.decode()
    assert "\r" in text and "300/300 records" in text and "100%" in text and "records/s" in text
    assert f"wrote 300 records to {tmp_path / 'a.csv'} (csv)" in text
    assert len((tmp_path / "a.csv").read_bytes().splitlines()) == 301

    # the records on stdout (a pipe) stay clean while the terminal shows the progress
    status, out, terminal = _run_on_a_terminal(args, _env(sim))
    assert status == 0 and len(ndjson(out)) == 300 and b"300/300 records" in terminal

    status, out, terminal = _run_on_a_terminal([*args, "--quiet"], _env(sim))
    assert status == 0 and len(ndjson(out)) == 300 and terminal == b""

    piped = krill(*args, "-o", str(tmp_path / "b.csv"), env=_env(sim))  # stderr not a terminal: silent
    assert piped.returncode == 0 and piped.stderr == b""


def test_a_reader_that_stops_early_ends_the_command_quietly(sim: KrillSimulator) -> None:
    proc = subprocess.Popen(
        _command("list", "isp/cpes/", "--page-size", "20"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(sim),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = json.loads(proc.stdout.readline())  # like `| head -1`: read one record, then close the pipe
    proc.stdout.close()
    errors = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=300) == 0
    assert first["id"] == min(sim.network.cpes)
    assert errors == b""  # no traceback, no BrokenPipeError message


@pytest.mark.skipif(not POSIX, reason="SIGINT is sent with os.kill")
@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_ctrl_c_leaves_complete_records_and_exits_130(
    fmt: str, krill_simulator_factory: Callable[..., KrillSimulator], tmp_path: Path
) -> None:
    sim = krill_simulator_factory(cpes=3000, latency=0.02)  # 300 sequential pages: far from done when stopped
    target = tmp_path / f"cpes.{fmt}"
    output = ["-o", str(target)] if fmt == "json" else ["--format", "csv"]
    command = "export" if fmt == "json" else "list"
    proc = subprocess.Popen(
        _command(command, "isp/cpes/", *output, "--page-size", "10", "--concurrency", "1"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(sim),
    )
    assert proc.stdout is not None
    head = b""
    if fmt == "csv":
        head = proc.stdout.readline() + proc.stdout.readline()  # the header and a record: under way
    else:
        served = threading.Event()
        while sum(1 for r in list(sim.requests) if "/isp/cpes/" in r.path_qs) < 3:  # pages are being written
            served.wait(0.05)
    os.kill(proc.pid, signal.SIGINT)
    assert proc.stderr is not None
    with (
        proc.stdout,
        proc.stderr,
    ):  # read through the buffered pipes (communicate() would skip what readline() buffered)
        rest, errors = proc.stdout.read(), proc.stderr.read()
    assert proc.wait(timeout=300) == 130, errors.decode()
    assert re.search(rb"krill: interrupted: [\d,]+ complete records written to", errors)
    assert b"Traceback" not in errors
    if fmt == "csv":
        text = (head + rest).decode()  # (a quoted field may hold a newline: rows are parsed as a whole)
        assert text.endswith("\r\n")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert 1 < len(rows) <= 3000 and {len(row) for row in rows} == {55}
        assert [int(row[rows[0].index("id")]) for row in rows[1:]] == sorted(sim.network.cpes)[: len(rows) - 1]
    else:
        records = json.loads(target.read_bytes())  # a closed, valid array
        assert 0 < len(records) < 3000 and [r["id"] for r in records] == sorted(sim.network.cpes)[: len(records)]


# ------------------------------------------------------------------------------------------ errors and credentials


def test_api_errors_are_one_line_and_exit_1(sim: KrillSimulator) -> None:
    secret = "wr0ng-s3cret"
    refused = krill("get", "isp/cpes/", "-a", f"usuario:{secret}", env=_env(KRILL_URL=sim.url))
    lines = refused.stderr.decode().splitlines()
    assert refused.returncode == 1 and refused.stdout == b"" and len(lines) == 1
    assert lines[0].startswith("krill: error: GET ") and "HTTP 401" in lines[0] and "-a USER[:PASSWORD]" in lines[0]

    debug = krill("get", "isp/cpes/", "-a", f"usuario:{secret}", "--debug", env=_env(KRILL_URL=sim.url))
    assert debug.returncode == 1 and b"Traceback" in debug.stderr and b"Unauthorized" in debug.stderr
    assert secret.encode() not in debug.stderr + debug.stdout

    missing = krill("get", "isp/cpes/999999/", env=_env(sim))
    assert missing.returncode == 1 and b"HTTP 404" in missing.stderr

    not_a_list = krill("list", f"isp/cpes/{min(sim.network.cpes)}/", env=_env(sim))
    assert not_a_list.returncode == 1 and b"did not answer with a list of records" in not_a_list.stderr

    with socket_closed() as url:
        down = krill("list", "isp/cpes/", "--url", url, env=_env())
    assert down.returncode == 1 and b"krill: error:" in down.stderr and b"Traceback" not in down.stderr


class socket_closed:
    """A loopback URL where nothing listens (a port taken, then freed)."""

    def __enter__(self) -> str:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["get", "isp/cpes/", "type"], b"expected a query item like type==Host"),
        (["list", "isp/cpes/", "--fields", "a=,b"], b"--fields"),
        (["list", "isp/cpes/", "limit==0"], b"limit==0"),
        (["get", "isp/cpes/", "--url", "krill.example.net"], b"--url needs the scheme"),
        (["search", "isp/cpes/"], b"search reads monitoring/search"),
        (["list", "isp/cpes/", "--no-such-option"], b"No such option"),
        (["action", "reboot", "a/b", "--yes"], b"identifier 'a/b'"),
    ],
)
def test_usage_errors_exit_2_before_sending_anything(sim: KrillSimulator, args: list[str], message: bytes) -> None:
    before = sim.stats.requests
    result = krill(*args, env=_env(sim))
    assert result.returncode == 2 and message in result.stderr, result.stderr.decode()
    assert sim.stats.requests == before


def test_no_url_and_no_password_are_usage_errors(sim: KrillSimulator) -> None:
    assert krill("get", "isp/cpes/", env=_env()).returncode == 2
    no_password = krill("get", "isp/cpes/", "-a", "usuario", env=_env(KRILL_URL=sim.url))
    assert no_password.returncode == 2 and b"KRILL_PASSWORD" in no_password.stderr


def _env_url(sim: KrillSimulator) -> dict[str, str]:
    return _env(KRILL_URL=sim.url)


def test_credentials_from_flags_and_environment(sim: KrillSimulator) -> None:
    ok = [
        krill("get", "isp/cpes/", "limit==1", "-a", "usuario:contraseña", env=_env_url(sim)),
        krill("get", "isp/cpes/", "limit==1", "-a", "usuario:contraseña", "-A", "jwt", env=_env_url(sim)),
        krill("get", "isp/cpes/", "limit==1", "-a", "usuario", env=_env(KRILL_URL=sim.url, KRILL_PASSWORD=AUTH[1])),
        krill("get", "isp/cpes/", "limit==1", "--token", sim.issue_tokens()["access"], env=_env_url(sim)),
        krill("get", "isp/cpes/", "limit==1", env=_env(KRILL_URL=sim.url, KRILL_TOKEN=sim.issue_tokens()["access"])),
    ]
    for result in ok:
        assert result.returncode == 0, result.stderr.decode()
        assert json.loads(result.stdout)["count"] == 300
    assert sim.stats.logins >= 1  # -A jwt logged in


def test_get_with_fields_and_a_whole_url(sim: KrillSimulator) -> None:
    cpe = sim.network.cpes[min(sim.network.cpes)]
    url = f"{sim.url}/api/v2/isp/cpes/{cpe['id']}/?joins=customer"
    result = krill(
        "get",
        url,
        "--fields",
        "sn,customer=customer.surname",
        env=_env(KRILL_USERNAME="usuario", KRILL_PASSWORD=AUTH[1]),
    )
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == {"sn": cpe["sn"], "customer": sim.network.customers[cpe["customer"]]["surname"]}


# ------------------------------------------------------------------------------------------ actions


@pytest.fixture
def small(krill_simulator_factory: Callable[..., KrillSimulator]) -> KrillSimulator:
    return krill_simulator_factory(cpes=40)


def _actionable(sim: KrillSimulator, count: int) -> list[int]:
    """CPEs that accept every action (TR-069, no blocking flags)."""
    good = [
        i
        for i, c in sorted(sim.network.cpes.items())
        if c["has_tr069"] and not c["disable_provision"] and not c["disable_reconfig"]
    ]
    assert len(good) >= count
    return good[:count]




def test_an_action_asks_first(small: KrillSimulator) -> None:
    cpe = _actionable(small, 1)[0]
    declined = krill("action", "reboot", str(cpe), env=_env(small), stdin=b"n\n")
    assert declined.returncode == 1 and b"reboot 1 CPE" in declined.stderr and b"nothing was sent" in declined.stderr
    assert app_state(small).actions == [] and declined.stdout == b""

    accepted = krill("action", "reboot", str(cpe), env=_env(small), stdin=b"y\n")
    assert accepted.returncode == 0, accepted.stderr.decode()
    assert accepted.stdout.decode().startswith(f"{cpe}\tok\t202\t")
    assert [a.action for a in app_state(small).actions_on(cpe)] == ["reboot"]


def test_bulk_actions_from_a_file_report_each_cpe_once(small: KrillSimulator, tmp_path: Path) -> None:
    first, second, third = _actionable(small, 3)
    app_state(small).action_failures[second] = (500, {"detail": "OLT timeout"})
    ids = tmp_path / "ids.txt"
    ids.write_text(f"# CPEs to reprovision\n{first}\n{second}\n\n{third},note\n{first}\n999999\n", encoding="utf-8")
    result = krill("action", "reprovision", "--ids-from", str(ids), "--yes", "--format", "ndjson", env=_env(small))
    assert result.returncode == 1  # some failed
    rows = {row["cpe"]: row for row in ndjson(result.stdout)}
    assert set(rows) == {first, second, third, 999999}
    assert rows[first]["ok"] and rows[third]["ok"] and rows[first]["status"] == 202
    assert rows[second] == {
        "cpe": second,
        "action": "reprovision",
        "ok": False,
        "status": 500,
        "message": "OLT timeout",
    }
    assert rows[999999]["status"] == 404
    for cpe in (first, second, third):
        assert len(app_state(small).actions_on(cpe, "reprovision")) == 1
    summary = result.stderr.decode()
    assert "reprovision: 2 acknowledged, 2 failed, 1 repeated ids skipped" in summary


def test_ids_from_a_search_export(small: KrillSimulator, tmp_path: Path) -> None:
    """The docs' pipeline: a CSV of ids from a monitoring search feeds a bulk action."""
    ids = tmp_path / "ids.csv"
    search = krill(
        "export", "monitoring/search", "type==Host", "-o", str(ids), "--fields", "id=attrs.vars.administrative_info.id",
        env=_env(small),
    )  # fmt: skip
    assert search.returncode == 0, search.stderr.decode()
    wanted = [int(line) for line in ids.read_text().splitlines()[1:] if line]
    assert len(wanted) >= 10
    result = krill("action", "reboot", "--ids-from", str(ids), "--yes", "--format", "csv", env=_env(small))
    rows = list(csv.DictReader(io.StringIO(result.stdout.decode(), newline="")))
    assert sorted(int(r["cpe"]) for r in rows) == sorted(set(wanted))
    assert all(r["action"] == "reboot" for r in rows)


@pytest.mark.skipif(not POSIX, reason="SIGINT is sent with os.kill")
def test_ctrl_c_during_a_bulk_action_sends_nothing_more_and_reports_what_was_sent(
    krill_simulator_factory: Callable[..., KrillSimulator], tmp_path: Path
) -> None:
    sim = krill_simulator_factory(cpes=400, latency=0.02)
    ids = tmp_path / "ids.txt"
    ids.write_text("\n".join(str(i) for i in sorted(sim.network.cpes)), encoding="utf-8")
    proc = subprocess.Popen(
        _command("action", "reboot", "--ids-from", str(ids), "--yes", "--concurrency", "2", "--format", "ndjson"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(sim),
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # one answer arrived: the run is under way
    os.kill(proc.pid, signal.SIGINT)
    with proc.stdout, proc.stderr:
        rest, errors = proc.stdout.read(), proc.stderr.read()
    assert proc.wait(timeout=300) == 130, errors.decode()
    reported = [row["cpe"] for row in ndjson(first + rest)]
    acted = [a.target for a in app_state(sim).actions]
    assert sorted(reported) == sorted(acted) and len(set(acted)) == len(acted)  # the answers in flight were awaited
    assert 0 < len(reported) < 400
    summary = errors.decode()
    assert f"interrupted: reboot: {len(reported)} acknowledged, 0 failed, {400 - len(reported)} not sent" in summary


def test_ids_on_stdin_need_yes(small: KrillSimulator) -> None:
    cpe = _actionable(small, 1)[0]
    refused = krill("action", "reboot", "--ids-from", "-", env=_env(small), stdin=f"{cpe}\n".encode())
    assert refused.returncode == 2 and b"--yes" in refused.stderr and app_state(small).actions == []
    done = krill("action", "reboot", "--ids-from", "-", "--yes", env=_env(small), stdin=f"{cpe}\n".encode())
    assert done.returncode == 0 and len(app_state(small).actions_on(cpe)) == 1


# ------------------------------------------------------------------------------------------ demo and serve


def test_demo_exports_and_searches_a_simulated_krill() -> None:
    result = krill("demo", "--cpes", "400", "--latency-ms", "0", "--page-size", "100", env=_env())
    assert result.returncode == 0, result.stderr.decode()
    out = result.stdout.decode()
    assert "exported 400 CPEs (server count 400)" in out and "concurrency 8, page size 100, auth Basic" in out
    assert re.search(r"found [\d,]+ services with pondesv > 2 .* e\.g\. \{\"cpe\":", out)


@pytest.mark.skipif(not POSIX, reason="SIGINT is sent with os.kill")
def test_serve_runs_a_simulator_until_ctrl_c() -> None:
    proc = subprocess.Popen(
        _command("serve", "--port", "0", "--cpes", "25"),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=_env(),
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("Krill simulator listening on http://127.0.0.1:")
        url = line.rsplit(" ", 1)[1].strip()
        result = krill(
            "list",
            "isp/cpes/",
            "--attrs",
            "id",
            env=_env(KRILL_URL=url, KRILL_USERNAME=AUTH[0], KRILL_PASSWORD=AUTH[1]),
        )
        assert result.returncode == 0 and len(ndjson(result.stdout)) == 25
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=60)
    assert proc.returncode == 0


def test_help_lists_the_commands() -> None:
    result = krill("--help", env=_env())
    assert result.returncode == 0
    for command in ("get", "list", "search", "export", "action", "demo", "serve"):
        assert re.search(rf"^  {command} ", result.stdout.decode(), re.MULTILINE)
