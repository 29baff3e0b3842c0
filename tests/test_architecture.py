"""The shape of the code, checked from its syntax: no import cycles, no marimo in the library,
child processes only in the media layer, stages reached only through their public faces,
SQL only in the catalog and the stages' store modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "anchor_core"
# Stages own a read model and a public face (their package __init__); others import only that.
STAGES = {"sync", "music", "analysis", "timeline", "ads", "render", "reels", "export"}
# Modules that may hold catalog SQL: the catalog itself and each stage's store modules.
SQL_OK = re.compile(r"^anchor_core/(catalog/.*|[a-z_]+/(store|[a-z_]+_store)\.py)$")
IN_MEMORY_SQL = {"anchor_core/timeline/stats.py"}  # DuckDB over polars frames, never the catalog
SQL = re.compile(r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+TABLE)\b",
                 re.IGNORECASE | re.DOTALL)


def _modules() -> dict[str, Path]:
    out = {}
    for p in PKG.rglob("*.py"):
        rel = p.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


MODULES = _modules()


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    pkg = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = pkg[: len(pkg) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    target = _resolve(module, path, node)  # `from pkg import submodule` imports the submodule too
    return [target, *(f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES)]


def _imports(module: str, path: Path, *, top_level_only: bool) -> list[tuple[str, int]]:
    """(imported module, line) for each import; top-level ones (not under TYPE_CHECKING or in a
    function) are those that run when the module loads."""
    tree = ast.parse(path.read_text())
    if not top_level_only:
        nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)]
        return [(t, n.lineno) for n in nodes for t in _targets(module, path, n)]
    found: list[tuple[str, int]] = []

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.extend((t, node.lineno) for t in _targets(module, path, node))
            elif isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            elif isinstance(node, ast.If | ast.Try | ast.With):
                visit(node.body)
                for h in getattr(node, "handlers", []):
                    visit(h.body)
                visit(getattr(node, "orelse", []))

    visit(tree.body)
    return found


def _owner(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "anchor_core" else ""


def test_the_library_has_no_import_cycles():
    # Python loads a module's parent packages before it, so an edge to an ancestor is implied
    # and never a cycle of its own; every other loop is.
    graph = {m: {t for t, _ in _imports(m, p, top_level_only=True)
                 if t in MODULES and t != m and not m.startswith(t + ".")} for m, p in MODULES.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def dfs(m: str, stack: list[str]) -> None:
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                dfs(t, stack)
        stack.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            dfs(m, [])
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_stages_form_a_one_way_graph():
    """Stage to stage, every import counts (also those inside functions): no stage depends on a
    stage that depends back on it."""
    edges: dict[str, set[str]] = {s: set() for s in STAGES}
    for m, p in MODULES.items():
        s = _owner(m)
        if s not in STAGES:
            continue
        for t, _ in _imports(m, p, top_level_only=False):
            o = _owner(t)
            if o in STAGES and o != s:
                edges[s].add(o)

    def reaches(a: str, b: str, seen: set[str]) -> bool:
        return a == b or any(n not in seen and reaches(n, b, seen | {n}) for n in edges[a])

    both_ways = sorted({tuple(sorted((a, b))) for a in STAGES for b in edges[a] if reaches(b, a, {b})})
    assert not both_ways, f"stages that import each other (directly or round about): {both_ways}"


def test_no_marimo_and_no_child_processes_outside_the_media_layer():
    bad = []
    for m, p in MODULES.items():
        for t, line in _imports(m, p, top_level_only=False):
            if t.split(".")[0] == "marimo":
                bad.append(f"{p.relative_to(ROOT)}:{line} imports marimo (the library must not)")
            if t.split(".")[0] == "subprocess" and _owner(m) != "media":
                bad.append(f"{p.relative_to(ROOT)}:{line} starts child processes outside anchor_core/media")
    assert not bad, "\n".join(bad)


def _consumers() -> dict[str, Path]:
    notebooks = {f"notebooks.{p.stem}": p for p in (ROOT / "notebooks").glob("*.py")}
    return {**MODULES, **notebooks}


def test_other_stages_are_reached_only_through_their_public_face():
    bad = []
    for m, p in _consumers().items():
        mine = _owner(m)
        for t, line in _imports(m, p, top_level_only=False):
            parts = t.split(".")
            if parts[0] != "anchor_core" or len(parts) < 3 or parts[1] not in STAGES or parts[1] == mine:
                continue
            bad.append(f"{p.relative_to(ROOT)}:{line} imports {t}; use `anchor_core.{parts[1]}`")
    assert not bad, "\n".join(bad)


def test_sql_lives_only_in_the_catalog_and_the_stores():
    bad = []
    files = [p for p in PKG.rglob("*.py")] + list((ROOT / "notebooks").glob("*.py"))
    for p in files:
        rel = p.relative_to(ROOT).as_posix()
        if SQL_OK.match(rel) or rel in IN_MEMORY_SQL:
            continue
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL.search(node.value):
                bad.append(f"{rel}:{node.lineno}: {node.value[:60]!r}")
    assert not bad, "SQL outside catalog/ and the stores:\n" + "\n".join(bad)


def test_every_backend_module_registers_one_backend_of_its_name():
    from anchor_core.registry import REGISTRIES

    for reg in REGISTRIES:
        assert reg.names(), reg.concern
        for name in reg.names():
            assert reg.get(name).name == name, (reg.concern, name)
