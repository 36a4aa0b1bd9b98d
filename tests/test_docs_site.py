"""The documentation site builds with ``mkdocs build --strict`` (nav, links, API reference, includes)."""

from __future__ import annotations

import html
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

from .test_docs_roles import PENDING, pending_roles

ROOT = Path(__file__).resolve().parents[1]
#: A Sphinx role as mkdocs renders it when nothing converts it: ``:class:<code>Page</code>``.
RAW_ROLE = re.compile(r":(class|meth|func|attr|exc|data|obj|mod):<code>([^<]+)</code>")
#: Records whose every field (with its type) the Models page must list.
MODELS_LISTED = ("Cpe", "Customer", "Pots", "Host", "Service", "HostAttrs", "ServiceAttrs", "HostVars", "PerfData")


def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    reference = (tmp_path / "reference" / "client" / "index.html").read_text(encoding="utf-8")
    assert "max_in_flight" in reference  # docstrings made it into the API reference
    assert "14,850" in (tmp_path / "benchmarks" / "index.html").read_text(encoding="utf-8")  # included README
    check_no_raw_roles(tmp_path)
    check_models_page(tmp_path / "reference" / "models" / "index.html")


def check_no_raw_roles(site: Path) -> None:
    """Docstrings render as Markdown: a Sphinx role shows raw. Only those of files still pending the
    conversion (tests/test_docs_roles.py) may appear, and none once that list is empty."""
    shown = set()
    for page in site.rglob("*.html"):
        shown |= {(role, html.unescape(target)) for role, target in RAW_ROLE.findall(page.read_text(encoding="utf-8"))}
    allowed = pending_roles() if PENDING else set()
    assert shown <= allowed, f"raw Sphinx roles on the site: {sorted(shown - allowed)[:5]}"


def check_models_page(page: Path) -> None:
    """Every field of the main records is listed, with its type as annotated."""
    import msgspec

    import krill_async.models as models

    anchors = page.read_text(encoding="utf-8")
    text = unqualified(html.unescape(re.sub(r"<[^>]+>", "", anchors)))
    for name in MODELS_LISTED:
        cls = getattr(models, name)
        own = inspect.get_annotations(cls)  # its own: inherited fields are typed under their class
        for field in msgspec.structs.fields(cls):
            assert f'id="krill_async.models.{name}.{field.name}"' in anchors, f"{name}.{field.name} is not listed"
            if field.name in own:
                lazy = getattr(cls, "__lazy_fields__", {})  # kept raw on the wire, documented as decoded
                annotation = lazy.get(field.name, own[field.name])
                typed = f"{field.name}: {unqualified(str(annotation))}"
                assert typed in text, f"{name}.{field.name} is listed without its type ({typed})"


def unqualified(text: str) -> str:
    """``_dt.date | None`` and ``datetime.date | None`` alike: ``date | None``."""
    return re.sub(r"\b(?:\w+\.)+(?=\w)", "", text)
