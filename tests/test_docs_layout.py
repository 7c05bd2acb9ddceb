"""docs/architecture.md's table of concerns matches the tree: every source
module is named in it, and every path it names exists."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"


def concerns_table() -> str:
    text = DOC.read_text()
    start = text.index("## Where each concern lives")
    return text[start:text.index("\n## ", start + 1)]


def source_modules() -> list[Path]:
    files = [*ROOT.glob("ytlite/*.py"), *ROOT.glob("ytlite/*/*.py"), *ROOT.glob("lite/*.py"),
             *ROOT.glob("lite/js/**/*.js"), *ROOT.glob("rust/src/*.rs")]
    return sorted(p for p in files if "_generated" not in p.parts and p.name not in ("__init__.py", "__main__.py"))


def test_every_module_has_its_place_in_the_table():
    table = concerns_table()
    missing = [str(p.relative_to(ROOT)) for p in source_modules()
               if not re.search(rf"(?<![\w.-]){re.escape(p.name)}(?![\w.-])", table)]
    assert not missing, f"not in docs/architecture.md's table of concerns: {', '.join(missing)}"


def test_every_path_in_the_table_exists():
    named = re.findall(r"`((?:ytlite|lite|rust|tests|bench|docs|content)/[\w./-]+)", concerns_table())
    assert named, "no path found: the pattern is broken"
    # (build outputs, ytlite/_generated/..., exist only once built)
    gone = [p for p in named if "_generated" not in p and not (ROOT / p.rstrip("/")).exists()]
    assert not gone, f"docs/architecture.md names paths that do not exist: {', '.join(gone)}"
