"""README.md and docs/index.md link every page of docs/ (issue #12, item 7): a page nobody links is a page
nobody finds, on GitHub (README) or on the site (index)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def pages() -> set[str]:
    return {path.relative_to(DOCS).as_posix() for path in DOCS.rglob("*.md")}


def linked(page: Path, base: Path) -> set[str]:
    """The docs pages ``page`` links to, relative to docs/ (anchors dropped, external links ignored)."""
    found = set()
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        path = target.split("#", 1)[0]
        if not path or "://" in path:
            continue
        resolved = (base / path).resolve()
        if resolved.is_relative_to(DOCS.resolve()) and resolved.suffix == ".md":
            found.add(resolved.relative_to(DOCS.resolve()).as_posix())
    return found


def test_there_are_pages_to_link() -> None:
    assert {"index.md", "monitoring.md", "web-backend.md", "reference/models.md"} <= pages()


def test_readme_links_every_page() -> None:
    missing = pages() - linked(ROOT / "README.md", ROOT)
    assert not missing, f"README.md does not link {sorted(missing)}"


def test_index_links_every_other_page() -> None:
    missing = pages() - {"index.md"} - linked(DOCS / "index.md", DOCS)
    assert not missing, f"docs/index.md does not link {sorted(missing)}"


def test_every_linked_page_exists() -> None:
    for page, base in ((ROOT / "README.md", ROOT), (DOCS / "index.md", DOCS)):
        for target in LINK.findall(page.read_text(encoding="utf-8")):
            path = target.split("#", 1)[0]
            if path and "://" not in path:
                assert (base / path).exists(), f"{page.name} links {target}, which does not exist"
