"""Layers: models import nothing from detect, click lives in logkit/cli only, and the detection and model
modules import no module that imports them back."""

from __future__ import annotations

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "logkit"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Every module's imports, at any depth (imports inside functions too)."""
    out: dict[str, set[str]] = {}
    for path in PKG.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
        out[_module(path)] = names
    return out


def test_models_import_nothing_from_detect() -> None:
    bad = {m: sorted(n for n in names if n == "logkit.detect" or n.startswith("logkit.detect."))
           for m, names in _imports().items() if m.startswith("logkit.models")}
    assert not {m: n for m, n in bad.items() if n}


def test_click_only_in_cli() -> None:
    bad = sorted(m for m, names in _imports().items()
                 if "click" in names and not (m == "logkit.cli" or m.startswith("logkit.cli.")))
    assert not bad


def test_no_import_circles_in_detect_models_and_bench() -> None:
    imports = _imports()
    mods = set(imports)
    graph = {m: {n for n in names if n in mods and n != m} for m, names in imports.items()}
    # a package's __init__ re-exports its modules: it is not a circle that those modules live in it
    for m in graph:
        graph[m] = {n for n in graph[m] if not m.startswith(n + ".")}

    def reaches(a: str, b: str) -> bool:
        seen, todo = set(), [a]
        while todo:
            x = todo.pop()
            if x == b:
                return True
            if x not in seen:
                seen.add(x)
                todo.extend(graph.get(x, ()))
        return False

    ours = [m for m in mods if m.startswith(("logkit.detect", "logkit.models", "logkit.bench.detect"))]
    circles = sorted((a, b) for a in ours for b in graph[a] if reaches(b, a))
    assert not circles
