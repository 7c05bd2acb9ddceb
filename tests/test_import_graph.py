"""The ytlite package's modules import one another in one direction only:
every import counted, at the top of a module and inside functions (an import
inside a function is still a dependency; it only hides a circle). The same of
the front end's ES modules, which import nothing outside lite/js/ but the
inputs build.py names (FRONT_END_INPUTS)."""

from __future__ import annotations

import ast
import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ytlite"
FRONT_END = ROOT / "lite" / "js"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package modules ``path`` imports, wherever in the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:  # `from . import viewer` imports the module ytlite.viewer
                sub = f"{target}.{alias.name}"
                found.add(sub if sub in modules else target)
            if node.module:
                found.add(target)
    return {m for m in found if m in modules and m != name}


def graph() -> dict[str, set[str]]:
    files = [p for p in PACKAGE.rglob("*.py") if "_generated" not in p.parts]
    modules = {module_name(p) for p in files}
    return {module_name(p): imports_of(p, modules) for p in files}


def find_cycle(edges: dict[str, set[str]]):
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_checker_finds_a_circle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_sees_imports_inside_functions():
    edges = graph()
    assert "ytlite.viewer" in edges["ytlite.dataset"]  # SliceDataset.plot imports it when called
    assert "ytlite._conventions" in edges["ytlite.viewer"]


def test_ytlite_modules_form_no_import_circle():
    cycle = find_cycle(graph())
    assert cycle is None, "import circle: " + " -> ".join(cycle)


# `import x from "s"`, `import "s"`, `export {x} from "s"`, `import("s")`, at any
# depth; comments are removed first (a comment may quote an import).
JS_IMPORT = re.compile(r"""(?:\bimport|\bexport)\s*(?:[\w*${}\s,]+?\s*from\s*)?\(?\s*["']([^"']+)["']""")
JS_COMMENT = re.compile(r"/\*.*?\*/|(?<![:\\])//[^\n]*", re.S)


def js_imports(path: Path) -> list[str]:
    return JS_IMPORT.findall(JS_COMMENT.sub("", path.read_text()))


def front_end_inputs() -> dict:
    spec = importlib.util.spec_from_file_location("ytlite_build_inputs", ROOT / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build.FRONT_END_INPUTS


def test_the_js_import_pattern():
    src = '''import a, { b } from "./a.js";\nimport * as c from '../c.js';\nexport { d } from "./d.js";
    import "./side.js"; const m = await import("./lazy.js"); // import x from "./commented.js"'''
    assert JS_IMPORT.findall(JS_COMMENT.sub("", src)) == ["./a.js", "../c.js", "./d.js", "./side.js", "./lazy.js"]


def test_the_front_end_imports_only_itself_and_the_named_inputs():
    inputs = front_end_inputs()
    edges = {}
    for path in FRONT_END.rglob("*.js"):
        edges[path] = set()
        for spec in js_imports(path):
            if spec.startswith("."):
                target = (path.parent / spec).resolve()
                assert FRONT_END in target.parents, f"{path.relative_to(ROOT)} reaches outside lite/js: {spec}"
                assert target.is_file(), f"{path.relative_to(ROOT)} imports a missing module: {spec}"
                edges[path].add(target)
            else:
                assert spec in inputs, f"{path.relative_to(ROOT)} imports {spec!r}, not in build.py's FRONT_END_INPUTS"
    assert any(edges.values()), "no import found: the pattern is broken"
    cycle = find_cycle({str(k.relative_to(FRONT_END)): {str(v.relative_to(FRONT_END)) for v in vs}
                        for k, vs in edges.items()})
    assert cycle is None, "import circle in lite/js: " + " -> ".join(cycle)
